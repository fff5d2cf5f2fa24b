import csv
from datetime import date, datetime, timezone
from io import BytesIO

from pypdf import PdfReader

from addin.core.model import HistoryEntry
from addin.documents.callsheet import call_sheet
from addin.documents.handover import handover_pack
from addin.documents.pdf import letter_pdf, write_letters
from addin.documents.render import TEMPLATES, render
from addin.documents.sample import sample_communication, sample_settings
from addin.documents.sms import GSM_BASIC, GSM_EXTENDED, gsm_length, sms_batch, sms_text
from addin.mail.message import build_message
from addin.mail.outbox import write_draft

SETTINGS = sample_settings()


def pdf_text(data) -> str:
    reader = PdfReader(BytesIO(data) if isinstance(data, bytes) else str(data))
    return "\n".join(p.extract_text() for p in reader.pages)


def nb(s):
    return s.replace("\xa0", " ").replace("\u202f", " ")


def test_letter_pdf_english():
    c = sample_communication(1, level=3, items=4)
    data = letter_pdf(c, render(c, SETTINGS), SETTINGS)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    assert "Acme Trading 1 Ltd" in text and "Northwind Supplies Ltd" in text
    assert "£5,648.24" in text  # total with the fee
    assert "INV-00001-4" in text and "Final demand" in text and "IBAN" in text


def test_letter_pdf_german_prints_euro_and_umlauts():
    c = sample_communication(2, level=2, language="de")
    text = nb(pdf_text(letter_pdf(c, render(c, SETTINGS), SETTINGS)))
    assert "Müller & Söhne GmbH 2" in text and "Jürgen Weiß" in text
    assert "4.082,68 €" in text and "Mahngebühr" in text


def test_every_template_makes_a_pdf():
    extra = {"plan": [(1, "2026-12-31", "400.00")], "promise_date": "2026-12-10"}
    for t in TEMPLATES:
        c = sample_communication(1, level=2, template=t, extra=extra)
        assert PdfReader(BytesIO(letter_pdf(c, render(c, SETTINGS), SETTINGS))).pages


def test_write_letters_per_customer_and_combined(tmp_path):
    comms = [sample_communication(n, level=2) for n in (1, 2, 3)]
    comms.append(sample_communication(4, level=2, customer_id="../evil/../x"))
    batch = [(c, render(c, SETTINGS)) for c in comms]
    paths, combined = write_letters(batch, tmp_path, SETTINGS)
    assert len(paths) == 4 and all(p.parent == tmp_path for p in paths)
    assert paths[0].name == "C00001_GBP_L2_2026-11-30.pdf"
    for c, p in zip(comms, paths):
        assert c.customer in pdf_text(p)
    combined_text = pdf_text(combined)
    assert all(c.customer in combined_text for c in comms)
    assert len(PdfReader(str(combined)).pages) >= 4


def test_sms_length_and_alphabet(tmp_path):
    from dataclasses import replace
    s = replace(SETTINGS, regulation="regF")
    for lang in ("en", "de"):
        for t in TEMPLATES:
            c = sample_communication(99999, level=3, language=lang, template=t,
                                     customer="Łódź – “Special” Trading")
            text, _ = sms_text(c, s)
            assert gsm_length(text) <= 160
            assert set(text) <= set(GSM_BASIC) | set(GSM_EXTENDED)
            if t == "reminder":
                assert "debt collector" in text
    path, drafts, problems = sms_batch([sample_communication(1), sample_communication(2, phone="n/a")],
                                       SETTINGS, tmp_path, date(2026, 11, 30))
    assert path == tmp_path / "sms-2026-11-30.csv"  # the run date, not the clock's
    rows = list(csv.reader(open(path, encoding="utf-8-sig")))
    assert rows[0] == ["phone", "customer", "customer_number", "text"]
    assert rows[1][:3] == ["+447700900001", "Acme Trading 1 Ltd", "C00001"] and len(rows) == 2
    assert len(problems) == 1 and "C00002" in problems[0].message


def test_call_sheet_regf_window(tmp_path):
    from dataclasses import replace
    comms = [sample_communication(1, level=3, time_zone="Europe/London"),
             sample_communication(2, level=3, time_zone="America/Los_Angeles"),
             sample_communication(3, level=3, time_zone=""),
             sample_communication(4, level=3, time_zone="Asia/Tokyo", customer="<b>Bold</b> Ltd")]
    run_at = datetime(2026, 11, 30, 15, 0, tzinfo=timezone.utc)  # London 15:00, LA 07:00, Tokyo 00:00
    sheet = call_sheet(comms, replace(SETTINGS, regulation="regF"), run_at, tmp_path, date(2026, 11, 28))
    assert sheet.path == tmp_path / "call-sheet-2026-11-28.html"  # the run date, not run_at's
    assert sheet.callable == ["C00001"]
    assert [cid for cid, _ in sheet.not_now] == ["C00002", "C00003", "C00004"]
    html = sheet.path.read_text()
    assert "Promise to pay" in html and "Dispute" in html
    assert "&lt;b&gt;Bold" in html and "<b>Bold" not in html
    assert "08:00-21:00" in html
    plain = call_sheet(comms, SETTINGS, run_at, tmp_path / "plain", date(2026, 11, 28))
    assert plain.callable == ["C00001", "C00002", "C00003", "C00004"]


def test_handover_pack(tmp_path):
    c = sample_communication(7, level=4)
    r = render(c, SETTINGS)
    pdf = letter_pdf(c, r, SETTINGS)
    (tmp_path / "letter.pdf").write_bytes(pdf)
    eml = write_draft(build_message(c, r, SETTINGS, letter_pdf=pdf), c, tmp_path)
    history = [HistoryEntry("2026-10-01T09:00:00Z", "r1", "C00007", c.customer, level=1,
                            channel="email", action="sent", document=str(eml)),
               HistoryEntry("2026-10-20T10:00:00Z", "r2", "C00007", c.customer, level=2,
                            channel="phone", action="promise", outcome="will pay Friday",
                            promise_date=date(2026, 10, 24))]
    out = handover_pack(c, SETTINGS, history, [eml, tmp_path / "letter.pdf", tmp_path / "gone.pdf"],
                        tmp_path / "pack.pdf")
    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Handover pack" in text and "will pay Friday" in text
    assert "gone.pdf: file not found" in text
    assert "Notice: your account C00007" in text  # the email's subject
    assert text.count("Notice of handover for collection") >= 1  # the letter's pages
    assert len(reader.pages) >= 3


def test_write_letters_in_two_processes_matches_one(tmp_path):
    comms = [sample_communication(n, level=3, items=1 + n % 3) for n in range(1, 8)]
    batch = [(c, render(c, SETTINGS)) for c in comms]
    one, combined_one = write_letters(batch, tmp_path / "one", SETTINGS, workers=1)
    two, combined_two = write_letters(batch, tmp_path / "two", SETTINGS, workers=2)
    assert [p.name for p in one] == [p.name for p in two]
    assert [pdf_text(p) for p in one] == [pdf_text(p) for p in two]
    assert pdf_text(combined_one) == pdf_text(combined_two)
    assert all(c.customer in pdf_text(p) for c, p in zip(comms, two))
    pages = [len(PdfReader(str(p)).pages) for p in two]  # each file holds its letter's pages of the print file
    assert sum(pages) == len(PdfReader(str(combined_two)).pages)
    assert all(pdf_text(p).count("Page 1") == 1 for p in two)
