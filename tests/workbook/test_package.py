"""The lossless writer: owned parts change, everything else stays byte-identical.

Books are built here with openpyxl (the tests' own files), then patched at the XML level to add what
openpyxl cannot write: cached formula values, shared strings, a calcChain, a text-box shape, a sparkline
extLst, a vbaProject.bin, the 1904 date system.
"""
from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo
from python_calamine import CalamineWorkbook

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from xlsx_checks import assert_unchanged_except, check_package, members  # noqa: E402

from addin.workbook.package import (BookLocked, BookUnreadable, Chart, Column, Formula, Link,  # noqa: E402
                                    TierRule, XlsxPackage)

N = 20
AMOUNTS = [Decimal("100.50") * (i + 1) for i in range(N)]
TOTAL = sum(AMOUNTS)
HEADERS = ["Customer", "Invoice", "Due Date", "Amount", "Email", "Status"]


# --------------------------------------------------------------------------- building books

def _patch_zip(path: Path, edit) -> None:
    """Rewrite a zip with edit(dict name->bytes) applied (test fixtures only)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    edit(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)


def _add_ct(parts, xml: str) -> None:
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", xml.encode() + b"</Types>")


def _add_wb_rel(parts, rid, typ, target) -> None:
    k = "xl/_rels/workbook.xml.rels"
    parts[k] = parts[k].replace(
        b"</Relationships>", f'<Relationship Id="{rid}" Type="{typ}" Target="{target}"/></Relationships>'.encode())


def build_book(path: Path, *, xlsm=False, date1904=False) -> Path:
    from PIL import Image as PILImage
    from openpyxl.drawing.image import Image

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Receivables"
    ws.append(HEADERS)
    for i in range(N):
        ws.append([f"Customer {i % 7}", f"INV-{1000 + i}", dt.date(2026, 1, 1) + dt.timedelta(days=7 * i),
                   float(AMOUNTS[i]), f"c{i}@example.com", "open"])
    ws.add_table(Table(displayName="tblAR", ref=f"A1:F{N + 1}",
                       tableStyleInfo=TableStyleInfo(name="TableStyleMedium9", showRowStripes=True)))
    ws["A1"].font = Font(bold=True, color="FF0000")
    for r in range(2, N + 2):
        ws.cell(r, 3).number_format = "dd/mm/yyyy"
        ws.cell(r, 4).number_format = "#,##0.00"
    dv = DataValidation(type="list", formula1='"open,disputed,closed"', allow_blank=True)
    ws.add_data_validation(dv)
    dv.add(f"F2:F{N + 1}")
    ws.conditional_formatting.add(f"D2:D{N + 1}", CellIsRule(operator="greaterThan", formula=["1000"],
                                                             fill=PatternFill("solid", start_color="FFC7CE")))
    ws["A2"].comment = Comment("Key account", "clerk")
    ws["E2"].hyperlink = "mailto:c0@example.com"
    ws.column_dimensions["A"].width = 22

    st = wb.create_sheet("Settings")
    st.append(["As of", dt.date(2026, 11, 30)])
    st.append(["Total", f"=SUM(Receivables!D2:D{N + 1})"])
    st.append(["Rate", 0.08])
    st.append(["Interest", "=B2*B3"])
    st.append(["Label", '=IF(B2>0,"owed","none")'])

    rep = wb.create_sheet("Report")
    rep.append(["Bucket", "Total"])
    for b, v in [("Current", 10), ("1-30", 20), ("31-60", 5)]:
        rep.append([b, v])
    ch = BarChart()
    ch.add_data(Reference(rep, min_col=2, min_row=1, max_row=4), titles_from_data=True)
    ch.set_categories(Reference(rep, min_col=1, min_row=2, max_row=4))
    rep.add_chart(ch, "D2")
    buf = io.BytesIO()
    PILImage.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    buf.seek(0)
    rep.add_image(Image(buf), "D20")

    lists = wb.create_sheet("Lists")
    lists.append(["open"])
    lists.append(["closed"])
    lists.sheet_state = "hidden"

    hist = wb.create_sheet("History")
    hist.append(["Timestamp", "Customer", "Action"])
    hist.append([dt.datetime(2026, 11, 1, 9, 30), "Customer 1", "called"])
    hist.append([dt.datetime(2026, 11, 2, 10, 0), "Customer 2", "sent"])
    hist.add_table(Table(displayName="tblHistory", ref="A1:C3"))

    wb.defined_names["TaxRate"] = DefinedName("TaxRate", attr_text="Settings!$B$3")
    wb.save(path)

    def edit(parts):
        # cached formula values, as Excel leaves them
        s2 = parts["xl/worksheets/sheet2.xml"]
        for f, v, t in [(f"SUM(Receivables!D2:D{N + 1})", str(TOTAL), ""), ("B2*B3", str(TOTAL * Decimal("0.08")), ""),
                        ('IF(B2&gt;0,"owed","none")', "owed", ' t="str"')]:
            s2, k = re.subn(rb'(<c r="B\d+")(>)<f>' + re.escape(f.encode()) + rb"</f><v\s*(?:/>|></v>)",
                            lambda m: m.group(1) + t.encode() + b"><f>" + f.encode() + b"</f><v>" + v.encode() + b"</v>", s2)
            assert k == 1, f
        # a sparkline group in extLst
        s2 = s2.replace(b"</worksheet>", (
            '<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
            'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
            '<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
            '<x14:sparklineGroup displayEmptyCellsAs="gap"><x14:colorSeries rgb="FF376092"/>'
            '<x14:sparklines><x14:sparkline><xm:f>Settings!B1:B3</xm:f><xm:sqref>C1</xm:sqref></x14:sparkline>'
            '</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst></worksheet>').encode())
        parts["xl/worksheets/sheet2.xml"] = s2
        # calcChain
        parts["xl/calcChain.xml"] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                                     b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                                     b'<c r="B2" i="2"/><c r="B4"/><c r="B5"/></calcChain>')
        _add_ct(parts, '<Override PartName="/xl/calcChain.xml" '
                       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml"/>')
        _add_wb_rel(parts, "rIdCalc", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/calcChain",
                    "calcChain.xml")
        # shared strings for the Receivables sheet, as Excel writes them
        s1 = parts["xl/worksheets/sheet1.xml"]
        sst: list[bytes] = []

        def to_sst(m):
            sst.append(m.group(2))
            return m.group(1) + b' t="s"><v>' + str(len(sst) - 1).encode() + b"</v></c>"
        s1 = re.sub(rb'(<c r="[A-Z]+\d+"(?: s="\d+")?) t="inlineStr"><is><t>(.*?)</t></is></c>', to_sst, s1)
        parts["xl/worksheets/sheet1.xml"] = s1
        parts["xl/sharedStrings.xml"] = (
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(sst), len(sst))
            + b"".join(b"<si><t>" + s + b"</t></si>" for s in sst) + b"</sst>")
        _add_ct(parts, '<Override PartName="/xl/sharedStrings.xml" '
                       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
        _add_wb_rel(parts, "rIdSst", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings",
                    "sharedStrings.xml")
        # a text box next to the chart and image
        d = next(n for n in parts if n.startswith("xl/drawings/drawing") and n.endswith(".xml"))
        parts[d] = parts[d].replace(b"</xdr:wsDr>", (
            '<xdr:twoCellAnchor><xdr:from><xdr:col>0</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>8</xdr:row>'
            '<xdr:rowOff>0</xdr:rowOff></xdr:from><xdr:to><xdr:col>3</xdr:col><xdr:colOff>0</xdr:colOff>'
            '<xdr:row>12</xdr:row><xdr:rowOff>0</xdr:rowOff></xdr:to><xdr:sp macro="" textlink="">'
            '<xdr:nvSpPr><xdr:cNvPr id="99" name="TextBox 1"/><xdr:cNvSpPr txBox="1"/></xdr:nvSpPr>'
            '<xdr:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="1800000" cy="600000"/></a:xfrm>'
            '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr><xdr:txBody><a:bodyPr/><a:lstStyle/>'
            '<a:p><a:r><a:t>Note to the clerk</a:t></a:r></a:p></xdr:txBody></xdr:sp><xdr:clientData/>'
            '</xdr:twoCellAnchor></xdr:wsDr>').encode())
        if date1904:
            w = parts["xl/workbook.xml"]
            w = re.sub(rb"<workbookPr\b([^>]*?)/>", rb'<workbookPr\1 date1904="1"/>', w)
            assert b"date1904" in w
            parts["xl/workbook.xml"] = w
        if xlsm:
            parts["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8
            _add_ct(parts, '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>')
            ct = parts["[Content_Types].xml"]
            parts["[Content_Types].xml"] = ct.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
            _add_wb_rel(parts, "rIdVba", "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                        "vbaProject.bin")

    _patch_zip(path, edit)
    check_package(path)
    return path


@pytest.fixture
def book(tmp_path) -> Path:
    return build_book(tmp_path / "book.xlsx")


# --------------------------------------------------------------------------- readers

def read_all(path) -> dict:
    """Every sheet through calamine; openpyxl read-only as a third reader must agree on shape."""
    wb = CalamineWorkbook.from_path(str(path))
    out = {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}
    ox = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for ws in ox.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        assert ws.title in out
        assert len(rows) == len(out[ws.title]) or not rows
    ox.close()
    return out


def cached_values_survive(path) -> None:
    s = read_all(path)["Settings"]
    assert Decimal(repr(s[1][1])) == TOTAL
    assert s[4][1] == "owed"
    assert abs(s[3][1] - float(TOTAL) * 0.08) < 1e-9


def libreoffice_opens(paths: list[Path], tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice (soffice) is not installed")
    out = tmp_path / "lo-out"
    profile = tmp_path / "lo-profile"
    r = subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
                        "--outdir", str(out)] + [str(p) for p in paths], capture_output=True, text=True, timeout=120)
    for p in paths:
        conv = out / (p.stem + ".xlsx")
        assert conv.exists(), f"LibreOffice could not open {p.name}: {r.stdout} {r.stderr}"
        CalamineWorkbook.from_path(str(conv))


ALWAYS_OWNED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}


def sheet_part(path, name) -> str:
    with XlsxPackage.open(path) as pk:
        return pk._sheet(name)["part"]


# --------------------------------------------------------------------------- write_sheet

def test_write_sheet_adds_owned_sheets_and_copies_everything_else(book, tmp_path):
    before = members(book)
    pk = XlsxPackage.open(book)
    assert pk.sheet_names == ["Receivables", "Settings", "Report", "Lists", "History"]
    cols = [Column("Customer", 24), Column("Due", fmt="date"), Column("Balance", fmt="money"),
            Column("Days", fmt="int"), Column("Share", fmt="percent"), Column("Note", fmt="text")]
    rows = [[f"Customer {i}", dt.date(2026, 1, 1) + dt.timedelta(days=i), Decimal("10.10") * i, i, i / 100, "x"]
            for i in range(50)]
    pk.write_sheet("Aging", cols, iter(rows), table="Aging", tab_color="FF9900")
    pk.write_sheet("Summary", [Column("Bucket"), Column("Total", fmt="money")],
                   [["Current", 10], ["1-30", 20], ["31-60", 5], ["Total", Formula("=SUM(B2:B4)")]],
                   chart=Chart("Open balance by bucket", "Summary!$A$2:$A$4", "Summary!$B$2:$B$4", "Balance"))
    assert pk.sheet_names[-2:] == ["Aging", "Summary"]
    pk.save()
    check_package(book)
    new = set(members(book)) - set(before)
    assert_unchanged_except(before, book, ALWAYS_OWNED)
    assert any(n.startswith("xl/charts/chart") for n in new) and any(n.startswith("xl/tables/") for n in new)
    cached_values_survive(book)
    data = read_all(book)
    assert data["Aging"][0] == ["Customer", "Due", "Balance", "Days", "Share", "Note"]
    assert data["Aging"][3] == ["Customer 2", dt.date(2026, 1, 3), 20.2, 2, 0.02, "x"]
    assert data["Receivables"][1][0] == "Customer 0"
    wb = openpyxl.load_workbook(book)
    assert len(wb["Summary"]._charts) == 1 and len(wb["Report"]._charts) == 1
    assert wb["Aging"].tables["Aging"].ref == "A1:F51"
    assert wb["Lists"].sheet_state == "hidden"
    assert wb["Aging"].sheet_properties.tabColor.rgb == "FFFF9900"
    assert wb["Aging"].freeze_panes == "A2"
    assert wb["Aging"]["B2"].number_format == "yyyy-mm-dd" and wb["Aging"]["C2"].number_format == "#,##0.00"
    assert wb["Aging"]["A1"].font.b
    assert wb["Summary"]["B5"].value == "=SUM(B2:B4)"
    libreoffice_opens([book], tmp_path)


def test_replacing_an_owned_sheet_keeps_position_and_is_idempotent(book, tmp_path):
    def run(src, dst):
        pk = XlsxPackage.open(src)
        pk.write_sheet("Aging", [Column("A"), Column("B", fmt="money")], [["x", 1], ["y", 2]], table="tAging",
                       chart=Chart("c", "Aging!$A$2:$A$3", "Aging!$B$2:$B$3"))
        pk.save(dst)

    run(book, tmp_path / "one.xlsx")
    # move Aging to the middle by hand? It stays where it is; replace it twice
    shutil.copy(tmp_path / "one.xlsx", tmp_path / "two.xlsx")
    with XlsxPackage.open(tmp_path / "one.xlsx") as pk:
        sid = pk._sheet("Aging")["sheetId"]
        assert pk._exists("xl/calcChain.xml")
    run(tmp_path / "two.xlsx", tmp_path / "two.xlsx")
    run(tmp_path / "two.xlsx", tmp_path / "three.xlsx")
    for p in ("two.xlsx", "three.xlsx"):
        check_package(tmp_path / p)
    a, b = members(tmp_path / "two.xlsx"), members(tmp_path / "three.xlsx")
    assert a == b, [n for n in set(a) | set(b) if a.get(n) != b.get(n)]
    with XlsxPackage.open(tmp_path / "three.xlsx") as pk:
        assert pk.sheet_names == ["Receivables", "Settings", "Report", "Lists", "History", "Aging"]
        assert pk._sheet("Aging")["sheetId"] == sid
        assert not pk._exists("xl/calcChain.xml")          # replaced a sheet: Excel rebuilds it
    one = members(tmp_path / "one.xlsx")
    assert "xl/calcChain.xml" not in a and "xl/calcChain.xml" in one
    # exactly one table, one chart, one drawing for Aging (old ones removed, not orphaned)
    assert sum(n.startswith("xl/tables/") for n in a) == 3
    assert sum(n.startswith("xl/charts/chart") for n in a) == 2
    cached_values_survive(tmp_path / "three.xlsx")
    # a user's sheet with an owned sheet's name is never replaced: the owned one is written beside it
    report = read_all(tmp_path / "three.xlsx")["Report"]
    for n in (1, 2):
        pk = XlsxPackage.open(tmp_path / "three.xlsx")
        assert pk.write_sheet("Report", [Column("Only")], [[n]]) == "Report (arcollect)"
        pk.save()
        check_package(tmp_path / "three.xlsx")
    with XlsxPackage.open(tmp_path / "three.xlsx") as pk:
        assert pk.sheet_names[2] == "Report" and pk.sheet_names[-1] == "Report (arcollect)"
    data = read_all(tmp_path / "three.xlsx")
    assert data["Report"] == report and data["Report (arcollect)"] == [["Only"], [2]]


def test_strings_stay_text_and_values_are_encoded_exactly(book):
    pk = XlsxPackage.open(book)
    evil = "=cmd|' /C calc'!A0"
    rows = [[evil, "+1+1", "a<b & \"c\"", "bell\x07here", "  padded  ", "_x0041_"],
            [Decimal("0.1"), Decimal("12345678901234567890.12"), 1e-7, True, dt.datetime(2026, 3, 1, 12, 0), None],
            [np.int64(7), np.float64(2.5), float("nan"), pd.Timestamp("2026-02-01"), pd.NaT, Decimal("1E+2")]]
    pk.write_sheet("Errors", [Column(f"c{i}") for i in range(6)], rows)
    pk.save()
    check_package(book)
    xml = members(book)[sheet_part(book, "Errors")].decode()
    assert "<f>" not in xml
    assert "<v>0.1</v>" in xml and "<v>12345678901234567890.12</v>" in xml and "<v>100</v>" in xml
    assert "\x07" not in xml
    data = read_all(book)["Errors"]
    assert data[1] == [evil, "+1+1", 'a<b & "c"', "bellhere", "  padded  ", "_x0041_"]
    assert data[2][3] is True and data[2][4] == dt.datetime(2026, 3, 1, 12, 0)
    assert data[3][:2] == [7, 2.5] and data[3][2] == "" and data[3][3] == dt.date(2026, 2, 1) and data[3][4] == ""
    wb = openpyxl.load_workbook(book)
    assert wb["Errors"]["A2"].value == evil and wb["Errors"]["A2"].data_type == "s"


def test_date1904_books_get_1904_serials(tmp_path):
    p = build_book(tmp_path / "mac.xlsx", date1904=True)
    pk = XlsxPackage.open(p)
    assert pk.date1904
    pk.write_sheet("Aging", [Column("Due", fmt="date")], [[dt.date(2026, 11, 30)]])
    pk.save()
    check_package(p)
    xml = members(p)[sheet_part(p, "Aging")].decode()
    serial = (dt.date(2026, 11, 30) - dt.date(1904, 1, 1)).days
    assert f"<v>{serial}</v>" in xml
    assert read_all(p)["Aging"][1][0] == dt.date(2026, 11, 30)
    assert openpyxl.load_workbook(p)["Aging"]["A2"].value.date() == dt.date(2026, 11, 30)


def test_links_to_cells(book):
    pk = XlsxPackage.open(book)
    pk.write_sheet("Errors", [Column("Cell"), Column("Message")],
                   [[Link("Receivables!D14", "Receivables!D14"), "due date 'TBD' is not a date"],
                    [Link("go", "My Sheet!A1"), "quoted"]])
    pk.save()
    check_package(book)
    ws = openpyxl.load_workbook(book)["Errors"]
    assert ws["A2"].value == "Receivables!D14" and ws["A2"].hyperlink.location == "Receivables!D14"
    assert ws["A3"].hyperlink.location == "'My Sheet'!A1"


# --------------------------------------------------------------------------- update_columns

FLAGS = ["Days Past Due", "Bucket", "Level"]


def _flags(rows):
    return [[r * 10 - 50 for r in rows], [f"b{r}" for r in rows], [r % 3 for r in rows]]


def test_update_columns_extends_the_table_and_is_repeatable(book, tmp_path):
    before = members(book)
    rec = sheet_part(book, "Receivables")
    pk = XlsxPackage.open(book)
    rows = list(range(2, N + 2))
    letters = pk.update_columns("Receivables", 1, FLAGS, rows, _flags(rows), tiers=TierRule())
    assert letters == ["G", "H", "I"]
    pk.save()
    check_package(book)
    table = next(n for n in members(book) if n.startswith("xl/tables/") and b"tblAR" in members(book)[n])
    assert_unchanged_except(before, book, ALWAYS_OWNED | {rec, table, "xl/calcChain.xml"})
    assert "xl/sharedStrings.xml" in members(book)
    cached_values_survive(book)
    wb = openpyxl.load_workbook(book)
    ws = wb["Receivables"]
    assert ws.tables["tblAR"].ref == f"A1:I{N + 1}"
    assert [c.value for c in ws[1]] == HEADERS + FLAGS
    assert ws["G5"].value == 0 and ws["H5"].value == "b5" and ws["C2"].number_format == "dd/mm/yyyy"
    assert ws["A2"].comment.text == "Key account"
    assert len(ws.data_validations.dataValidation) == 1
    cf = {str(r.sqref): r for r in ws.conditional_formatting}
    assert f"G2:I{N + 1}" in cf and f"D2:D{N + 1}" in cf
    # second run, fewer rows: same columns, stale flags cleared, CF not duplicated
    pk = XlsxPackage.open(book)
    rows2 = list(range(2, 12))
    assert pk.update_columns("Receivables", 1, ["days past due", "Bucket", "Level"], rows2, _flags(rows2),
                             tiers=TierRule()) == ["G", "H", "I"]
    pk.save()
    check_package(book)
    ws = openpyxl.load_workbook(book)["Receivables"]
    assert ws.max_column == 9 and ws.tables["tblAR"].ref == f"A1:I{N + 1}"
    assert ws["G11"].value == 60 and ws["G12"].value is None and ws["H21"].value is None
    assert len(list(ws.conditional_formatting)) == 2
    styles = members(book)["xl/styles.xml"]
    pk = XlsxPackage.open(book)
    pk.update_columns("Receivables", 1, FLAGS, rows2, _flags(rows2), tiers=TierRule())
    pk.save()
    assert members(book)["xl/styles.xml"] == styles          # dxfs reused, not appended again
    data = read_all(book)["Receivables"]
    assert data[0] == HEADERS + FLAGS and data[1][0] == "Customer 0"
    libreoffice_opens([book], tmp_path)


def test_update_columns_accepts_numpy_and_pandas_and_unsorted_rows(book):
    pk = XlsxPackage.open(book)
    rows = np.array([5, 3, 2, 4])
    df = pd.DataFrame({"d": [50, 30, 20, 40], "b": ["5", "3", "2", "4"], "when": pd.to_datetime(["2026-01-05"] * 4)})
    pk.update_columns("Receivables", 1, ["Days Past Due", "Bucket", "Seen"], rows, [df["d"], df["b"].to_numpy(), df["when"]])
    pk.save()
    check_package(book)
    ws = openpyxl.load_workbook(book)["Receivables"]
    assert [ws[f"G{r}"].value for r in (2, 3, 4, 5)] == [20, 30, 40, 50]
    assert ws["I2"].value == dt.datetime(2026, 1, 5)


def test_update_columns_on_a_plain_sheet_with_title_rows(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Export"
    ws["A1"] = "ACME Ltd - open items"
    ws.append([])
    ws.append(["Customer", "Due", "Open Balance", None, "Notes"])
    for i in range(5):
        ws.append([f"C{i}", dt.date(2026, 1, 1), 10 * i, None, "n"])
    ws.append(["Total", None, "=SUM(C4:C8)"])
    p = tmp_path / "export.xlsx"
    wb.save(p)
    pk = XlsxPackage.open(p)
    assert pk.update_columns("Export", 3, FLAGS, [4, 5, 6, 7, 8], _flags([4, 5, 6, 7, 8])) == ["F", "G", "H"]
    pk.save()
    check_package(p)
    ws = openpyxl.load_workbook(p)["Export"]
    assert ws["F3"].value == "Days Past Due" and ws["F4"].value == -10 and ws["F9"].value is None
    assert ws["A1"].value == "ACME Ltd - open items" and ws["C9"].value == "=SUM(C4:C8)"


def test_update_columns_inserts_between_existing_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["A", "Level", "C"])
    for i in range(3):
        ws.append([i, "old", f"keep{i}"])
    # B is marked as arcollect's column (as after the clerk inserted C beside a column arcollect wrote)
    ws.defined_names["_arcollect_columns"] = DefinedName("_arcollect_columns", attr_text="Sheet!$B$1", hidden=True)
    p = tmp_path / "mid.xlsx"
    wb.save(p)
    pk = XlsxPackage.open(p)
    assert pk.update_columns("Sheet", 1, ["Level", "Bucket"], [2, 4], [[1, 3], ["x", "z"]]) == ["B", "D"]
    pk.save()
    check_package(p)
    assert read_all(p)["Sheet"] == [["A", "Level", "C", "Bucket"], [0, 1, "keep0", "x"], [1, "", "keep1", ""],
                                    [2, 3, "keep2", "z"]]


# --------------------------------------------------------------------------- append_rows and set_values

def test_append_rows_extends_history_and_never_rewrites(book, tmp_path):
    hist = sheet_part(book, "History")
    old = members(book)[hist]
    old_rows = re.findall(rb"<row\b.*?</row>", old, re.S)
    pk = XlsxPackage.open(book)
    cols = [Column("Timestamp", fmt="datetime"), Column("Customer"), Column("Action")]
    first = pk.append_rows("History", cols, [[dt.datetime(2026, 11, 30, 8, 0), "Customer 3", "drafted"],
                                             [dt.datetime(2026, 11, 30, 8, 1), "=evil()", "sent"]])
    assert first == 4
    pk.save()
    check_package(book)
    new = members(book)[hist]
    for r in old_rows:
        assert r in new                         # existing rows byte-identical
    ws = openpyxl.load_workbook(book)["History"]
    assert ws.tables["tblHistory"].ref == "A1:C5"
    assert ws["B5"].value == "=evil()" and ws["B5"].data_type == "s"
    # a new column is added at the end of the header and the table
    pk = XlsxPackage.open(book)
    assert pk.append_rows("History", cols + [Column("Run id")], [[dt.datetime(2026, 12, 1), "Customer 4", "sent", "r1"]]) == 6
    pk.save()
    check_package(book)
    ws = openpyxl.load_workbook(book)["History"]
    assert ws.tables["tblHistory"].ref == "A1:D6" and ws["D1"].value == "Run id" and ws["D6"].value == "r1"
    # a missing sheet is created with its header
    pk = XlsxPackage.open(book)
    assert pk.append_rows("Log", [Column("When", fmt="date"), Column("What")], [[dt.date(2026, 1, 2), "x"]]) == 2
    pk.save()
    check_package(book)
    assert read_all(book)["Log"] == [["When", "What"], [dt.date(2026, 1, 2), "x"]]
    cached_values_survive(book)


def test_set_values_keeps_cell_styles(book):
    pk = XlsxPackage.open(book)
    pk.set_values("Receivables", {"F3": "disputed", "D2": 5, "H30": "far"})
    pk.set_values("Settings", {"B1": dt.date(2026, 12, 31)})
    pk.save()
    check_package(book)
    ws = openpyxl.load_workbook(book)["Receivables"]
    assert ws["F3"].value == "disputed" and ws["D2"].value == 5 and ws["D2"].number_format == "#,##0.00"
    assert ws["H30"].value == "far"
    assert read_all(book)["Settings"][0][1] == dt.date(2026, 12, 31)
    assert "xl/calcChain.xml" not in members(book)


# --------------------------------------------------------------------------- safety

@pytest.mark.parametrize("lock", ["~$book.xlsx", "~$ok.xlsx"])
def test_locked_book_is_refused_and_untouched(book, lock):
    before = book.read_bytes()
    (book.parent / lock).write_bytes(b"owner")
    with pytest.raises(BookLocked) as e:
        XlsxPackage.open(book)
    assert "book.xlsx is open in Excel (lock file ~$" in str(e.value) and "close it and try again" in str(e.value)
    (book.parent / lock).unlink()
    pk = XlsxPackage.open(book)
    pk.write_sheet("Aging", [Column("A")], [[1]])
    (book.parent / lock).write_bytes(b"owner")
    with pytest.raises(BookLocked):
        pk.save()
    assert book.read_bytes() == before


def test_failures_leave_the_book_untouched(book):
    before = book.read_bytes()

    def rows():
        for i in range(10_000):
            if i == 5_000:
                raise RuntimeError("source failed")
            yield [i, "x"]

    pk = XlsxPackage.open(book)
    with pytest.raises(RuntimeError):
        pk.write_sheet("Aging", [Column("n"), Column("s")], rows())
    assert "Aging" not in pk.sheet_names
    pk.save()                                   # nothing pending: content identical
    assert members(book) == members(io.BytesIO(before))
    pk = XlsxPackage.open(book)
    pk.write_sheet("Aging", [Column("n")], [[1]])
    calls = {"n": 0}
    orig = XlsxPackage._write_member

    def boom(self, zout, name, info):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full")
        return orig(self, zout, name, info)

    XlsxPackage._write_member = boom
    try:
        with pytest.raises(OSError):
            pk.save()
    finally:
        XlsxPackage._write_member = orig
    assert book.read_bytes() == before
    assert [p.name for p in book.parent.iterdir() if p.name != "book.xlsx"] == []
    pk.save()                                    # the package is still usable
    check_package(book)


def test_unreadable_files(tmp_path):
    p = tmp_path / "notes.xlsx"
    p.write_text("hello")
    with pytest.raises(BookUnreadable, match="not an Excel"):
        XlsxPackage.open(p)
    q = tmp_path / "old.xlsx"
    q.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(BookUnreadable, match="password-protected"):
        XlsxPackage.open(q)
    z = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "x")
    with pytest.raises(BookUnreadable, match="not an Excel workbook"):
        XlsxPackage.open(z)


def test_xlsm_keeps_vba(tmp_path):
    p = build_book(tmp_path / "macro.xlsm", xlsm=True)
    before = members(p)
    pk = XlsxPackage.open(p)
    pk.write_sheet("Aging", [Column("A")], [[1]], table="tA")
    rows = list(range(2, N + 2))
    pk.update_columns("Receivables", 1, FLAGS, rows, _flags(rows))
    pk.save()
    check_package(p)
    after = members(p)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert b"macroEnabled.main+xml" in after["[Content_Types].xml"]
    cached_values_survive(p)


# --------------------------------------------------------------------------- the fast paths

def _raw_members(path) -> dict:
    """name -> (method, CRC, compressed bytes as stored)."""
    out = {}
    with open(path, "rb") as f, zipfile.ZipFile(path) as z:
        for i in z.infolist():
            f.seek(i.header_offset)
            h = f.read(30)
            n, m = int.from_bytes(h[26:28], "little"), int.from_bytes(h[28:30], "little")
            f.seek(i.header_offset + 30 + n + m)
            out[i.filename] = (i.compress_type, i.CRC, f.read(i.compress_size))
    return out


def test_save_copies_unchanged_members_raw_stored_and_deflated(book, tmp_path):
    def edit(parts):
        parts["customXml/item1.xml"] = b"<root>stored, not compressed</root>"
    _patch_zip(book, edit)
    # re-store one member uncompressed and another with a different deflate level
    with zipfile.ZipFile(book) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(book, "w") as z:
        for i, data in items:
            stored = i.filename in ("customXml/item1.xml", "xl/media/image1.png")
            z.writestr(i.filename, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                       compresslevel=None if stored else 9)
    before = _raw_members(book)
    assert before["customXml/item1.xml"][0] == zipfile.ZIP_STORED
    pk = XlsxPackage.open(book)
    pk.write_sheet("Aging", [Column("A"), Column("B", fmt="date")], [[f"r{i}", dt.date(2026, 1, 1)] for i in range(100)])
    pk.save()
    after = _raw_members(book)
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
    for name, raw in before.items():
        if name not in ALWAYS_OWNED:
            assert after[name] == raw, name           # same method, CRC and compressed bytes
    check_package(book)
    assert read_all(book)["Aging"][100] == ["r99", dt.date(2026, 1, 1)]


def test_zip64_fields_are_written_when_needed(book, monkeypatch):
    import addin.workbook.zipparts as zipparts
    monkeypatch.setattr(zipparts, "_ZIP64_LIMIT", 100)      # every member and offset "large"
    before = members(book)
    pk = XlsxPackage.open(book)
    pk.write_sheet("Aging", [Column("n")], [[i] for i in range(500)])
    pk.save()
    with zipfile.ZipFile(book) as z:
        assert z.testzip() is None
        assert any(i.file_size > 100 and i.extra for i in z.infolist())
    after = members(book)
    assert all(after[n] == b for n, b in before.items() if n not in ALWAYS_OWNED)
    check_package(book)


@pytest.mark.parametrize("block", [8 << 20, 20_000])
def test_update_columns_fast_and_row_by_row_paths_agree(tmp_path, monkeypatch, block):
    """A sheet big enough for the vectorised patcher, with Excel's spans, a re-run, gaps and inserted rows."""
    import addin.workbook.package as package
    monkeypatch.setattr(package, "_SHEET_BLOCK", block)
    def make(path):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Data"
        ws.append(["Id", "Name", "Amount"])
        for i in range(3000):
            if i % 500 == 7:
                continue                      # missing rows: patches must insert them
            ws.cell(i + 2, 1, i)
            ws.cell(i + 2, 2, f"n{i}")
            ws.cell(i + 2, 3, i * 1.5)
        wb.save(path)
        # Excel writes spans on every row
        _patch_zip(path, lambda parts: parts.__setitem__(
            "xl/worksheets/sheet1.xml",
            re.sub(rb'<row r="(\d+)"', rb'<row r="\1" spans="1:3"', parts["xl/worksheets/sheet1.xml"])))

    from addin.workbook.sheetpatch import RowPatcher
    fast_block = RowPatcher.patch_block
    calls = []

    def run(path, rows, fast):
        monkeypatch.setattr(RowPatcher, "patch_block", fast_block if fast else RowPatcher.patch_rows)
        monkeypatch.setattr(RowPatcher, "patch_rows", counting(RowPatcher.patch_rows, fast))
        pk = XlsxPackage.open(path)
        pk.update_columns("Data", 1, FLAGS, rows, _flags(rows), tiers=TierRule())
        pk.save()
        pk.close()
        monkeypatch.undo()
        monkeypatch.setattr(package, "_SHEET_BLOCK", block)
        return members(path)["xl/worksheets/sheet1.xml"]

    def counting(patch_rows, fast):
        def f(self, body, *args):
            if fast:
                calls.append(body.count(b"</row>"))
            return patch_rows(self, body, *args)
        return f

    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    make(a)
    shutil.copy(a, b)
    rows = list(range(2, 3002))
    assert run(a, rows, True) == run(b, rows, False)
    rows2 = list(range(2, 3002, 3))           # re-run on fewer rows: stale flags cleared
    xa, xb = run(a, rows2, True), run(b, rows2, False)
    assert xa == xb
    assert run(a, rows, True) == run(b, rows, False)           # every row exists now: appended in bulk
    xa, xb = run(a, rows2, True), run(b, rows2, False)
    assert xa == xb
    check_package(a)
    data = read_all(a)["Data"]
    assert data[0][3:] == FLAGS
    assert data[1][3:] == [-30, "b2", 2] and data[2][3:] == ["", "", ""] and data[4][3:] == [0, "b5", 2]
    assert data[7][3:] == [30, "b8", 2] and data[8] == [""] * 6     # row 9: inserted by run 1, cleared by run 2
    if block > 1 << 20:
        assert sum(calls) < 3000 * 2     # runs 2-4 went the fast way (run 1 inserts rows: row by row)


