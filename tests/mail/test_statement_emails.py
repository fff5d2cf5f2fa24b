"""`close --email-statements`: each statement drafted as an email with its PDF, approved and sent like a reminder.

A real SMTP server (aiosmtpd on loopback, conftest) receives what `send` sends; the PDF attached is read back.
"""
import io
import json
from datetime import date, datetime, timezone

from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from addin.app.send import send
from addin.cli import main
from addin.core.dunning import HistorySummary, CustomerHistory, not_to_message
from addin.core.model import HISTORY_COLUMNS, Level
from addin.core.settings import Settings
from addin.workbook.template import build_workbook
from tests.xlsx_checks import check_package

LEVEL, TEMPLATE, ACTION, MESSAGE_ID = (HISTORY_COLUMNS.index(h) for h in ("Level", "Template", "Action", "Message ID"))


def item(cid, name, doc, invoiced, due, amount, currency="GBP"):
    return [cid, name, "", "", "", doc, date.fromisoformat(invoiced), date.fromisoformat(due), amount, 0, None,
            currency, "open", None, "business", "en", ""]


def customer(cid, name, email, zone=""):
    return [cid, name, "Pat", email, "", "1 High Street\nLondon", "en", zone, "business", None, None]


def event(ts, cid, name, action, currency="GBP"):
    return [ts, "", cid, name, currency, "", None, "phone", "", action, "", None, None, None, "", "", ""]


def book_with(tmp_path, **settings):
    items = [item("C1", "Acme Ltd", "INV-1", "2026-10-10", "2026-11-09", 1200.00),
             item("C2", "Birch GmbH", "R-9", "2026-09-01", "2026-10-01", 500.00),
             item("C3", "Cobalt plc", "INV-3", "2026-10-20", "2026-11-19", 250.00),
             item("C4", "Delta SA", "F-1", "2026-10-15", "2026-11-14", 800.00, currency="EUR")]
    customers = [customer("C1", "Acme Ltd", "ap@acme.example", "Europe/London"),
                 customer("C3", "Cobalt plc", "ap@cobalt.example"),
                 customer("C4", "Delta SA", "ap@delta.example")]
    history = [event("2026-11-20T10:00:00Z", "C3", "Cobalt plc", "cease"),       # stops every message
               event("2026-11-21T10:00:00Z", "C4", "Delta SA", "dispute", "EUR")]  # stops reminders, not statements
    return build_workbook(tmp_path / "book.xlsx", items, customers=customers, history=history,
                          settings={"From": "ar@northwind.example", **settings})


def history(book):
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("History").to_python()
    at = {h: i for i, h in enumerate(rows[0])}
    return [[r[at[h]] for h in HISTORY_COLUMNS] for r in rows[1:]]


def close(book, capsys, *args):
    status = main(["close", str(book), "--as-of", "2026-11-30", "--email-statements", "--json", *args])
    return status, json.loads(capsys.readouterr().out)


