"""The close's figures on real workbooks through the CLI: how items leave the open set, what changed for
customers between two closes and since the last run, and Actions ordered by the close's payment risk."""
import json
from datetime import date

import pytest

from addin.cli import main
from addin.workbook.template import build_workbook, receivables_book
from tests.app.test_close import contact, pay, row, sheet


def cli(*args, capsys):
    status = main([*map(str, args)])
    out = capsys.readouterr()
    return status, (json.loads(out.out) if out.out.strip().startswith("{") else out.out), out.err


def paid(ts, cid, name, amount):
    """A payment logged in History by hand."""
    return [ts, "manual", cid, name, "GBP", "", None, "", "", "paid", "", None, None, amount, "", "", ""]


def promise(ts, cid, name, on):
    """A promise to pay logged in History by hand."""
    return [ts, "manual", cid, name, "GBP", "", None, "phone", "", "promise", "", date.fromisoformat(on), 100.0,
            None, "", "", ""]


@pytest.fixture
def book(tmp_path):
    return make_book(tmp_path)


def make_book(tmp_path, history=()):
    rows = [row("C1", "Acme Ltd", "INV-1", "2026-09-20", "2026-10-20", 1000.00),         # row 2: paid in Nov
            row("C2", "Birch GmbH", "INV-2", "2026-08-15", "2026-09-15", 600.00, 200.00, "2026-10-05"),  # row 3
            row("C3", "Cobalt plc", "INV-3", "2026-10-01", "2026-10-31", 450.00),        # row 4: voided in Nov
            row("C4", "Dune & Co", "INV-4", "2026-10-10", "2026-11-09", 300.00)]         # row 5: open
    plans = [["C1", "Acme Ltd", 300.00, 0, 3, "monthly", date(2026, 10, 1), "GBP", "active"],   # paid off in Nov
             ["C4", "Dune & Co", 300.00, 0, 3, "monthly", date(2026, 10, 1), "GBP", "active"]]  # never paid
    history = [paid("2026-10-01T09:00:00Z", "C1", "Acme Ltd", 100.00),
               paid("2026-11-01T09:00:00Z", "C1", "Acme Ltd", 100.00),
               paid("2026-11-20T09:00:00Z", "C1", "Acme Ltd", 100.00), *history]
    return build_workbook(tmp_path / "book.xlsx", rows, history=history, plans=plans)


def test_a_paid_a_written_off_and_a_voided_item_and_a_credit_note_each_land_in_their_own_column(book, capsys):
    assert cli("close", book, "--as-of", "2026-10-31", "--json", "--no-thank-you", capsys=capsys)[0] == 0
    pay(book, {"J2": 1000.0, "K2": date(2026, 11, 12), "M2": "Paid",             # INV-1 paid in full
               "M3": "Written off",                                               # INV-2's 400 left written off
               "M4": "Void",                                                      # INV-3 cancelled
               "A6": "C4", "B6": "Dune & Co", "F6": "CN-4", "G6": date(2026, 11, 18), "H6": date(2026, 11, 18),
               "I6": -50.0, "L6": "GBP", "M6": "open"})                           # a credit note in November
    status, out, _ = cli("close", book, "--as-of", "2026-11-30", "--json", "--no-thank-you", capsys=capsys)
    assert status == 0
    assert out["rollforward"] == {"opening": "2150.00", "invoiced": "0.00", "received": "1000.00",
                                  "credited": "500.00", "written_off": "400.00", "closing": "250.00",
                                  "difference": "0.00", "unexplained_items": 0}
    changed = {r[3]: (r[0], r[6:9]) for r in sheet(book, "What Changed")[1:] if r[3].startswith(("INV", "CN"))}
    assert changed == {"INV-1": ("settled", [1000.0, 0.0, 0.0]), "INV-2": ("written off", [0.0, 0.0, 400.0]),
                       "INV-3": ("voided or credited", [0.0, 450.0, 0.0]), "CN-4": ("new", [0.0, 50.0, 0.0])}
    periods = sheet(book, "Close Periods")
    head = periods[0]
    nov = next(r for r in periods[1:] if r[0] == "2026-11")
    assert [nov[head.index(h)] for h in ("Received", "Credited", "Written Off")] == [1000.0, 500.0, 400.0]


def test_an_item_paid_after_the_as_of_date_is_open_at_it_in_the_aging_and_the_close(book, capsys):
    pay(book, {"J2": 1000.0, "K2": date(2026, 12, 3), "M2": "paid"})              # paid after 30 November
    status, aged, _ = cli("age", book, "--as-of", "2026-11-30", "--json", capsys=capsys)
    assert "INV-1" in {i["document"] for i in aged["invoices"]} and aged["totals"]["Total"] == "2150.00"
    status, out, _ = cli("close", book, "--as-of", "2026-11-30", "--json", "--no-thank-you", capsys=capsys)
    assert out["rollforward"]["closing"] == aged["totals"]["Total"] and out["rollforward"]["written_off"] == "0.00"
    assert "INV-1" in {r[3] for r in sheet(book, "Close 2026-11")[1:]}
    status, dec, _ = cli("close", book, "--as-of", "2026-12-31", "--json", capsys=capsys)
    assert (dec["rollforward"]["received"], dec["rollforward"]["written_off"]) == ("1000.00", "0.00")


