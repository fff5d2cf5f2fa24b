"""The regex patchers against a real parser: generated worksheets, patched by the package's writer,
compared cell by cell with the same edits applied to an lxml tree of the original.

hypothesis writes worksheets as other programs do: a namespace prefix or none, XML comments between
rows and cells, self-closing rows, rows and cells without ``r`` (placed by counting, as the spec says),
inline strings with rich-text runs and phonetic runs, extension lists on cells, rows and the sheet.
Each sheet is put in a real book and patched through ``XlsxPackage.update_columns`` (arcollect's
flag columns, stale ones from an earlier run cut) or ``append_rows`` (History), then saved. The
reference parses the original with lxml, applies the documented edit to its {(row, column): value}
map, and the saved sheet, parsed with lxml, must hold exactly that map, be well-formed, and keep
every extension list.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from openpyxl import Workbook

from addin.workbook.package import Column, XlsxPackage
from addin.workbook.xlsx_xml import col_index, col_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
PART = "xl/worksheets/sheet1.xml"
FLAGS = ["Days Past Due", "Bucket", "Level"]
EXT = '<{p}extLst><{p}ext uri="{{A1B2}}"><y:keep xmlns:y="urn:keep" n="{n}"/></{p}ext></{p}extLst>'


# --------------------------------------------------------------------------- generated worksheets

def esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn")), max_size=12).filter(str.strip)
values = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e9, 1e9, allow_nan=False).map(lambda x: round(x, 3)), texts)


@st.composite
def worksheets(draw):
    """(sheet XML, header row, data rows, last column used): a grid drawn first, then written in varied forms."""
    p = draw(st.sampled_from(["", "x:"]))
    header_row = draw(st.integers(1, 3))
    header_cols = sorted(draw(st.sets(st.integers(1, 8), min_size=1, max_size=6)))
    headers = draw(st.lists(st.one_of(texts, st.sampled_from(FLAGS + [f.upper() for f in FLAGS])),
                            min_size=len(header_cols), max_size=len(header_cols)))
    grid = {header_row: {c: h for c, h in zip(header_cols, headers)}}
    data_rows = sorted(draw(st.sets(st.integers(header_row + 1, header_row + 30), max_size=12)))
    for r in data_rows:
        grid[r] = {c: draw(values) for c in sorted(draw(st.sets(st.integers(1, 12), max_size=7)))}
    ext_n = iter(range(1000))

    def cell(r, c, v, prev_c):
        ref = "" if c == prev_c + 1 and draw(st.booleans()) else f' r="{col_letter(c)}{r}"'
        style = draw(st.sampled_from(["", ' s="0"']))
        ext = EXT.format(p=p, n=next(ext_n)) if draw(st.integers(0, 9)) == 0 else ""
        if isinstance(v, str):
            if draw(st.booleans()) and len(v) > 1:     # rich text in two runs, and a phonetic run to ignore
                body = (f'<{p}r><{p}t xml:space="preserve">{esc(v[:1])}</{p}t></{p}r><{p}r><{p}rPr><{p}b/></{p}rPr>'
                        f'<{p}t xml:space="preserve">{esc(v[1:])}</{p}t></{p}r>'
                        f'<{p}rPh sb="0" eb="1"><{p}t>ふ</{p}t></{p}rPh>')
            else:
                body = f'<{p}t xml:space="preserve">{esc(v)}</{p}t>'
            return f'<{p}c{ref}{style} t="inlineStr"><{p}is>{body}</{p}is>{ext}</{p}c>'
        return f"<{p}c{ref}{style}><{p}v>{v!r}</{p}v>{ext}</{p}c>"

    def comment():
        return "<!-- a comment -->" if draw(st.integers(0, 4)) == 0 else ""

    rows_xml, prev_r = [], 0
    for r in sorted(grid):
        for gap in range(prev_r + 1, r):
            if draw(st.integers(0, 5)) == 0:              # an empty row, self-closing
                rows_xml.append(f'<{p}row r="{gap}" spans="1:3"/>')
                prev_r = gap
        ref = "" if r == prev_r + 1 and draw(st.booleans()) else f' r="{r}"'
        cells, prev_c = [], 0
        for c, v in grid[r].items():
            cells.append(comment() + cell(r, c, v, prev_c))
            prev_c = c
        row_ext = EXT.format(p=p, n=next(ext_n)) if draw(st.integers(0, 7)) == 0 else ""
        rows_xml.append(f"{comment()}<{p}row{ref}>{''.join(cells)}{row_ext}</{p}row>" if cells or row_ext
                        else f"<{p}row{ref}/>")
        prev_r = r
    xmlns = f'xmlns:{p[:-1]}="{MAIN}"' if p else f'xmlns="{MAIN}"'
    used = [(r, c) for r, row in grid.items() for c in row]
    top, bottom = min(r for r, _c in used), max(r for r, _c in used)
    left, right = min(c for _r, c in used), max(c for _r, c in used)
    dimension = f"{col_letter(left)}{top}:{col_letter(right)}{bottom}"          # the used range, as Excel writes it
    sheet_ext = EXT.format(p=p, n=next(ext_n)) if draw(st.booleans()) else ""
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {xmlns} '
           f'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
           f'<{p}dimension ref="{dimension}"/><{p}sheetData>{"".join(rows_xml)}</{p}sheetData>'
           f'<{p}pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
           f"{sheet_ext}</{p}worksheet>")
    return xml, header_row, [r for r in data_rows if grid[r]], right


# --------------------------------------------------------------------------- the reference

def cells(xml: bytes) -> dict[tuple[int, int], object]:
    """{(row, column): value} of a worksheet, by lxml: positions by r, or by counting when r is missing."""
    root = etree.fromstring(xml)
    out, r = {}, 0
    for row in root.iter(f"{{{MAIN}}}row"):
        r = int(row.get("r")) if row.get("r") else r + 1
        c = 0
        for cell in row.iter(f"{{{MAIN}}}c"):
            c = col_index("".join(ch for ch in cell.get("r") if ch.isalpha())) if cell.get("r") else c + 1
            v = value(cell)
            if v is not None:
                out[(r, c)] = v
    return out


def value(cell):
    t = cell.get("t", "n")
    if t == "inlineStr":       # _xHHHH_ is one character (ECMA-376 ST_Xstring): _x005F_ keeps a literal one
        text = "".join(x.text or "" for x in cell.iter(f"{{{MAIN}}}t") if x.getparent().tag != f"{{{MAIN}}}rPh")
        return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), text)
    v = cell.find(f"{{{MAIN}}}v")
    if v is None or v.text is None:
        return None
    return {"b": lambda s: s == "1", "str": str, "e": str}.get(t, float)(v.text)


def normal(v):
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def ext_lists(xml: bytes) -> list[str]:
    return sorted(e.get("n") for e in etree.fromstring(xml).iter("{urn:keep}keep"))


def book_with(tmp: Path, xml: str) -> Path:
    path = tmp / "book.xlsx"
    wb = Workbook()
    wb.active.title = "Receivables"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts[PART] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, b in parts.items():
            z.writestr(n, b)
    return path


def appended_columns(grid, header_row, headers):
    """append_rows: a header's column is the first header cell with its text, else a new one after them."""
    by_text = {}
    for (r, c), v in sorted(grid.items()):
        if r == header_row and str(v).strip():
            by_text.setdefault(str(v).strip().lower(), c)
    nxt = max([c for (r, c), v in grid.items() if r == header_row and str(v) != ""] + [0]) + 1
    cols, new = [], {}
    for h in headers:
        c = by_text.get(h.strip().lower())
        if c is None or c in cols:
            c, nxt = nxt, nxt + 1
            new[c] = h
        cols.append(c)
    return cols, new


