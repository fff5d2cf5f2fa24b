"""Every stated total equals the sum of its rows, in every template, language and format.

The customer owes in two currencies (one communication each) and has overdue
items, items not yet due (two due dates) and credits. Amounts are parsed back
out of what a customer reads: the subject, the text and HTML bodies, the PDF
letter's text (pypdf) and the SMS; and out of the handover pack and the call
sheet the clerk hands on. Expected figures are computed here from the items,
not taken from the code under test.
"""
from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace
from decimal import Decimal
from io import BytesIO

import babel.dates
import pytest
from pypdf import PdfReader

from addin.core.model import Communication
from addin.documents.callsheet import call_sheet
from addin.documents.handover import handover_filename, handover_pack
from addin.documents.pdf import letter_pdf, write_letters
from addin.documents.render import TEMPLATES, item_labels, render
from addin.documents.sample import sample_mixed_communications, sample_settings
from addin.documents.sms import sms_text
from addin.mail.outbox import draft_filename

SETTINGS = sample_settings()
LEVEL = {"courtesy": 0, "reminder": 1, "second_notice": 2, "final_demand": 3, "handover": 4,
         "promise_confirmation": 1, "plan_confirmation": 2, "thank_you": 1}
EXTRA = {"promise_date": "2026-12-10", "promise_amount": "500.00",
         "plan": [(1, "2026-12-31", "400.00"), (2, "2027-01-31", "400.00")]}
PLAN = {"en": ("Payment plan", "Total"), "de": ("Zahlungsplan", "Summe")}
SYMBOL = {"GBP": "£", "EUR": "€"}
AMOUNT = re.compile(r"(-?)(?:([£€]) ?)?(\d{1,3}(?:[.,]\d{3})*[.,]\d{2})(?: ?([£€]))?(?!\d)")
OVERDUE_WORDS = {"en": "overdue", "de": "überfällig"}


def amounts(line: str, language: str) -> list[tuple[Decimal, str]]:
    """(amount, currency symbol) for each amount with a currency symbol in the line."""
    out = []
    for sign, before, digits, after in AMOUNT.findall(line):
        if before or after:
            group, point = (".", ",") if language == "de" else (",", ".")
            out.append((Decimal(sign + digits.replace(group, "").replace(point, ".")), before or after))
    return out


def html_lines(markup: str) -> list[str]:
    markup = re.sub(r"<(?:/?(?:p|tr|table|div|thead|tbody|tfoot|h\d)|br)\b[^>]*>", "\n", markup)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", markup)).splitlines()


def pdf_lines(data: bytes) -> list[str]:
    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages).splitlines()


def scan(lines, language: str) -> tuple[list[dict], list[tuple[Decimal, str]]]:
    """Sections (heading -> rows, totals, documents) and the amounts stated outside them.

    A section starts at its heading line and ends at its last total; every
    amount in it is a row unless a total label precedes it.
    """
    words = item_labels(language)
    plan_heading, plan_total = PLAN[language]
    headings = {"overdue": words["overdue"], "not_due": words["not_due"], "credits": words["credits"],
                "plan": plan_heading}
    totals = {"subtotal": words["subtotal"], "total": words["total"], "not_due_total": words["not_due_total"],
              "credit_total": words["credit_total"], "plan_total": plan_total}
    final = {"total", "not_due_total", "credit_total", "plan_total"}
    by_length = sorted(totals.items(), key=lambda kv: -len(kv[1]))
    sections, prose, section, pending = [], [], None, None
    for raw in lines:
        line = re.sub(r"\s+", " ", raw.replace("\xa0", " ").replace("\u202f", " ")).strip()
        kind = next((k for k, h in headings.items() if re.fullmatch(re.escape(h) + r"( \(.*)?:?", line)), None)
        if kind:
            section = {"kind": kind, "rows": [], "totals": [], "lines": [], "sums": []}
            sections.append(section)
            continue
        if section is not None:
            section["lines"].append(line)
            label = next((k for k, t in by_length if re.match(re.escape(t) + r"(:|\s|$)", line)), None)
            pending = label or pending
        for amount in amounts(line, language):
            if section is None:
                prose.append(amount)
            elif pending:
                section["totals"].append((pending, amount))
                section["sums"].append(sum((a for a, _ in section["rows"]), Decimal(0)))
                if pending in final:
                    section, pending = None, None
                pending = None
            else:
                section["rows"].append(amount)
    return sections, prose