def test_a_closed_date_column_says_when_a_write_off_happened(tmp_path, capsys):
    path = receivables_book(tmp_path / "export.xlsx", ["Customer", "Invoice", "Due Date", "Amount", "Status",
                                                       "Closed Date"],
                            [["Acme Ltd", "INV-1", date(2026, 9, 30), 700.0, "Bad debt", date(2026, 12, 4)],
                             ["Birch GmbH", "INV-2", date(2026, 10, 15), 90.0, "Written off", date(2026, 11, 2)],
                             ["Cobalt plc", "INV-3", date(2026, 11, 10), 120.0, "Open", None]])
    status, aged, _ = cli("age", path, "--as-of", "2026-11-30", "--json", capsys=capsys)
    assert [i["document"] for i in aged["invoices"]] == ["INV-1", "INV-3"]      # INV-2 was closed by then
    status, out, _ = cli("close", path, "--as-of", "2026-11-30", "--json", capsys=capsys)
    assert out["rollforward"]["written_off"] == "90.00" and out["rollforward"]["closing"] == "820.00"
    status, dec, _ = cli("close", path, "--as-of", "2026-12-31", "--json", capsys=capsys)
    assert dec["rollforward"]["written_off"] == "700.00" and dec["rollforward"]["closing"] == "120.00"


def test_what_changed_lists_plans_completed_or_broken_and_what_history_logged_since_the_last_run(book, capsys):
    assert cli("close", book, "--as-of", "2026-10-31", "--json", "--no-thank-you", capsys=capsys)[0] == 0
    assert cli("run", book, "--as-of", "2026-11-27", capsys=capsys)[0] in (0, 1)
    assert cli("log", book, "--customer", "C2", "--outcome", "promise", "--date", "2026-12-15", "--amount", "400",
               capsys=capsys)[0] == 0
    status, out, _ = cli("close", book, "--as-of", "2026-11-30", "--json", "--no-thank-you", capsys=capsys)
    changed = sheet(book, "What Changed")[1:]
    plans = [(r[0], r[1], r[3], r[11]) for r in changed if r[0].startswith("plan")]
    assert plans == [("plan completed", "Acme Ltd", "Plans row 2", "on track at the previous close, completed now"),
                     ("plan broken", "Dune & Co", "Plans row 3", "late at the previous close, broken now")]
    kinds = [r[0] for r in changed]
    assert {k: v for k, v in out["changed"].items() if k != "last_run"} == {
        "levels_up": kinds.count("level up"), "levels_down": kinds.count("level down"), "plans_completed": 1,
        "plans_broken": 1, "since_last_run": 1, "worklist_changed": 1}
    assert out["changed"]["last_run"].startswith("run-20261127-")
    since = [r for r in changed if r[0].startswith("since the last run")]
    assert [(r[0], r[1], r[4]) for r in since] == [("since the last run: promise", "Birch GmbH", 400.0),
                                                   ("since the last run: worklist", "Birch GmbH", "")]
    assert since[0][11].startswith("History row ") and "(after run-20261127-" in since[0][11]
    assert since[1][11].startswith("contact at level 2 at the last run, hold now: held until 2026-12-15")


def test_actions_are_ordered_by_the_last_close_s_payment_risk(tmp_path, capsys):
    # Dune & Co is the least overdue but broke two promises: 7 + 20 points puts it second, not last
    book = make_book(tmp_path, [promise("2026-11-01T10:00:00Z", "C4", "Dune & Co", "2026-11-05"),
                                promise("2026-11-12T10:00:00Z", "C4", "Dune & Co", "2026-11-16")])
    assert cli("run", book, "--as-of", "2026-11-30", "--no-drafts", capsys=capsys)[0] in (0, 1)
    before = sheet(book, "Actions")
    head = before[0]
    assert head[-2:] == ["Risk", "Risk Why"]
    assert all(r[head.index("Risk Why")].startswith("at this run (no close yet): ") for r in before[1:])
    assert cli("close", book, "--as-of", "2026-11-30", "--json", "--no-thank-you", capsys=capsys)[0] == 0
    risk = sheet(book, "Payment Risk")
    assert risk[0] == ["Customer Key", "Customer", "Currency", "Score", "Why", "Level", "Next Action", "Period"]
    scores = [r[3] for r in risk[1:]]
    assert scores == sorted(scores, reverse=True) and {r[7] for r in risk[1:]} == {"2026-11"}
    assert cli("run", book, "--as-of", "2026-12-02", "--no-drafts", capsys=capsys)[0] in (0, 1)
    actions = sheet(book, "Actions")
    by_key = {r[0]: (r[3], r[4]) for r in risk[1:]}
    contact = [r for r in actions[1:] if r[head.index("Action")] == "contact"]
    assert [(r[1], r[head.index("Risk")]) for r in contact] == [
        ("Birch GmbH", 39), ("Dune & Co", 27), ("Acme Ltd", 14), ("Cobalt plc", 10)]
    assert "broke 2 of 2 promise(s) to pay" in contact[1][head.index("Risk Why")]
    for r in actions[1:]:
        score, why = by_key[r[0]]
        assert (r[head.index("Risk")], r[head.index("Risk Why")]) == (score, f"close 2026-11: {why}")
