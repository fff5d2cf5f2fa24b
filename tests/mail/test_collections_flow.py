"""The clerk's day from the command line: refresh and draft, approve, send, log a call, re-run.

A real SMTP server (aiosmtpd on loopback) receives what is sent.
"""
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.core.model import HISTORY_COLUMNS
from addin.workbook.template import build_workbook
from tests.xlsx_checks import check_package

AS_OF = date(2026, 11, 30)


def row(cid, name, doc, days, amount, email):
    due = AS_OF - timedelta(days=days)
    return [cid, name, "Pat", email, "+44 20 7946 0000", doc, due - timedelta(days=30), due, amount, 0, None,
            "GBP", "open", None, "business", "en", ""]


@pytest.fixture
def book(tmp_path):
    rows = [row("C1", "Acme Ltd", "INV-1", 5, 100, "ap@acme.example"),
            row("C2", "Birch LLP", "INV-2", 8, 250.5, "ap@birch.example"),
            row("C3", "Cobalt plc", "INV-3", 3, 80, "ap@cobalt.example"),
            row("C4", "Delta plc", "INV-4", 9, 99, "not-an-address")]
    path = build_workbook(tmp_path / "book.xlsx", rows, settings={"From": "ar@northwind.example"})
    wb = load_workbook(path)  # the test's own new file: a name that looks like a formula, stored as text
    cell = wb["Receivables"]["B4"]
    cell.value, cell.data_type = '=HYPERLINK("x")', "s"
    wb.save(path)
    return path
ACTION, DOCUMENT, MESSAGE_ID = (HISTORY_COLUMNS.index(h) for h in ("Action", "Document", "Message ID"))


def history(book):
    """History rows as lists in HISTORY_COLUMNS order, whatever order the sheet has."""
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("History").to_python()
    at = {h: i for i, h in enumerate(rows[0])}
    return [[r[at[h]] if h in at else "" for h in HISTORY_COLUMNS] for r in rows[1:]]


def test_draft_approve_send_exactly_once(book, smtp_env, capsys):
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1  # Delta's address is reported
    err = capsys.readouterr().err
    assert "book.xlsx:Receivables!D5: email 'not-an-address' is not a valid address" in err
    check_package(book)
    drafted = [r for r in history(book) if r[ACTION] == "drafted"]
    assert sorted(r[2] for r in drafted) == ["C1", "C2", "C3"]
    outbox = book.parent / "book outbox"
    assert len(list(outbox.glob("*.eml"))) == 3
    assert all(r[DOCUMENT].endswith(".eml") and r[MESSAGE_ID].startswith("<ar.20261130.L2.") for r in drafted)
    assert [r[3] for r in drafted if r[2] == "C3"] == ['=HYPERLINK("x")']  # a name from a cell stays text

    # the same run again the same day drafts and logs nothing new
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    assert len(history(book)) == 3

    # nothing is sent before approval
    assert main(["send", str(book)]) == 0
    assert smtp_env.messages == [] and "3 draft(s) waiting for approval" in capsys.readouterr().out

    assert main(["send", str(book), "--approve-all"]) == 0
    assert sorted(to for _, (to,), _ in smtp_env.messages) == ["ap@acme.example", "ap@birch.example",
                                                               "ap@cobalt.example"]
    msg = smtp_env.messages[0][2]
    assert msg["X-Unsent"] is None and msg["From"].addresses[0].addr_spec == "ar@northwind.example"
    assert msg.get_body(("plain",)).get_content().count("INV-") >= 1
    sent = [r for r in history(book) if r[ACTION] == "sent"]
    assert len(sent) == 3 and {r[MESSAGE_ID] for r in sent} == {r[MESSAGE_ID] for r in history(book) if r[ACTION] == "drafted"}

    # sending again sends nothing
    assert main(["send", str(book), "--approve-all"]) == 0
    assert len(smtp_env.messages) == 3
    check_package(book)