def flag_columns(grid, header_row, headers, last_used):
    """update_columns on an unmarked sheet, as documented: the flag columns an older arcollect left (exactly
    ``headers``, last in the header row) are reused; otherwise new ones right of the used range, named
    "<header> (arcollect)" where the user already has that header."""
    text = {c: str(v).strip() for (r, c), v in grid.items() if r == header_row and str(v).strip()}
    keys = [h.lower() for h in headers]
    last = max(text, default=0)
    legacy = bool(text) and [text.get(c, "").lower() for c in range(last - len(keys) + 1, last + 1)] == keys
    inside = set(range(last - len(keys) + 1, last + 1)) if legacy else set()
    ours = {text[c].lower(): c for c in sorted(inside, reverse=True)}
    theirs = {t.lower() for c, t in text.items() if c not in inside}
    nxt = max(max(text, default=0), last_used) + 1
    cols, new = [], {}
    for h in headers:
        c = ours.get(h.lower())
        if c is None or c in cols:
            c, nxt = nxt, nxt + 1
            new[c] = f"{h} (arcollect)" if h.lower() in theirs else h
        cols.append(c)
    return cols, new


# --------------------------------------------------------------------------- the properties

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


@SETTINGS
@given(sheet=worksheets(), data=st.data())
def test_update_columns_matches_the_reference(tmp_path_factory, sheet, data):
    xml, header_row, data_rows, last_used = sheet
    tmp = tmp_path_factory.mktemp("u")
    candidates = sorted(set(data_rows) | set(data.draw(st.sets(st.integers(header_row + 1, header_row + 40),
                                                               max_size=5))))
    rows = data.draw(st.lists(st.sampled_from(candidates), unique=True)) if candidates else []
    flag_values = [data.draw(st.lists(st.one_of(st.integers(-99, 999), texts), min_size=len(rows),
                                      max_size=len(rows))) for _ in FLAGS]
    original = xml.encode()
    path = book_with(tmp, xml)
    with XlsxPackage.open(path) as pkg:
        pkg.update_columns("Receivables", header_row, FLAGS, rows, flag_values)
        pkg.save()
    with zipfile.ZipFile(path) as z:
        patched = z.read(PART)

    expected = cells(original)
    cols, new = flag_columns(expected, header_row, FLAGS, last_used)
    for c, h in new.items():
        expected[(header_row, c)] = h
    for (r, c) in [k for k in expected if k[0] > header_row and k[1] in cols]:
        del expected[(r, c)]                               # stale flags of an earlier run are cut
    for i, c in enumerate(cols):
        for r, v in zip(rows, flag_values[i]):
            expected[(r, c)] = v
    assert {k: normal(v) for k, v in cells(patched).items()} == {k: normal(v) for k, v in expected.items()}
    assert ext_lists(patched) == ext_lists(original)