@pytest.mark.parametrize("block", [8 << 20, 20_000])
def test_a_rerun_on_the_same_data_leaves_the_sheet_part_as_it_is(tmp_path, monkeypatch, block):
    """A second run with the same flags compresses nothing: the part is saved as its original bytes. When a
    late row differs, the rows held back unchanged are copied in, and the sheet is what a fresh patch gives."""
    import addin.workbook.package as package
    monkeypatch.setattr(package, "_SHEET_BLOCK", block)
    path = tmp_path / "a.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["Id", "Name", "Amount"])
    for i in range(3000):
        ws.append([i, f"n{i}", i * 1.5])
    wb.save(path)
    rows = [r for r in range(2, 3002) if r % 7]            # paid items carry no flags
    flags = _flags(rows)
    flags[0] = np.array(flags[0], dtype="float64")          # days as NaN-able floats, as refresh passes them

    def run(values):
        with XlsxPackage.open(path) as pk:
            pk.update_columns("Data", 1, FLAGS, rows, values, tiers=TierRule())
            pk.save()
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("xl/worksheets/sheet1.xml")
            return (info.CRC, info.compress_size), z.read("xl/worksheets/sheet1.xml")

    first, xml = run(flags)
    assert b"<v>-30</v>" in xml and b"-30.0" not in xml        # integral floats written as integers
    again, xml2 = run(flags)
    assert again == first and xml2 == xml
    changed = [list(v) for v in flags]
    changed[1][-1] = "late"
    _, xml3 = run(changed)
    assert xml3 != xml and xml3.replace(b">late<", f">b{rows[-1]}<".encode()) == xml
    check_package(path)
    data = read_all(path)["Data"]
    assert data[rows[-1] - 1][3:] == [rows[-1] * 10 - 50, "late", rows[-1] % 3] and data[6][3:] == ["", "", ""]
