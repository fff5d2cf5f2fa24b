"""Every ribbon button on the book open in Excel (the recording fake of xlwings' Book): what the clerk sees.

The use cases are the real ones; the message box, the status bar and the
Errors sheet are read from what the buttons did to the book.
"""
from __future__ import annotations

import tempfile

import pytest

from addin.excel import ribbon
from tests.workbook import fake_xlwings
from tests.workbook.test_port_contract import AS_OF, NOW, demo_book


@pytest.fixture
def book(tmp_path):
    return fake_xlwings.Book.from_file(demo_book(tmp_path / "ar.xlsx"))


def click(book, control, **fields):
    return ribbon.run_button(book, control, fields, today=AS_OF, now=NOW)


def said(book) -> str:
    title, prompt, _ = book.app.alerts[-1]
    assert title == "arcollect"
    return prompt


def test_refresh_tells_what_it_did_and_selects_the_errors(book):
    done = click(book, "arRefresh")
    text = said(book)
    assert text.startswith("Aged ") and "To contact: 12" in text
    assert f"{done.problems} input problem(s)" in text and done.problems == 4
    assert book.active == "Errors"
    statuses = [c[1] for c in book.calls if c[0] == "status_bar"]
    assert "arcollect: reading the workbook..." in statuses and "arcollect: writing Aging..." in statuses
    assert statuses[-1] is False                      # Excel's own status bar back at the end


def test_draft_then_send_without_approval(book, tmp_path):
    click(book, "arDraft")
    assert "Drafted " in said(book) and str(tmp_path / "ar outbox") in said(book)
    assert any(p.suffix == ".eml" for p in (tmp_path / "ar outbox").iterdir())
    click(book, "arSend")
    assert said(book).startswith("Nothing to send: ") and "wait for Approve" in said(book)


def test_log_contact_from_the_form(book):
    click(book, "arLogContact", customer="C0002", outcome="promise", when="2026-12-07", amount="250", note="by Friday")
    assert said(book).startswith("Logged promise for ")
    history = book.sheets["History"].grid()
    assert "by Friday" in " ".join(map(str, history[-1]))


@pytest.mark.parametrize("fields, message", [
    (dict(customer="", outcome="called"), "say which customer"),
    (dict(customer="C0002", outcome="promise", when="next week", amount="5"), 'date "next week" is not a date'),
    (dict(customer="Nobody", outcome="called"), 'no customer "Nobody"'),
])
def test_a_bad_form_is_one_clear_message(book, fields, message):
    before = book.sheets["History"].grid()
    click(book, "arLogContact", **fields)
    assert message in said(book)
    assert book.sheets["History"].grid() == before


def test_payment_plan_for_the_selected_row(book):
    click(book, "arRefresh")
    actions = book.sheets["Actions"]
    header = actions.grid()[0]
    book.selection = actions.range((3, 1))
    customer = actions.grid()[2][header.index("Customer")]
    click(book, "arPlan")
    assert said(book).startswith(f"Added a plan for {customer}: ")
    plans = book.sheets["Plans"].grid()
    assert plans[-1][1] == customer and plans[-1][-1] == "active" and plans[-1][4] == 3
    assert book.sheets["History"].grid()[-1][9] == "plan"


def test_payment_plan_without_a_customer_row(book):
    book.selection = book.sheets["Settings"].range((1, 1))
    click(book, "arPlan")
    assert said(book).startswith("select a row of a customer first")


def test_month_end_close_writes_the_pack_on_the_open_book(book):
    click(book, "arClose")
    assert said(book).startswith("Closed the period as of ")
    assert {"Close Summary", "Close Periods", "What Changed"} <= {s.name for s in book.sheets}
    summary = book.sheets["Close Summary"]
    labels = [row[0] for row in summary.grid()]
    aging, provision, dso = (c.source for c in summary.charts)
    first = labels.index("Current") + 1
    assert aging == f"$A${first}:$B${first + 4}"
    # the bucket labels, then the loss allowances further down: two areas
    assert provision == (f"$A${first}:$A${first + 4},$B${labels.index('Loss allowance Current') + 1}:"
                         f"$B${labels.index('Loss allowance 91+') + 1}")
    assert dso.startswith(f"$A${labels.index('DSO by period (days)') + 2}:$B$")


def test_set_up_adds_what_is_missing(tmp_path):
    import openpyxl
    path = tmp_path / "mine.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Customer", "Invoice #", "Due Date", "Open Balance"])
    wb.active.append(["Acme Ltd", "INV-1", AS_OF, 120.5])
    wb.save(path)
    book = fake_xlwings.Book.from_file(path)
    click(book, "arInit")
    assert said(book).startswith("Added Settings, Policy, Customers, History, Plans.")
    click(book, "arInit")
    assert said(book).startswith("Nothing to add. Already there")


def test_help_names_the_log_folder(book):
    click(book, "arHelp")
    assert "arcollect-logs" in said(book)


def test_a_bug_is_one_message_naming_its_log_not_a_traceback(book, monkeypatch, tmp_path):
    def broken(port, **_):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setitem(ribbon.BUTTONS, "arRefresh", broken)
    click(book, "arRefresh")
    text = said(book)
    assert "Traceback" not in text and "ZeroDivisionError" not in text
    log = next((tmp_path / "arcollect-logs").iterdir())
    assert str(log) in text and "ZeroDivisionError: a bug" in log.read_text()
    assert book.app.status_bar is False


def test_a_button_of_another_version_says_so(book):
    click(book, "arSomethingNew")
    assert "unknown to arcollect" in said(book) and "arcollect addin install" in said(book)


def test_send_reports_a_message_left_uncertain_by_an_interrupted_send_and_does_not_send_it(book, tmp_path):
    from addin.mail.journal import SENDING, SendJournal
    from addin.mail.outbox import read_outbox

    click(book, "arDraft")
    outbox = tmp_path / "ar outbox"
    _, msg = read_outbox(outbox)[0]
    mid = str(msg["Message-ID"])
    history = book.sheets["History"].grid()
    row = next(r for r in history if mid in r)
    customer = row[history[0].index("Customer")]
    # what a kill while the server was taking it leaves: the intent, no answer
    SendJournal.beside(outbox).record(mid, ["ap@example.com"], NOW, {"customer": customer, "currency": "GBP",
                                                                     "level": 1}, SENDING)
    click(book, "arSend")
    text = said(book)
    assert f"Uncertain, not sent again: {customer}: the level 1 reminder in GBP of " in text
    assert "may already have gone" in text and f"log for {mid}, then click Resend uncertain" in text
    assert "or Mark uncertain as sent to record it as sent" in text and "arcollect send" not in text
    assert not [r for r in book.sheets["History"].grid() if mid in r and r[history[0].index("Action")] == "sent"]