@SETTINGS
@given(sheet=worksheets(), data=st.data())
def test_append_rows_matches_the_reference(tmp_path_factory, sheet, data):
    xml, _header_row, _data_rows, _last_used = sheet
    tmp = tmp_path_factory.mktemp("a")
    headers = data.draw(st.lists(st.one_of(texts, st.sampled_from(FLAGS)), min_size=1, max_size=4, unique_by=str.lower))
    new_rows = data.draw(st.lists(st.lists(st.one_of(st.integers(-99, 999), texts), min_size=len(headers),
                                           max_size=len(headers)), min_size=1, max_size=4))
    original = xml.encode()
    path = book_with(tmp, xml)
    with XlsxPackage.open(path) as pkg:
        first = pkg.append_rows("Receivables", [Column(h) for h in headers], new_rows)
        pkg.save()
    with zipfile.ZipFile(path) as z:
        patched = z.read(PART)

    expected = cells(original)
    top = min(r for r, _c in expected)                       # the header row: the first row holding a value
    assert first == max(r for r, _c in expected) + 1         # after the last row holding a value
    cols, new = appended_columns(expected, top, headers)
    for c, h in new.items():
        expected[(top, c)] = h
    for k, row in enumerate(new_rows):
        for c, v in zip(cols, row):
            expected[(first + k, c)] = v
    assert {k: normal(v) for k, v in cells(patched).items()} == {k: normal(v) for k, v in expected.items()}
    assert ext_lists(patched) == ext_lists(original)


@pytest.mark.xfail(strict=True, reason="package._owned_columns: without a <dimension> the flag columns start right of "
                                       "the header row's last text, over a user's column that has no header")
def test_update_columns_keeps_a_users_column_without_a_header(tmp_path):
    """Found by the property test once sheets were written without a <dimension>, as some exporters do."""
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}"><sheetData>'
           '<row r="1"><c r="A1" t="inlineStr"><is><t>Customer</t></is></c><c r="B1" t="inlineStr"><is><t>Amount</t></is></c>'
           '</row><row r="2"><c r="A2" t="inlineStr"><is><t>Acme</t></is></c><c r="B2"><v>10</v></c>'
           '<c r="C2" t="inlineStr"><is><t>call Tuesday</t></is></c></row></sheetData></worksheet>')
    path = book_with(tmp_path, xml)
    with XlsxPackage.open(path) as pkg:
        pkg.update_columns("Receivables", 1, FLAGS, [2], [[5], ["1-30"], [1]])
        pkg.save()
    with zipfile.ZipFile(path) as z:
        assert cells(z.read(PART))[(2, 3)] == "call Tuesday"