def expected(comm: Communication) -> dict:
    debit = [i for i in comm.items if i.balance >= 0]
    overdue = [i for i in debit if i.days_past_due > 0]
    not_due = [i for i in debit if i.days_past_due <= 0]
    credits = [i for i in comm.items if i.balance < 0]
    total = sum((i.balance for i in overdue), Decimal(0))
    return {"overdue": {i.document for i in overdue}, "not_due": {i.document for i in not_due},
            "credits": {i.document for i in credits},
            "overdue_total": total, "total": total + comm.fee + comm.interest,
            "not_due_total": sum((i.balance for i in not_due), Decimal(0)),
            "credit_total": sum((i.balance for i in credits), Decimal(0)),
            "balance": sum((i.balance for i in comm.items), Decimal(0)),
            "next_due": min(i.due_date for i in not_due)}


def check_sections(sections, comm: Communication, language: str, where: str) -> None:
    exp = expected(comm)
    for s in sections:
        for (label, amount), running in zip(s["totals"], s["sums"]):
            assert amount[0] == running, f"{where}: {s['kind']} {label} {amount[0]} != rows {running}"
        if s["kind"] == "plan":
            continue
        documents = {d for d in exp["overdue"] | exp["not_due"] | exp["credits"]
                     if any(re.search(rf"\b{re.escape(d)}\b", line) for line in s["lines"])}
        assert documents == exp[s["kind"]], f"{where}: {s['kind']} lists {documents}"
        stated = dict(s["totals"])
        final = {"overdue": "total", "not_due": "not_due_total", "credits": "credit_total"}[s["kind"]]
        assert stated[final][0] == exp[final], f"{where}: {final}"
    kinds = [s["kind"] for s in sections if s["kind"] != "plan"]
    assert kinds == [k for k in ("overdue", "not_due", "credits") if exp[k]], f"{where}: sections {kinds}"
    if language and exp["not_due"]:  # not-yet-due items are never called past due
        for s in sections:
            if s["kind"] == "not_due":
                assert not any(OVERDUE_WORDS[language] in line.lower() for line in s["lines"]), where


def allowed(comm: Communication) -> set[Decimal]:
    exp = expected(comm)
    plan = {Decimal(p[2]) for p in EXTRA["plan"]} | {sum(Decimal(p[2]) for p in EXTRA["plan"])}
    return {exp["total"], exp["overdue_total"], exp["not_due_total"], exp["credit_total"], exp["balance"],
            comm.fee, comm.interest, Decimal(EXTRA["promise_amount"])} | plan


def check_currency(found, comm: Communication, where: str) -> None:
    assert {symbol for _, symbol in found} <= {SYMBOL[comm.currency]}, f"{where}: another currency"


def comms(template: str, language: str) -> list[Communication]:
    return sample_mixed_communications(level=LEVEL[template], language=language, template=template,
                                       extra=EXTRA)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_total_is_the_sum_of_its_rows(template, language):
    for comm in comms(template, language):
        r = render(comm, SETTINGS)
        exp = expected(comm)
        for fmt, lines in (("text", r.text.splitlines()), ("html", html_lines(r.html)),
                           ("pdf", pdf_lines(letter_pdf(comm, r, SETTINGS)))):
            where = f"{language}/{template}.{fmt} {comm.currency}"
            sections, prose = scan(lines, language)
            if template == "thank_you":
                assert not sections, where
                continue
            check_sections(sections, comm, language, where)
            check_currency(prose + [a for s in sections for a in s["rows"]], comm, where)
            stray = {a for a, _ in prose} - allowed(comm)
            assert not stray, f"{where}: amounts {stray} stated that are no total"
            if template == "plan_confirmation":
                assert exp["balance"] in {a for a, _ in prose}, f"{where}: the open balance"
        subject = amounts(r.subject, language)
        check_currency(subject, comm, f"{template} subject")
        if template in ("reminder", "second_notice", "final_demand"):
            assert [a for a, _ in subject] == [exp["total"]], r.subject
        if template == "courtesy":
            assert [a for a, _ in subject] == [exp["not_due_total"]], r.subject
            real = babel.dates.format_date(exp["next_due"], "long", locale=comm.locale)
            pay_by = babel.dates.format_date(comm.pay_by, "long", locale=comm.locale)
            assert real in r.subject and pay_by not in r.subject, r.subject
        text, _ = sms_text(comm, SETTINGS)
        found = amounts(text, language)
        check_currency(found, comm, f"{template} sms")
        assert {a for a, _ in found} <= allowed(comm), text
        if template == "courtesy":
            assert babel.dates.format_date(exp["next_due"], "short", locale=comm.locale) in text, text