def test_a_connection_dropped_during_data_holds_the_message_until_the_clerk_has_it_resent(book, smtp_env, capsys):
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    smtp_env.drop_on = {2}  # the server drops message 2 during DATA without keeping it
    assert main(["send", str(book), "--approve-all"]) == 1  # the batch stopped early: said, exit 1
    first = len(smtp_env.messages)
    assert first == 1 and len([r for r in history(book) if r[ACTION] == "sent"]) == 1
    assert main(["send", str(book), "--approve-all"]) == 1  # message 3 goes; message 2 is held, and said so
    out = capsys.readouterr().out
    assert len(smtp_env.messages) == 2 and "Uncertain, not sent again: " in out and "may already have gone" in out
    assert main(["send", str(book), "--approve-all", "--resend-uncertain"]) == 0  # not in the mailbox: again
    ids = smtp_env.ids()
    assert len(ids) == 3 and len(set(ids)) == 3  # nothing lost, nothing doubled
    assert main(["send", str(book), "--approve-all"]) == 0 and "Uncertain" not in capsys.readouterr().out


def test_log_a_promise_holds_the_customer_then_a_missed_promise_resumes(book, capsys):
    assert main(["log", str(book), "--customer", "Acme Ltd", "--outcome", "promise", "--date", "2026-12-05",
                 "--amount", "100.00"]) == 0
    rows = history(book)
    row = dict(zip(HISTORY_COLUMNS, rows[-1]))
    assert (row["Action"], row["Promise Date"], row["Promise Amount"]) == ("promise", date(2026, 12, 5), 100.0)
    assert main(["age", str(book), "--as-of", "2026-12-01", "--json"]) == 0
    assert "held until 2026-12-05: promise to pay 100.00 GBP by 2026-12-05" in capsys.readouterr().out
    assert main(["age", str(book), "--as-of", "2026-12-08", "--json"]) == 0
    assert "missed promise to pay 100.00 GBP by 2026-12-05" in capsys.readouterr().out


def test_log_rejects_an_unknown_customer(book, capsys):
    assert main(["log", str(book), "--customer", "Nobody", "--outcome", "note"]) == 2
    assert 'no customer "Nobody"' in capsys.readouterr().err


def test_only_rows_approved_on_the_actions_sheet_are_sent_and_approvals_survive_a_refresh(book, smtp_env):
    from addin.workbook.package import XlsxPackage

    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    actions = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Actions").to_python()
    header = actions[0]
    row = next(i for i, r in enumerate(actions) if r[1] == "Birch LLP") + 1
    approve = "ABCDEFGHIJKLMNOPQR"[header.index("Approve")]
    pkg = XlsxPackage.open(book)  # the clerk ticks Approve for Birch only
    pkg.set_values("Actions", {f"{approve}{row}": "yes"})
    pkg.save()
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    actions = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Actions").to_python()
    assert [r[1] for r in actions if r[header.index("Approve")] == "yes"] == ["Birch LLP"]
    assert main(["send", str(book)]) == 0
    assert [to for _, (to,), _ in smtp_env.messages] == ["ap@birch.example"]


def test_drafts_are_found_whatever_folder_the_commands_run_from(book, smtp_env, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path.parent)
    relative = f"{tmp_path.name}/{book.name}"
    assert main(["run", relative, "--as-of", "2026-11-30"]) == 1
    assert {r[DOCUMENT] for r in history(book) if r[ACTION] == "drafted"} <= {
        f"book outbox/{n}" for n in ("C1_GBP_L2_2026-11-30.eml", "C2_GBP_L2_2026-11-30.eml", "C3_GBP_L2_2026-11-30.eml")}
    monkeypatch.chdir(tmp_path)
    assert main(["send", book.name, "--approve-all"]) == 0
    assert len(smtp_env.messages) == 3


def test_send_without_an_smtp_host_says_so_and_sends_nothing(book, monkeypatch, capsys):
    monkeypatch.delenv("ARCOLLECT_SMTP_HOST", raising=False)
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    assert main(["send", str(book), "--approve-all"]) == 2
    assert "no SMTP host" in capsys.readouterr().err
    assert not [r for r in history(book) if r[ACTION] in ("sent", "failed")]
