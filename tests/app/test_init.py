"""`arcollect init`: a clerk's workbook (or a CSV export) set up for collections, nothing of theirs changed."""
from __future__ import annotations

import datetime as dt

import openpyxl
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from addin.cli import main
from addin.workbook.template import policy_rows
from tests.libreoffice import recalculate, require_soffice
from tests.xlsx_checks import assert_unchanged_except, check_package, members

SET_UP = ["Settings", "Policy", "Customers", "History", "Plans"]
REGISTRY = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


def clerk_book(path):
    """A clerk's own workbook: open items in euros with contact details, and a notes sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Open items"
    ws.append(["Customer ID", "Customer", "Email", "Invoice #", "Due Date", "Open Balance", "Currency"])
    for i, (cid, name) in enumerate([("K1", "Kessel GmbH"), ("K2", "Lindqvist AB"), ("K1", "Kessel GmbH")]):
        ws.append([cid, name, f"ap@{cid.lower()}.example", f"R-{i}", dt.date(2026, 10, 1 + i), 100.5 + i, "EUR"])
    ws.add_table(Table(displayName="Items", ref="A1:G4"))
    wb.create_sheet("Notes").append(["call Kessel on Monday"])
    wb.save(path)
    return path


def sheet(path, name):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name).to_python()


def test_init_adds_the_sheets_and_keeps_everything_else(tmp_path, capsys):
    book = clerk_book(tmp_path / "ar.xlsx")
    before = members(book)
    assert main(["init", str(book)]) == 0
    out = capsys.readouterr().out
    assert "Added Settings, Policy, Customers, History, Plans to ar.xlsx" in out and "Company name" in out
    check_package(book)
    assert_unchanged_except(before, book, REGISTRY)
    names = CalamineWorkbook.from_path(str(book)).sheet_names
    assert names == ["Open items", "Notes", *SET_UP]
    settings = {r[0]: r[1] for r in sheet(book, "Settings")[1:]}
    assert settings["Currency"] == "EUR" and settings["Locale"] == "en_GB"
    assert settings["Company name"] == "" and settings["From"] == ""
    assert settings["Tolerance"] == 5.0 and settings["Bucket edges"] == "0, 30, 60, 90"
    customers = sheet(book, "Customers")
    assert customers[0][:4] == ["Customer ID", "Customer", "Contact Name", "Email"]
    assert [r[:4] for r in customers[1:]] == [["K1", "Kessel GmbH", "", "ap@k1.example"],
                                               ["K2", "Lindqvist AB", "", "ap@k2.example"]]
    assert len(sheet(book, "Policy")) == len(policy_rows()) + 1
    assert sheet(book, "Policy")[1][:6] == [float(v) if isinstance(v, int) else v for v in policy_rows()[0][:6]]
    assert sheet(book, "History")[0][0] == "Timestamp (UTC)"
    wb = openpyxl.load_workbook(book)
    assert set(wb["Customers"].tables) == {"Customers"} and set(wb["History"].tables) == {"History"}
    # the book reads as before, now with its Settings; a second init changes nothing
    assert main(["age", str(book), "--as-of", "2026-11-30", "--json"]) == 0
    capsys.readouterr()
    after = book.read_bytes()
    assert main(["init", str(book)]) == 0
    assert "Already there, left as they are: Settings, Policy, Customers, History, Plans" in capsys.readouterr().out
    assert book.read_bytes() == after


def test_init_leaves_existing_sheets_alone(tmp_path, capsys):
    book = clerk_book(tmp_path / "ar.xlsx")
    wb = openpyxl.load_workbook(book)
    wb.create_sheet("settings").append(["Currency", "GBP"])
    wb.save(book)
    assert main(["init", str(book)]) == 0
    out = capsys.readouterr().out
    assert "Added Policy, Customers, History, Plans" in out and "left as they are: Settings" in out
    check_package(book)
    assert sheet(book, "settings") == [["Currency", "GBP"]]


def test_init_from_a_csv_export(tmp_path, capsys):
    csv = tmp_path / "export.csv"
    csv.write_text("Customer;Invoice No;Due Date;Amount;Account #\n"
                   "Acme Ltd;INV-1;2026-10-16;1200.50;00042\n"
                   "Birch GmbH;INV-2;2026-11-25;300;00043\n", encoding="utf-8-sig")
    book = tmp_path / "collections.xlsx"
    assert main(["init", "--from", str(csv), str(book)]) == 0
    out = capsys.readouterr().out
    assert "Made collections.xlsx from export.csv: a Receivables table of 2 row(s)" in out
    check_package(book)
    assert CalamineWorkbook.from_path(str(book)).sheet_names == ["Receivables", *SET_UP]
    assert sheet(book, "Receivables") == [["Customer", "Invoice No", "Due Date", "Amount", "Account #"],
                                          ["Acme Ltd", "INV-1", "2026-10-16", 1200.5, "00042"],
                                          ["Birch GmbH", "INV-2", "2026-11-25", 300.0, "00043"]]
    assert openpyxl.load_workbook(book)["Receivables"].tables["Receivables"].ref == "A1:E3"
    assert [r[1] for r in sheet(book, "Customers")[1:]] == ["Acme Ltd", "Birch GmbH"]
    # an existing book is never overwritten by --from
    assert main(["init", "--from", str(csv), str(book)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_books_set_up_open_in_libreoffice(tmp_path):
    require_soffice()
    book = clerk_book(tmp_path / "ar.xlsx")
    assert main(["init", str(book)]) == 0
    out = recalculate([book], tmp_path / "lo")[0]
    assert CalamineWorkbook.from_path(str(out)).sheet_names[-5:] == SET_UP