def test_courtesy_says_what_falls_due_when():
    gbp, eur = comms("courtesy", "en")
    r = render(gbp, SETTINGS)
    assert r.subject.startswith("Friendly reminder: £525.10 due from 3 December 2026")
    assert "£525.10 falls due from 3 December 2026" in r.text
    assert "- INV-GBP-1, due 3 Dec 2026: £450.00" in r.text and "- INV-GBP-2, due 17 Dec 2026: £75.10" in r.text
    assert "overdue" not in r.text.lower()
    assert render(eur, SETTINGS).subject.startswith("Friendly reminder: €2,000.00 due on 10 December 2026")
    de = render(comms("courtesy", "de")[0], SETTINGS)
    assert de.subject.startswith("Freundliche Erinnerung: 525,10 £ fällig ab dem 3. Dezember 2026")


def test_one_day_is_singular():
    gbp, _ = comms("second_notice", "en")
    one = replace(gbp, items=gbp.items[:1])  # 1 day overdue
    r = render(one, SETTINGS)
    assert "1 day overdue" in r.text and "1 days" not in r.text
    assert "The oldest item is now 1 day overdue." in r.text
    de = render(replace(comms("second_notice", "de")[0], items=gbp.items[:1]), SETTINGS)
    assert "1 Tag überfällig" in de.text and "1 Tage" not in de.text


def test_two_currencies_two_documents(tmp_path):
    gbp, eur = comms("final_demand", "en")
    paths, _ = write_letters([(c, render(c, SETTINGS)) for c in (gbp, eur)], tmp_path, SETTINGS)
    assert [p.name for p in paths] == ["C00007_GBP_L3_2026-11-30.pdf", "C00007_EUR_L3_2026-11-30.pdf"]
    assert draft_filename(gbp) != draft_filename(eur)
    assert handover_filename(gbp) == "C00007_GBP_L3_2026-11-30_handover.pdf"


def test_handover_pack_claims_the_overdue_states_the_balance_and_includes_its_letter(tmp_path):
    comm = comms("handover", "en")[0]
    exp = expected(comm)
    book_folder = tmp_path / "books"
    outbox = book_folder / "book outbox"
    letters, _ = write_letters([(comm, render(comm, SETTINGS))], outbox, SETTINGS)
    logged = [str(letters[0].relative_to(book_folder))]  # as History logs it: relative to the workbook
    pack = handover_pack(comm, SETTINGS, [], logged, outbox / handover_filename(comm), base=book_folder)
    text = "\n".join(p.extract_text() for p in PdfReader(str(pack)).pages)
    assert "file not found" not in text
    assert text.count("Notice of handover for collection") == 1  # the letter's own pages are in
    claim = text[text.index("Claim"):text.index("Total claimed")].splitlines()
    check_sections(scan(claim, "en")[0], comm, "en", "handover pack")
    lines = text.splitlines()
    stated = {line: amounts(lines[n + 1], "en")[0][0] for n, line in enumerate(lines)
              if line.startswith(("Total claimed", "Open balance"))}
    assert stated == {"Total claimed: the overdue items, fees and interest": exp["total"],
                      "Open balance: every item above, overdue, not yet due and credits": exp["balance"]}
    assert "Oldest item 43 days overdue." in text


def test_call_sheet_sections_add_up(tmp_path):
    from datetime import date, datetime, timezone
    both = comms("final_demand", "en")
    sheet = call_sheet(both, SETTINGS, datetime(2026, 11, 30, 10, tzinfo=timezone.utc), tmp_path,
                       date(2026, 11, 30))
    cards = sheet.path.read_text().split('<div class="card">')[1:]
    assert len(cards) == 2
    for comm, card in zip(both, cards):
        lines = html_lines(card)
        sections, _ = scan(lines, "en")
        check_sections(sections, comm, "en", f"call sheet {comm.currency}")
        due = next(line for line in lines if "Amount due" in line)
        assert amounts(due, "en")[0][0] == expected(comm)["total"]


def test_a_customer_without_an_id_is_named_never_shown_its_internal_key(tmp_path):
    comm = replace(comms("reminder", "en")[0], customer_id="acme trading ltd", customer="Acme  Trading Ltd",
                   customer_number="")
    r = render(comm, SETTINGS)
    text, _ = sms_text(comm, SETTINGS)
    for part in (r.subject, r.text, r.html, r.letter, text):
        assert "acme trading ltd" not in part
    assert "is overdue on your account." in text
    assert "Payment reminder</subject>" in r.letter


def test_handover_pack_words_stay_english_for_a_german_customer(tmp_path):
    comm = comms("handover", "de")[0]
    pack = handover_pack(comm, SETTINGS, [], [], tmp_path / handover_filename(comm))
    text = "\n".join(p.extract_text() for p in PdfReader(str(pack)).pages)
    assert "Oldest item 43 days overdue." in text and "Total due" in text
