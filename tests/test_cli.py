"""The command line as a clerk or a scheduler uses it: output, files, exit status."""
import json
import shutil
from datetime import date, timedelta

import pytest
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.app.demo import run_demo, write_demo_book

DEMO_AS_OF = date(2026, 11, 30)
from addin.workbook.template import build_workbook
from tests.xlsx_checks import check_package, members

AS_OF = date(2026, 11, 30)


def receivable(cid, name, doc, days, amount, paid=0, currency="GBP", status="open", email=""):
    due = AS_OF - timedelta(days=days)
    return [cid, name, "", email, "", doc, due - timedelta(days=30), due, amount, paid, None, currency, status,
            None, "business", "en", ""]


@pytest.fixture
def book(tmp_path):
    rows = [receivable("C1", "Acme Ltd", "INV-1", 45, 1200.50, 200.25, email="ann@acme.example"),
            receivable("C1", "Acme Ltd", "INV-2", -3, 99.99),
            receivable("C2", "Birch GmbH", "R-9", 5, 300, currency="EUR", email="ap@birch.example"),
            receivable("C3", "Cobalt plc", "INV-3", 100, 2.5)]
    return build_workbook(tmp_path / "book.xlsx", rows)


def test_age_json_has_the_documented_shape(book, capsys):
    assert main(["age", str(book), "--as-of", "2026-11-30", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == "2026-11-30"
    first = out["invoices"][0]
    assert first == {"cell": "Receivables!F2", "customer": "Acme Ltd", "document": "INV-1", "currency": "GBP",
                     "due_date": "2026-10-16", "balance": "1000.25", "days_past_due": 45, "bucket": "31-60"}
    assert out["totals"] == {"Current": "99.99", "1-30": "0.00", "31-60": "1000.25", "61-90": "0.00",
                             "91+": "2.50", "Unapplied": "0.00", "Total": "1102.74"}
    assert out["totals_by_currency"]["EUR"]["1-30"] == "300.00"
    acme = next(c for c in out["customers"] if c["customer"] == "Acme Ltd")
    assert acme == {"customer": "Acme Ltd", "currency": "GBP", "balance": "1100.24", "overdue": "1000.25",
                    "level": 2, "action": "contact", "reason": "INV-1 45 days past due; one level per run (due level 4)"}
    cobalt = next(c for c in out["customers"] if c["customer"] == "Cobalt plc")
    assert cobalt["action"] == "none" and "below tolerance" in cobalt["reason"]
    assert out["errors"] == []


def test_age_summary_is_a_readable_table(book, capsys):
    assert main(["age", str(book), "--as-of", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    assert "Receivables aged as of 2026-11-30 (4 open items, 3 customers)" in out
    assert "31-60" in out and "1,000.25" in out


def test_input_problems_exit_1_and_go_to_stderr(tmp_path, capsys):
    rows = [receivable("C1", "Acme Ltd", "INV-1", 10, 50)]
    rows.append(receivable("C1", "Acme Ltd", "INV-2", 10, 50))
    rows[1][7] = "TBD"
    path = build_workbook(tmp_path / "bad.xlsx", rows)
    assert main(["age", str(path), "--as-of", "2026-11-30"]) == 1
    assert capsys.readouterr().err.strip() == 'bad.xlsx:Receivables!H3: due date "TBD" is not a date'


@pytest.mark.parametrize("args", [["age", "missing.xlsx"], ["age", "x.xlsx", "--as-of", "30/11/2026"],
                                  ["frobnicate"]])
def test_nothing_could_be_done_exits_2(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2


def test_unreadable_book_exits_2(tmp_path, capsys):
    (tmp_path / "junk.xlsx").write_bytes(b"PK\x03\x04 not really")
    assert main(["age", str(tmp_path / "junk.xlsx")]) == 2
    assert "junk.xlsx is damaged: its zip directory is missing" in capsys.readouterr().err


def test_run_refuses_a_book_open_in_excel_and_leaves_it_untouched(book, capsys):
    (book.parent / f"~${book.name}").write_bytes(b"owner")
    before = book.read_bytes()
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 2
    assert "open in Excel" in capsys.readouterr().err
    assert book.read_bytes() == before


def test_run_writes_owned_sheets_and_flags_and_keeps_the_rest(book):
    before = members(book)
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    check_package(book)
    wb = CalamineWorkbook.from_path(str(book))
    assert wb.sheet_names[-4:] == ["Summary", "Actions", "Aging", "Errors"]
    rec = wb.get_sheet_by_name("Receivables").to_python()
    assert rec[0][-3:] == ["Days Past Due", "Bucket", "Level"]
    # Level is the level the customer is contacted at now (one step per run: 2), as the Next Action says
    assert rec[1][-3:] == [45.0, "31-60", 2.0]
    actions = wb.get_sheet_by_name("Actions").to_python()
    assert [r[1] for r in actions[1:]] == ["Acme Ltd", "Birch GmbH"]
    aging = wb.get_sheet_by_name("Aging").to_python()
    assert len(aging) == 5 and aging[1][0] == "Receivables!F2"
    for name in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml"):
        assert members(book)[name] == before[name], name  # Customers, Settings, Policy untouched
    # a second run replaces, never duplicates
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 0
    check_package(book)
    wb = CalamineWorkbook.from_path(str(book))
    assert wb.sheet_names.count("Aging") == 1
    assert wb.get_sheet_by_name("Receivables").to_python()[0][-3:] == ["Days Past Due", "Bucket", "Level"]


def test_demo_book_runs_end_to_end(tmp_path, capsys):
    path = write_demo_book(tmp_path, DEMO_AS_OF)
    copy = tmp_path / "copy.xlsx"
    shutil.copyfile(path, copy)
    assert main(["run", str(copy), "--as-of", DEMO_AS_OF.isoformat()]) == 1  # the demo has bad cells on purpose
    err = capsys.readouterr().err
    assert 'Receivables!H5: due date "TBD" is not a date' in err
    check_package(copy)
    errors = CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("Errors").to_python()
    assert len(errors) == 5


def test_the_demo_walks_the_clerks_day_and_withdraws_the_held_customers(tmp_path):
    """run → approve → promise and dispute logged → send (to a catcher on loopback) → run again."""
    lines = []
    assert run_demo(tmp_path, DEMO_AS_OF, lines.append) == 0
    out = "\n".join(lines)
    withdrawn = out.split("withdrawn, not sent:")[1].split("6.")[0]
    assert "hold: held until 2026-12-07: promise to pay" in withdrawn
    assert "hold: dispute logged in History" in withdrawn
    delivered = sorted((tmp_path / "delivered").glob("*.eml"))
    assert delivered and f"sent {len(delivered)} to the demo mail catcher" in out
    history = CalamineWorkbook.from_path(str(tmp_path / "collections-demo.xlsx")).get_sheet_by_name("History")
    rows = history.to_python()
    action, mid = rows[0].index("Action"), rows[0].index("Message ID")
    sent = [r[mid] for r in rows[1:] if r[action] == "sent" and r[mid]]  # the demo data has older sends
    assert len(sent) == len(set(sent)) == len(delivered)  # each delivered once, each logged once
    assert sum(r[action] == "withdrawn" for r in rows[1:]) == 2
    after = out.split("6.")[1]
    assert after.count(": hold: ") == 2


def test_age_says_once_how_it_read_columns_it_recognised_and_that_init_sets_the_book_up(tmp_path, capsys):
    rows = [["Document_Ref", "Client", "pduedate", "Outstanding value"], ["D-1", "Acme", date(2026, 10, 1), 120.5],
            ["D-2", "Birch", date(2026, 11, 20), 80]]
    from openpyxl import Workbook
    wb = Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "my export.xlsx")
    assert main(["age", str(tmp_path / "my export.xlsx"), "--as-of", "2026-11-30"]) == 0
    out = capsys.readouterr().out
    assert out.count("Receivables read from sheet") == 1
    assert '"pduedate"  (token)' in out and '"Outstanding value"  (token)' in out
    assert 'Run `arcollect init "my export.xlsx"`' in out
