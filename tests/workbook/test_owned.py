"""What arcollect owns it knows by the marks it writes: a user's sheet or column named like ours is the user's."""
from __future__ import annotations

import datetime as dt

import openpyxl
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.worksheet.table import Table
from python_calamine import CalamineWorkbook

from addin.workbook.package import Column, TierRule, XlsxPackage, read_marks
from tests.libreoffice import recalculate, require_soffice
from tests.xlsx_checks import check_package, members

FLAGS = ["Days Past Due", "Bucket", "Level"]
USER = ["Customer", "Invoice", "Due Date", "Amount", "Bucket", "Overdue days", "Level"]


def export_book(path, *, table=True):
    """An ERP-style export with its own Bucket, Overdue days and Level columns, and a sheet named Aging."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Receivables"
    ws.append(USER)
    for i in range(6):
        ws.append([f"C{i}", f"INV-{i}", dt.date(2026, 10, 1) + dt.timedelta(days=i), 100 + i, f"05 91-180 #{i}",
                   150 + i, f"L{i}"])
    if table:
        ws.add_table(Table(displayName="tblAR", ref="A1:G7"))
    aging = wb.create_sheet("Aging")
    aging.append(["My own aging notes"])
    aging.append(["keep me"])
    wb.save(path)
    return path


def cells(path, sheet):
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def flag(pk, rows=range(2, 8)):
    rows = list(rows)
    return pk.update_columns("Receivables", 1, FLAGS, rows, [[r * 10 for r in rows], ["91+"] * len(rows),
                                                             [r % 4 for r in rows]], tiers=TierRule())


def test_user_columns_named_like_ours_are_never_written(tmp_path):
    path = export_book(tmp_path / "export.xlsx")
    before = cells(path, "Receivables")
    for _ in range(2):                      # the second run finds its own columns by the mark
        with XlsxPackage.open(path) as pk:
            assert flag(pk) == ["H", "I", "J"]
            pk.save()
        check_package(path)
    data = cells(path, "Receivables")
    assert [r[:7] for r in data] == before
    assert data[0][7:] == ["Days Past Due", "Bucket (arcollect)", "Level (arcollect)"]
    assert data[1][7:] == [20, "91+", 2]
    ws = openpyxl.load_workbook(path)["Receivables"]
    assert ws.tables["tblAR"].ref == "A1:J7"
    assert read_marks(path).columns == {"Receivables": (8, 1, 10, 1)}


def test_columns_go_right_of_the_used_range_even_without_headers(tmp_path):
    path = export_book(tmp_path / "plain.xlsx", table=False)
    wb = openpyxl.load_workbook(path)
    wb["Receivables"]["I4"] = "a note without a header"
    wb.save(path)
    with XlsxPackage.open(path) as pk:
        assert flag(pk) == ["J", "K", "L"]
        pk.save()
    check_package(path)
    assert cells(path, "Receivables")[3][8] == "a note without a header"


def test_a_user_sheet_named_like_an_owned_sheet_is_kept(tmp_path):
    path = export_book(tmp_path / "export.xlsx")
    cols = [Column("Cell"), Column("Balance", fmt="money")]
    for n in (1, 2):
        with XlsxPackage.open(path) as pk:
            assert pk.write_sheet("Aging", cols, [["Receivables!D2", n]], table="Aging") == "Aging (arcollect)"
            assert pk.write_sheet("Errors", [Column("Cell"), Column("Problem")], []) == "Errors"
            pk.save()
        check_package(path)
    assert cells(path, "Aging") == [["My own aging notes"], ["keep me"]]
    assert cells(path, "Aging (arcollect)") == [["Cell", "Balance"], ["Receivables!D2", 2.0]]
    marks = read_marks(path)
    assert marks.sheet("Aging") == "Aging (arcollect)" and marks.sheet("Errors") == "Errors"


def test_marks_survive_a_libreoffice_save(tmp_path):
    require_soffice()
    path = export_book(tmp_path / "export.xlsx")
    with XlsxPackage.open(path) as pk:
        flag(pk)
        pk.write_sheet("Aging", [Column("Cell")], [["x"]])
        pk.save()
    saved = recalculate([path], tmp_path / "lo")[0]
    assert read_marks(saved) == read_marks(path)
    n_sheets = len(CalamineWorkbook.from_path(str(saved)).sheet_names)
    with XlsxPackage.open(saved) as pk:       # the same columns and sheet again, marks hidden again
        assert flag(pk) == ["H", "I", "J"]
        assert pk.write_sheet("Aging", [Column("Cell")], [["y"]]) == "Aging (arcollect)"
        pk.save()
    check_package(saved)
    assert len(CalamineWorkbook.from_path(str(saved)).sheet_names) == n_sheets
    assert b'hidden="1"' in members(saved)["xl/workbook.xml"]
    assert cells(saved, "Receivables")[0][7:] == ["Days Past Due", "Bucket (arcollect)", "Level (arcollect)"]
    recalculate([saved], tmp_path / "lo2")


def old_arcollect_book(path, *, coloured):
    """A book flagged by an arcollect from before the marks: our headers last, and (maybe) our tier colours."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Receivables"
    ws.append(["Customer", "Due Date", "Amount", *FLAGS])
    for i in range(3):
        ws.append([f"C{i}", dt.date(2026, 10, 1), 10, 40 + i, "31-60", 2])
    if coloured:
        ws.conditional_formatting.add("D2:F4", FormulaRule(formula=["AND(ISNUMBER($D2),$D2>30)"],
                                                           fill=PatternFill("solid", start_color="FFEB9C")))
    aging = wb.create_sheet("Aging")
    aging.append(["Cell", "Balance"])
    aging.append(["Receivables!C2", 10])
    wb.save(path)
    return path


