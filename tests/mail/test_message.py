from dataclasses import replace
from datetime import date
from email import policy
from email.parser import BytesParser
from io import BytesIO

import pytest
from pypdf import PdfReader

from addin.documents.pdf import letter_pdf
from addin.documents.render import render
from addin.documents.sample import sample_communication, sample_settings
from addin.mail.message import AddressProblem, build_message, message_bytes, message_id, parse_address
from addin.mail.outbox import draft_filename, read_draft, read_outbox, write_draft

SETTINGS = sample_settings()


def build(comm, settings=SETTINGS, **kw):
    return build_message(comm, render(comm, settings), settings, **kw)


def reparse(msg):
    return BytesParser(policy=policy.default).parsebytes(msg.as_bytes())


def test_draft_headers_parts_and_attachment():
    c = sample_communication(3, level=2)
    r = render(c, SETTINGS)
    msg = build_message(c, r, SETTINGS, draft=True, letter_pdf=letter_pdf(c, r, SETTINGS))
    got = reparse(msg)
    assert got["X-Unsent"] == "1"
    assert got["Date"] == "Mon, 30 Nov 2026 12:00:00 +0000"
    assert got["To"].addresses[0].addr_spec == "ap3@customer3.example"
    assert got["From"].addresses[0].display_name == "Northwind Supplies Ltd"
    assert got.get_body(("plain",)).get_content().startswith("Dear Sam Taylor,")
    att, = got.iter_attachments()
    assert att.get_filename() == "C00003_GBP_L2_2026-11-30.pdf"
    assert "Acme Trading 3 Ltd" in PdfReader(BytesIO(att.get_content())).pages[0].extract_text()
    assert build(c, draft=False)["X-Unsent"] is None


def test_message_id_is_stable_per_customer_currency_level_date():
    c = sample_communication(5, level=1)
    assert build(c)["Message-ID"] == build(c)["Message-ID"] == message_id(c, "northwind.example")
    assert message_id(replace(c, level=2), "x.example") != message_id(c, "x.example")
    assert message_id(replace(c, run_date=date(2026, 12, 1)), "x") != message_id(c, "x")
    assert message_id(replace(c, customer_id="C00006"), "x") != message_id(c, "x")
    assert message_id(replace(c, currency="EUR"), "x") != message_id(c, "x")


@pytest.mark.parametrize("bad", ["bob@@x.com", "bob", "bob@x", "a@b.com\r\nBcc: evil@x.com",
                                 "bob@x.com\nBcc: evil@x.com", "<a@b.com>, <c@d.com", "a b@x.com",
                                 "bob@x.com>\r\nSubject: hi"])
def test_invalid_or_injected_address_is_a_problem_naming_the_cell(bad):
    c = sample_communication(1, email=bad, email_cell="Receivables!F7")
    with pytest.raises(AddressProblem) as exc:
        build(c)
    assert exc.value.problem.cell == "Receivables!F7"
    assert str(exc.value).startswith("Receivables!F7: email ")


def test_exact_problem_text():
    c = sample_communication(1, email="bob@@x", email_cell="Receivables!F7")
    with pytest.raises(AddressProblem, match=r"^Receivables!F7: email 'bob@@x' is not a valid address$"):
        build(c)


def test_names_from_cells_cannot_inject_headers():
    evil = "Bob\r\nBcc: evil@attacker.example\r\nX-Evil: 1"
    s = replace(SETTINGS, company=replace(SETTINGS.company, name="Northwind\r\nBcc: evil2@attacker.example"))
    c = sample_communication(1, contact_name=evil, customer=evil)
    raw = build(c, s).as_bytes()
    got = BytesParser(policy=policy.default).parsebytes(raw)
    assert got["Bcc"] is None and got["X-Evil"] is None
    headers = raw.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nX-Evil" not in headers
    assert [a.addr_spec for a in got["To"].addresses] == ["ap1@customer1.example"]
    assert "evil" not in str(got["To"].addresses[0].addr_spec)


def test_several_addresses_in_one_cell():
    c = sample_communication(1, email="a@x.example; b@y.example")
    got = reparse(build(c))
    assert [a.addr_spec for a in got["To"].addresses] == ["a@x.example", "b@y.example"]


def test_attachment_must_be_bytes_never_a_path(tmp_path):
    c = sample_communication(1)
    with pytest.raises(TypeError):
        build(c, letter_pdf=str(tmp_path / "x.pdf"))


def test_parse_address():
    assert parse_address("Bob <bob@example.com>").addr_spec == "bob@example.com"
    assert parse_address("bob@exämple.de") is not None
    assert parse_address("bob@example.com\r\n") is None


def test_outbox_round_trip_and_safe_names(tmp_path):
    c = sample_communication(1, customer_id="../../etc/passwd")
    msg = build(c)
    p = write_draft(msg, c, tmp_path)
    assert p.parent == tmp_path and "/" not in p.name and p.name.endswith(".eml")
    assert draft_filename(c) == p.name and ".." not in p.name
    (path, got), = read_outbox(tmp_path)
    assert got["Message-ID"] == msg["Message-ID"] and got["X-Unsent"] == "1"
    assert read_draft(p).get_body(("plain",)).get_content() == msg.get_body(("plain",)).get_content()
    write_draft(msg, c, tmp_path)  # a re-run overwrites, never adds
    assert len(list(tmp_path.glob("*.eml"))) == 1
    c2 = sample_communication(1, customer_id="../../etc_passwd")
    assert draft_filename(c2) != draft_filename(c)


def test_message_bytes_are_stable_7bit_and_read_back_as_rendered():
    c = sample_communication(2, level=2, language="de", contact_name="Weiß, Jürgen",
                             email="a@exämple.de; b@x.example")
    r = render(c, SETTINGS)
    pdf = letter_pdf(c, r, SETTINGS)
    data = message_bytes(c, r, SETTINGS, letter_pdf=pdf)
    assert data == message_bytes(c, r, SETTINGS, letter_pdf=pdf)  # a re-run writes the same draft
    assert data.isascii() and b"\n" not in data.replace(b"\r\n", b"")
    lines = data.split(b"\r\n")
    assert max(map(len, lines)) <= 998 and all(len(x) <= 78 for x in lines if not x.startswith(b"To:"))
    got = BytesParser(policy=policy.default).parsebytes(data)
    assert got["Subject"] == r.subject and "€" in got["Subject"]
    assert [(a.display_name, a.addr_spec) for a in got["To"].addresses] == [
        ("Weiß, Jürgen", "a@xn--exmple-cua.de"), ("Weiß, Jürgen", "b@x.example")]
    assert got.get_body(("plain",)).get_content().replace("\r\n", "\n") == r.text
    assert got.get_body(("html",)).get_content().replace("\r\n", "\n") == r.html
    att, = got.iter_attachments()
    assert att.get_content() == pdf and att.get_filename() == "C00002_EUR_L2_2026-11-30.pdf"
    assert got["X-Arcollect-Currency"] == "EUR"
