"""Issue 7's findings, each as the clerk meets it: the commands in the order a clerk runs them.

A real SMTP server (aiosmtpd on loopback) receives what is sent; the books
are real .xlsx files.
"""
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from addin.app import assess
from addin.cli import main
from addin.mail.outbox import read_draft
from addin.workbook.reader import read_book
from addin.workbook.template import build_workbook

AS_OF = date(2026, 11, 30)


def item(cid, name, doc, days, amount, currency="GBP", email=None):
    due = AS_OF - timedelta(days=days)
    return [cid, name, "Pat", email or f"ap@{cid.lower()}.example", "", doc, due - timedelta(days=30), due, amount,
            0, None, currency, "open", None, "business", "en", ""]


def history(book) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("History").to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def actions(book) -> list[dict]:
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("Actions").to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture
def pinned(tmp_path):
    """Settings pin the as-of date, as the old demo did."""
    rows = [item("C1", "Acme Ltd", "INV-1", 5, 100), item("C2", "Birch LLP", "INV-2", 8, 250)]
    return build_workbook(tmp_path / "book.xlsx", rows, settings={"From": "ar@northwind.example",
                                                                  "As-of date": AS_OF})


def test_send_withdraws_a_draft_whose_customer_promised_after_it_was_drafted(pinned, smtp_env, capsys):
    """Finding 2: the promise logged after drafting holds the customer at send time."""
    assert main(["run", str(pinned)]) == 0
    assert main(["log", str(pinned), "--customer", "Acme Ltd", "--outcome", "promise", "--date", "2026-12-07",
                 "--amount", "100.00"]) == 0
    capsys.readouterr()
    assert main(["send", str(pinned), "--approve-all"]) == 0
    out = capsys.readouterr().out
    assert "Withdrawn, not sent: Acme Ltd (GBP, level 2): hold: held until 2026-12-07" in out
    assert [m["X-Arcollect-Customer"] for _, _, m in smtp_env.messages] == ["C2"]
    rows = history(pinned)
    assert [r["Customer ID"] for r in rows if r["Action"] == "withdrawn"] == ["C1"]
    assert main(["send", str(pinned), "--approve-all"]) == 0  # the withdrawn draft stays unsent
    assert len(smtp_env.messages) == 1


def test_a_promise_logged_today_holds_the_next_run_although_settings_pin_an_earlier_date(pinned, capsys):
    """Finding 3: the History row is dated today, after the pinned as-of date; it still counts, and is said."""
    assert main(["log", str(pinned), "--customer", "Birch LLP", "--outcome", "dispute"]) == 0
    capsys.readouterr()
    assert main(["run", str(pinned)]) == 0
    out = capsys.readouterr().out
    assert "Counted 1 History event(s) logged after the as-of date 2026-11-30" in out
    assert [r["Customer"] for r in actions(pinned)] == ["Acme Ltd"]  # Birch is not on the worklist
    assert main(["age", str(pinned), "--json"]) == 0
    birch = next(c for c in json.loads(capsys.readouterr().out)["customers"] if c["customer"] == "Birch LLP")
    assert birch["action"] == "hold" and "dispute" in birch["reason"]


def test_a_customer_owing_in_two_currencies_gets_one_reminder_per_currency(tmp_path, smtp_env):
    """Finding 4: two drafts, two files, two approvals, two History keys, two messages sent."""
    rows = [item("C1", "Acme Ltd", "INV-1", 5, 100), item("C1", "Acme Ltd", "INV-2", 6, 200, "EUR")]
    book = build_workbook(tmp_path / "book.xlsx", rows, settings={"From": "ar@northwind.example"})
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    drafted = [r for r in history(book) if r["Action"] == "drafted"]
    assert sorted(r["Currency"] for r in drafted) == ["EUR", "GBP"]
    assert len({r["Document"] for r in drafted}) == len({r["Message ID"] for r in drafted}) == 2
    docs = {r["Currency"]: r["Document"] for r in actions(book)}
    assert docs == {"GBP": "book outbox/C1_GBP_L2_2026-11-30.eml", "EUR": "book outbox/C1_EUR_L2_2026-11-30.eml"}
    assert main(["send", str(book), "--approve-all"]) == 0
    assert sorted(str(m["X-Arcollect-Currency"]) for _, _, m in smtp_env.messages) == ["EUR", "GBP"]
    assert sorted(r["Currency"] for r in history(book) if r["Action"] == "sent") == ["EUR", "GBP"]