def test_books_written_before_the_marks(tmp_path):
    old = old_arcollect_book(tmp_path / "old.xlsx", coloured=True)
    with XlsxPackage.open(old) as pk:
        assert flag(pk, range(2, 5)) == ["D", "E", "F"]            # our headers and our colours: ours
        assert pk.write_sheet("Aging", [Column("Cell"), Column("Balance")], [["Receivables!C3", 5]]) == "Aging"
        pk.save()
    check_package(old)
    data = cells(old, "Receivables")
    assert data[0] == ["Customer", "Due Date", "Amount", *FLAGS] and data[1][3:] == [20, "91+", 2]
    assert cells(old, "Aging")[1] == ["Receivables!C3", 5]
    ws = openpyxl.load_workbook(old)["Receivables"]
    assert len(list(ws.conditional_formatting)) == 1                 # ours replaced, not doubled

    plain = old_arcollect_book(tmp_path / "plain.xlsx", coloured=False)
    with XlsxPackage.open(plain) as pk:
        assert flag(pk, range(2, 5)) == ["G", "H", "I"]            # same headers, no colours: the user's
        pk.save()
    check_package(plain)
    assert cells(plain, "Receivables")[1][3:6] == [40, "31-60", 2]


def test_opening_without_saving_leaves_the_book_untouched(tmp_path):
    """What the use cases rely on when the reader finds nothing to do (no receivables): no write happens first."""
    path = export_book(tmp_path / "export.xlsx")
    before = path.read_bytes()
    with XlsxPackage.open(path) as pk:
        pk.marks()
        pk.write_sheet("Summary", [Column("Bucket")], [["Current"]])   # prepared, never saved
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.xlsx"]


def test_a_history_arcollect_starts_is_the_clerks(tmp_path):
    path = export_book(tmp_path / "export.xlsx")
    with XlsxPackage.open(path) as pk:
        pk.append_rows("History", [Column("Customer"), Column("Action")], [["C1", "drafted"]])
        pk.save()
    check_package(path)
    assert cells(path, "History") == [["Customer", "Action"], ["C1", "drafted"]]
    assert read_marks(path).sheets == {}