def test_statements_are_drafted_approved_and_sent_with_their_pdf(tmp_path, smtp_env, capsys):
    book = book_with(tmp_path)
    status, out = close(book, capsys)
    assert status == 1                                       # Birch has no email address: said once, as an error
    (error,) = out["errors"]
    assert error["message"].startswith("no email address for Birch GmbH: its statement is not emailed; the PDF is ")
    assert error["message"].endswith(".pdf")
    assert out["statements"] == 4                            # every customer with a balance still has its PDF
    drafted = [r for r in history(book) if r[ACTION] == "drafted"]
    assert sorted((r[2], r[TEMPLATE]) for r in drafted) == [("C1", "statement"), ("C4", "statement")]  # no Cobalt
    assert all(r[LEVEL] in ("", None) and r[MESSAGE_ID].startswith("<ar.20261130.statement.") for r in drafted)
    check_package(book)

    # closing the same period again drafts nothing twice
    logged = len(history(book))
    close(book, capsys)
    assert len(history(book)) == logged
    assert len(list((tmp_path / "book outbox").glob("*.eml"))) == 2

    # the day's reminders have identities of their own: a statement never shadows one, nor counts as a contact
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    reminders = [r for r in history(book) if r[ACTION] == "drafted" and r[TEMPLATE] != "statement"]
    assert [r[2] for r in reminders] == ["C1"]               # Delta's dispute holds its reminder
    assert len({r[MESSAGE_ID] for r in history(book) if r[ACTION] == "drafted"}) == 3

    assert main(["send", str(book)]) == 0 and smtp_env.messages == []   # nothing goes before approval
    capsys.readouterr()
    assert main(["send", str(book), "--approve-all"]) == 0
    got = {(tuple(to), str(m["X-Arcollect-Template"])): m for _, to, m in smtp_env.messages}
    assert set(got) == {(("ap@acme.example",), "statement"), (("ap@acme.example",), "reminder"),
                        (("ap@delta.example",), "statement")}
    msg = got[(("ap@acme.example",), "statement")]
    assert str(msg["Subject"]).startswith("Statement of account at 30 November 2026")
    body = msg.get_body(("plain",)).get_content()
    assert "£1,200.00 open in all" in body
    assert "By age: not yet due £0.00 · 1-30 days overdue £1,200.00 · 31-60 days overdue £0.00" in body
    assert "91+" not in body and "91 days overdue or more £0.00" in body      # the customer's words
    (pdf,) = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    data = pdf.get_content()
    assert data.startswith(b"%PDF-") and pdf.get_filename().endswith("_statement.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert "Statement of account at 30 November 2026" in text and "INV-1" in text and "1,200.00" in text
    sent = [r for r in history(book) if r[ACTION] == "sent"]
    assert len(sent) == 3 and all(r[LEVEL] in ("", None) for r in sent if r[TEMPLATE] == "statement")
    assert main(["send", str(book), "--approve-all"]) == 0 and len(smtp_env.messages) == 3   # exactly once
    check_package(book)


def test_under_regf_statements_keep_to_the_email_hours_and_a_dispute_stops_them(tmp_path, smtp_env, capsys):
    book = book_with(tmp_path, **{"Regulation profile": "regF"})
    status, out = close(book, capsys)
    drafted = [r for r in history(book) if r[ACTION] == "drafted"]
    assert [r[2] for r in drafted] == ["C1"]                 # regF: Delta's dispute stops its statement too
    night = send(book, approve_all=True, now=datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc))
    assert smtp_env.messages == [] and [h.customer for h in night.held] == ["Acme Ltd"]
    assert "from 2026-12-01 08:00 local" in night.held[0].reason     # Europe/London
    day = send(book, approve_all=True, now=datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    assert len(smtp_env.messages) == 1 and not day.held
    assert "STOP" in smtp_env.messages[0][2].get_body(("plain",)).get_content()   # the opt-out line


def test_which_holds_stop_a_message_that_is_not_a_reminder():
    ladder = [Level(1, "Reminder", 1, 0, ("email",), "reminder"), Level(2, "Agency", 60, 0, ("letter",), "handover",
                                                                         final=True)]
    history = HistorySummary({("A", "GBP"): CustomerHistory(cease=True),
                              ("B", "GBP"): CustomerHistory(last_level=2, last_level_contact=date(2026, 11, 1)),
                              ("C", "GBP"): CustomerHistory(disputed=True),
                              ("D", "GBP"): CustomerHistory(promise_date=date(2026, 12, 20), last_level=1)})
    accounts = [(k, "GBP") for k in "ABCDE"]
    barred = not_to_message(accounts, ladder, Settings(), date(2026, 11, 30), history, None, {("E", "GBP")})
    assert set(barred) == {("A", "GBP"), ("B", "GBP")}       # cease; handed over. A dispute or a promise: not B2B
    assert "cease request" in barred[("A", "GBP")] and "handed over" in barred[("B", "GBP")]
    regf = not_to_message(accounts, ladder, Settings(regulation="regF"), date(2026, 11, 30), history, None,
                          {("E", "GBP")})
    assert set(regf) == {("A", "GBP"), ("B", "GBP"), ("C", "GBP"), ("E", "GBP")}


def test_a_thank_you_note_is_sent_not_withdrawn_for_having_nothing_open(tmp_path, smtp_env, capsys):
    from addin.workbook.package import XlsxPackage

    book = book_with(tmp_path)
    assert main(["close", str(book), "--as-of", "2026-10-31", "--json"]) == 0
    capsys.readouterr()
    with XlsxPackage.open(book) as pkg:                       # Acme pays in November
        pkg.set_values("Receivables", {"J2": 1200.0, "K2": date(2026, 11, 9)})
        pkg.save()
    main(["close", str(book), "--as-of", "2026-11-30", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert out["thank_you_drafts"] == 1, out
    assert [r[TEMPLATE] for r in history(book) if r[ACTION] == "drafted"] == ["thank_you"]
    assert [(r["Kind"], r["Customer"]) for r in _close_emails(book)] == [("thank you", "Acme Ltd")]
    assert main(["send", str(book), "--approve-all"]) == 0
    assert [(to, str(m["X-Arcollect-Template"])) for _, to, m in smtp_env.messages] == [(["ap@acme.example"],
                                                                                        "thank_you")]
    assert [r[ACTION] for r in history(book) if r[TEMPLATE] == "thank_you"] == ["drafted", "sent"]


def _close_emails(book):
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Close Emails").to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def _tick(book, customer):
    from addin.workbook.package import XlsxPackage

    rows = _close_emails(book)
    row = next(k for k, r in enumerate(rows, start=2) if r["Customer"] == customer)
    with XlsxPackage.open(book) as pkg:
        pkg.set_values("Close Emails", {f"I{row}": "yes"})
        pkg.save()


def test_each_statement_is_approved_on_its_own_row_and_only_the_ticked_ones_go(tmp_path, smtp_env, capsys):
    """A controller approves statements one by one on Close Emails, without approving the day's reminders."""
    book = book_with(tmp_path)
    close(book, capsys)
    rows = _close_emails(book)
    assert [(r["Kind"], r["Customer"], r["Currency"], r["Amount Due"], r["Approve"]) for r in rows] == [
        ("statement", "Acme Ltd", "GBP", 1200.0, ""), ("statement", "Delta SA", "EUR", 800.0, "")]
    assert all(r["Message-ID"].startswith("<ar.20261130.statement.") and r["Draft"].endswith(".eml") for r in rows)
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1      # Acme's reminder: drafted, not approved
    capsys.readouterr()

    _tick(book, "Delta SA")
    close(book, capsys)                                 # a re-close keeps the tick, by Message-ID
    assert [r["Approve"] for r in _close_emails(book)] == ["", "yes"]
    assert main(["send", str(book)]) == 0
    assert [(to, str(m["X-Arcollect-Template"])) for _, to, m in smtp_env.messages] == [(["ap@delta.example"],
                                                                                        "statement")]
    said = capsys.readouterr().out
    assert "2 waiting for approval" in said                           # Acme's statement and its reminder
    close(book, capsys)                                 # the sent statement is no longer waiting
    assert [r["Customer"] for r in _close_emails(book)] == ["Acme Ltd"]
    check_package(book)