def test_history_amounts_are_read_in_their_own_currency(tmp_path):
    """Finding 5: a ¥10,000 payment on a GBP book is ¥10,000 and does not complete a ¥120,000 plan."""
    rows = [item("C1", "Acme KK", "INV-1", 5, 120000, "JPY")]
    paid = [["2026-11-20T10:00:00Z", "manual", "C1", "Acme KK", "JPY", "", None, "bank", "", "paid", "", None, None,
             10000, "clerk", "", ""]]
    plans = [["C1", "Acme KK", 120000, 0, 12, "monthly", date(2026, 11, 15), "JPY", "active"]]
    book = read_book(build_workbook(tmp_path / "jpy.xlsx", rows, history=paid, plans=plans))
    assert book.history["amount_minor"].tolist() == [10000]  # yen have no minor unit
    assert book.history["currency"].tolist() == ["JPY"]
    a = assess(tmp_path / "jpy.xlsx", AS_OF, today=AS_OF)
    assert a.plans.statuses["C1"] == "on track"


def test_rerunning_the_same_day_keeps_the_document_the_clerk_approves(tmp_path):
    """Finding 7: the second run drafts nothing new and the Actions sheet still links the draft."""
    book = build_workbook(tmp_path / "book.xlsx", [item("C1", "Acme Ltd", "INV-1", 5, 100)],
                          settings={"From": "ar@northwind.example"})
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    first = actions(book)[0]["Document"]
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    assert actions(book)[0]["Document"] == first == "book outbox/C1_GBP_L2_2026-11-30.eml"
    assert sum(r["Action"] == "drafted" for r in history(book)) == 1


def test_locale_is_honoured_for_log_amounts_tolerance_and_the_as_of_date(tmp_path, capsys):
    """Finding 9: in a de_DE book, 1.234,56 is 1234.56, Tolerance '5,00' is 5 and '30.11.2026' is a date."""
    rows = [item("C1", "Acme GmbH", "R-1", 5, 4.5, "EUR"), item("C2", "Birch AG", "R-2", 5, 2000, "EUR")]
    book = build_workbook(tmp_path / "de.xlsx", rows, settings={"Locale": "de_DE", "Currency": "EUR",
                                                                "Tolerance": "5,00", "As-of date": "30.11.2026"})
    b = read_book(book)
    assert (b.settings.tolerance, b.settings.as_of, b.problems) == (Decimal("5.00"), AS_OF, [])
    assert main(["log", str(book), "--customer", "Birch AG", "--outcome", "promise", "--date", "2026-12-10",
                 "--amount", "1.234,56"]) == 0
    assert "Logged promise 1,234.56 EUR" in capsys.readouterr().out
    assert history(book)[-1]["Promise Amount"] == 1234.56
    assert main(["age", str(book), "--json"]) == 0
    out = capsys.readouterr().out
    assert "balance 4.50 EUR below tolerance 5.00" in out


def test_a_run_past_the_rate_tables_checked_date_warns_once_naming_the_file(tmp_path, capsys):
    rows = [item("C1", "Acme Ltd", "INV-1", 40, 1000), item("C2", "Birch LLP", "INV-2", 50, 2000)]
    book = build_workbook(tmp_path / "book.xlsx", rows, settings={"Late interest rule": "uk-1998"})
    assert main(["age", str(book), "--as-of", "2026-11-30"]) == 0  # within what the table vouches for
    assert main(["age", str(book), "--as-of", "2027-03-01"]) == 1
    err = capsys.readouterr().err
    assert err.count("boe_bank_rate.csv (shipped with arcollect) is checked through 2026-06-30") == 1
    assert "book.xlsx:Settings!B" in err


def test_edited_templates_in_the_settings_folder_are_used(tmp_path, capsys):
    assert main(["templates", "export", str(tmp_path / "mine")]) == 0
    subject = tmp_path / "mine" / "letters" / "en" / "reminder.subject.j2"
    if not subject.exists():  # the export may lay the templates out at the top of the folder
        subject = tmp_path / "mine" / "en" / "reminder.subject.j2"
    subject.write_text("Edited: {{ customer }} owes {{ total_due|money }}", encoding="utf-8")
    folder = subject.parent.parent
    book = build_workbook(tmp_path / "book.xlsx", [item("C1", "Acme Ltd", "INV-1", 5, 100)],
                          settings={"From": "ar@northwind.example", "Templates folder": str(folder)})
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    draft = read_draft(tmp_path / "book outbox" / "C1_GBP_L2_2026-11-30.eml")
    assert draft["Subject"] == "Edited: Acme Ltd owes £100.00"
    missing = build_workbook(tmp_path / "other.xlsx", [item("C1", "Acme Ltd", "INV-1", 5, 100)],
                             settings={"Templates folder": "nowhere"})
    assert main(["age", str(missing)]) == 1
    assert 'Templates folder "nowhere" is not a folder' in capsys.readouterr().err
