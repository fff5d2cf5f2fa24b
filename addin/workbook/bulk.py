"""Sheets in bulk: the first rows to find the header, then typed columns below it.

fastexcel (calamine's Rust reader with Arrow output) reads a whole sheet into
typed columns in one pass — dates as dates, numbers as float64 — the floor of
what reading an .xlsx costs. Every problem must name its cell and fastexcel
does not say at which row its range starts, so the first rows are read from
the sheet XML itself (streamed: only the first rows and the shared strings
they use are decompressed), and the header fastexcel finds must be the one
the XML has there. When that cannot be established, python-calamine, which
reports its range start, reads the sheet instead.

History and Customers are read as text columns (``text_sheet``).
"""
from __future__ import annotations

import gc
import html
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd

if TYPE_CHECKING:
    from . import blocks
from .typed import Column, columns_from_rows, empty_column, error_value, from_arrow
from .values import cell_text
from .sheetpatch import RPH, T_ATTR, T_ELEMENT, V_ELEMENT
from .xlsx_xml import col_index, split_range

HEAD_ROWS = 40
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(/>|>(.*?)</(?:\w+:)?row>)", re.S)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_SI = re.compile(rb"<(?:\w+:)?si>(.*?)</(?:\w+:)?si>|<(?:\w+:)?si/>", re.S)
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+\d+:[A-Z]+\d+)"')
_OOXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# fastexcel logs every all-blank column ("falling back to string"): expected here, noise on a clerk's terminal
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)


@dataclass
class SheetData:
    """A sheet's first rows, and how to load its typed columns below a header row among them."""

    name: str
    head: list[list]  # head[i] is sheet row first_row + i; cell j is column offset + j
    first_row: int
    offset: int
    load: Callable[[int], list[Column]]  # header index -> typed columns of the rows below it
    merges: Callable[[], list[tuple[int, int, int, int]]]  # (row, col, last row, last col), 0-based cols


def _unescape(raw: bytes) -> str:
    text = html.unescape(raw.decode("utf-8"))
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def _parts(zf: zipfile.ZipFile, sheet: str) -> tuple[str | None, str | None]:
    """(sheet part, shared strings part) named by the workbook's relationships."""
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    targets, sst = {}, None
    for rel in re.finditer(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        rid, target = re.search(r'\bId="([^"]*)"', tag), re.search(r'\bTarget="([^"]*)"', tag)
        if not rid or not target:
            continue
        t = target.group(1)
        path = t.lstrip("/") if t.startswith("/") else posixpath.normpath(posixpath.join("xl", t))
        targets[rid.group(1)] = path
        if re.search(r'Type="[^"]*/sharedStrings"', tag):
            sst = path
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
        if name and rid and html.unescape(name.group(1)) == sheet:
            return targets.get(rid.group(1) or rid.group(2)), sst
    return None, sst


def _shared_strings(zf: zipfile.ZipFile, part: str | None, upto: int) -> list[str]:
    """The first ``upto + 1`` shared strings, streamed (a header uses the first few)."""
    out: list[str] = []
    if part is None or upto < 0:
        return out
    with zf.open(part) as fh:
        buffer = b""
        while len(out) <= upto:
            chunk = fh.read(1 << 16)
            buffer += chunk
            end = 0
            for m in _SI.finditer(buffer):
                end = m.end()
                body = RPH.sub(b"", m.group(1) or b"")
                out.append(_unescape(b"".join(t.group(1) for t in T_ELEMENT.finditer(body))))
            buffer = buffer[end:]
            if not chunk:
                break
    return out


def _head_cells(path, sheet: str, rows: int):
    """[(sheet row, [(0-based column, raw type, raw value)])] of the first rows holding a value, streamed;
    None when the XML does not say where each cell is."""
    found = []
    with zipfile.ZipFile(path) as zf:
        part, sst_part = _parts(zf, sheet)
        if part is None:
            return None, None
        with zf.open(part) as fh:
            buffer = b""
            while len(found) < rows:
                chunk = fh.read(1 << 20)
                buffer += chunk
                end = 0
                for m in _ROW.finditer(buffer):
                    end = m.end()
                    cells = []
                    for c in _CELL.finditer(m.group(3) or b""):
                        attrs, body = c.group(1), c.group(2) or b""
                        ctype = T_ATTR.search(attrs)
                        ctype = ctype.group(1) if ctype else b"n"
                        if ctype == b"inlineStr":
                            value = b"".join(t.group(1) for t in T_ELEMENT.finditer(body))
                        else:
                            v = V_ELEMENT.search(body)
                            if v is None:
                                continue
                            value = v.group(1)
                        ref = _CELL_REF.search(attrs)
                        if ref is None:
                            return None, None
                        cells.append((col_index(ref.group(1)) - 1, ctype, value))
                    if not cells:
                        continue
                    number = _ROW_NUMBER.search(m.group(1))
                    if number is None:
                        return None, None
                    found.append((int(number.group(1)), cells))
                    if len(found) >= rows:
                        break
                buffer = buffer[end:]
                if not chunk:
                    break
        wanted = [int(v) for _, cells in found for _, t, v in cells if t == b"s"]
        sst = _shared_strings(zf, sst_part, max(wanted, default=-1))
    return found, sst


def _value(ctype: bytes, raw: bytes, sst: list[str]):
    if ctype == b"s":
        k = int(raw)
        return sst[k] if k < len(sst) else None
    if ctype in (b"str", b"inlineStr", b"d"):
        return _unescape(raw)
    if ctype == b"b":
        return raw.strip() == b"1"
    if ctype == b"e":
        return _unescape(raw)
    try:
        return float(raw)
    except ValueError:
        return _unescape(raw)


def xml_head(path, sheet: str, rows: int = HEAD_ROWS) -> tuple[int, list[list]] | None:
    """(first sheet row holding a value, the rows from there: cells by 0-based column), or None."""
    try:
        found, sst = _head_cells(path, sheet, rows)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return None
    if not found:
        return None
    first = found[0][0]
    head: list[list] = [[] for _ in range(min(rows, found[-1][0] - first + 1))]
    for number, cells in found:
        if number - first >= len(head):
            break
        row = head[number - first]
        for j, ctype, raw in cells:
            row.extend([None] * (j + 1 - len(row)))
            row[j] = _value(ctype, raw, sst)
    return first, head


def sheet_origin(path, sheet: str) -> tuple[int, int] | None:
    """(first row holding a value, the row of a column-A value) or None when not certain."""
    got = xml_head(path, sheet)
    if got is None:
        return None
    first, head = got
    a_row = next((first + i for i, r in enumerate(head) if r and r[0] is not None), None)
    return (first, a_row) if a_row is not None else None


def xml_merges(path, sheet: str) -> list[tuple[int, int, int, int]]:
    """Merged ranges as (first row, first 0-based column, last row, last column).

    They are listed after the cell data, so the whole sheet XML is streamed:
    callers ask only when a row's required cells are blank.
    """
    tail, seen = b"", False
    with zipfile.ZipFile(path) as zf:
        part, _ = _parts(zf, sheet)
        if part is None:
            return []
        with zf.open(part) as fh:
            while chunk := fh.read(1 << 22):
                if seen:
                    tail += chunk
                    continue
                window = tail[-16:] + chunk
                k = window.find(b"</sheetData>")
                seen, tail = (True, window[k:]) if k >= 0 else (False, window[-16:])
    out = []
    for m in _MERGE.finditer(tail if seen else b""):
        c1, r1, c2, r2 = split_range(m.group(1).decode())
        out.append((r1, c1 - 1, r2, c2 - 1))
    return out


class HeadMismatch(Exception):
    """fastexcel found another header than the sheet XML has at that row, or could not type a cell:
    read the sheet another way."""


def fast_sheet(path, sheet: str) -> SheetData | None:
    """The sheet's head from its XML and its columns from fastexcel, or None when that is not possible."""
    got = xml_head(path, sheet)
    if got is None:
        return None
    try:
        import fastexcel
    except ImportError:
        return None
    first, head = got
    return SheetData(sheet, head, first, 0,
                     lambda header_index: _fast_columns(fastexcel, path, sheet, head[header_index],
                                                        first + header_index, header_index),
                     lambda: xml_merges(path, sheet))


def _fast_columns(fastexcel, path, sheet: str, header: list, header_row: int, header_index: int) -> list[Column]:
    """Typed columns below the header; HeadMismatch unless fastexcel's header is the XML's.

    A big sheet is read in blocks of rows on both cores (``blocks``), any other in one piece.
    """
    def accept(info):
        _same_header(info, header, sheet)

    try:
        got = _arrow_read(fastexcel, path, sheet, header_row, header_index, accept)
    except fastexcel.FastExcelError as exc:  # a cell it cannot type (a bad shared string...): read it cell by cell
        raise HeadMismatch(sheet) from exc
    other: dict[int, dict[int, object]] = {}
    for row, k, detail in got.errors:
        other.setdefault(k, {})[row] = error_value(detail)
    n = len(got.arrays[0]) if got.arrays else 0
    columns = [empty_column(n) for _ in range(max((c.absolute_index for c in got.info), default=-1) + 1)]
    for k, c in enumerate(got.info):
        columns[c.absolute_index] = from_arrow(got.arrays[k], other.get(k, {}))
    return columns


def fast_table(path, sheet: str, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """The named columns of a sheet under its first-row header, typed by ``dtypes`` (fastexcel's, by name).

    A big sheet (a kept close snapshot of a million items) is read in blocks on both cores, as
    Receivables is, so calamine never holds the whole of it; any other in one piece.
    """
    import fastexcel

    head = xml_head(path, sheet, rows=1)
    read = _arrow_read(fastexcel, path, sheet, head[0] if head else None, 0, lambda info: None, dtypes,
                       lambda column: column.name in columns)
    wanted = {c.name: k for k, c in enumerate(read.info) if c.name in columns}
    return pd.DataFrame({name: read.arrays[k].to_pandas() for name, k in wanted.items()})


def _arrow_read(fastexcel, path, sheet: str, header_row: int | None, header_index: int, accept,
                dtypes: dict | None = None, use=None) -> blocks.Read:
    """A sheet's columns (``use``: fastexcel's use_columns, None for all) as Arrow: a big one in blocks of rows
    on both cores (``blocks``; its header's sheet row known), any other, or one blocks cannot vouch for, in
    one piece."""
    from . import blocks  # file readers only: the live port reads values without them
    with zipfile.ZipFile(path) as zf:
        part, _ = _parts(zf, sheet)
    if header_row is not None and blocks.worth_it(path, part):
        try:
            return blocks.read(fastexcel, path, sheet, part, header_row, header_index, accept, dtypes, use)
        except blocks.Whole:
            pass
    return _in_one_piece(fastexcel, path, sheet, header_index, accept, dtypes, use)


def _in_one_piece(fastexcel, path, sheet: str, header_index: int, accept, dtypes=None, use=None) -> blocks.Read:
    from . import blocks, guard  # file readers only: the live port reads values without them
    guard.check_sheet(path, sheet)
    try:
        reader = fastexcel.read_excel(str(Path(path)))
        ws = reader.load_sheet(sheet, header_row=header_index, dtypes=dtypes, use_columns=use)
    except fastexcel.FastExcelError as exc:
        raise HeadMismatch(sheet) from exc
    info = ws.selected_columns  # available_columns() would guess every dtype a second time
    accept(info)
    batch, errors = ws.to_arrow_with_errors()
    del ws, reader
    return blocks.Read(info, [batch.column(k) for k in range(batch.num_columns)],
                       [(*e.offset_position, e.detail) for e in (errors.errors if errors is not None else [])])


def _same_header(info, header: list, sheet: str) -> None:
    """HeadMismatch unless the header fastexcel found is the one the sheet XML has at that row."""
    names = {c.absolute_index: c.name for c in info if c.column_name_from == "looked_up"}
    for j, name in names.items():
        mine = cell_text(header[j]) if j < len(header) else None
        if mine is None or not (name == mine or re.fullmatch(re.escape(mine) + r"_\d+", name)):
            raise HeadMismatch(sheet)
    if any(cell_text(v) is not None and j not in names for j, v in enumerate(header)):
        raise HeadMismatch(sheet)


def calamine_sheet(path, wb, sheet: str) -> SheetData:
    """The sheet through python-calamine's rows (the fallback): it reports where its range starts."""
    from . import guard  # file readers only: the live port reads values without them
    guard.check_sheet(path, sheet)
    ws = wb.get_sheet_by_name(sheet)
    start = ws.start
    rows = ws.iter_rows()
    head = list(islice(rows, HEAD_ROWS))
    offset = start[1] if start else 0
    merges = [(r1 + 1, c1, r2 + 1, c2) for (r1, c1), (r2, c2) in (ws.merged_cell_ranges or [])]  # absolute

    def load(header_index: int) -> list[Column]:
        gc.disable()  # a million small lists, none cyclic: the collector would only rescan them
        try:
            return columns_from_rows(chain(head[header_index + 1:], rows))
        finally:
            gc.enable()

    return SheetData(sheet, head, 1, offset, load, lambda: merges)  # iter_rows starts at row 1, column start


def open_sheet(path, wb, sheet: str, fast: bool = True) -> SheetData:
    """The sheet in bulk when its origin is certain (and ``fast``), else through python-calamine."""
    return (fast_sheet(path, sheet) if fast else None) or calamine_sheet(path, wb, sheet)


# --- text columns (History, Customers) ----------------------------------------------------

def read_text_columns(path, sheet: str):
    """(first sheet row, column offset, head rows, text columns) via fastexcel, or None."""
    from . import guard  # file readers only: the live port reads values without them
    origin = sheet_origin(path, sheet)
    if origin is None:
        return None
    try:
        import fastexcel
    except ImportError:
        return None
    first_row, a_row = origin
    guard.check_sheet(path, sheet)
    batch = fastexcel.read_excel(str(Path(path))).load_sheet(sheet, header_row=None, dtypes="string").to_arrow()
    columns = [batch.column(i).to_pandas() for i in range(batch.num_columns)]
    if not columns or a_row - first_row >= len(columns[0]) or pd.isna(columns[0].iat[a_row - first_row]):
        return None  # the XML and the reader disagree about where the range starts
    head = [[c.iat[i] if pd.notna(c.iat[i]) else None for c in columns]
            for i in range(min(HEAD_ROWS, len(columns[0])))]
    return first_row, 0, head, columns


def text_columns_from_rows(rows, chunk: int = 65536) -> list[pd.Series]:
    """The same text columns from python-calamine rows (the fallback path), a chunk at a time."""
    parts: list[list[pd.Series]] = []
    rows = iter(rows)
    while block := list(islice(rows, chunk)):
        width = max(len(r) for r in block)
        parts.append([pd.Series([cell_text(r[j]) if j < len(r) else None for r in block], dtype="str")
                      for j in range(width)])
    width = max((len(p) for p in parts), default=0)
    return [pd.concat([p[j] if j < len(p) else pd.Series([None] * len(p[0]), dtype="str") for p in parts],
                      ignore_index=True) for j in range(width)]


def text_sheet(path, wb, name):
    """(first sheet row, column offset, head rows, text columns) of a sheet: bulk when possible."""
    from . import guard  # file readers only: the live port reads values without them
    fast = read_text_columns(path, name)
    if fast is not None:
        return fast
    guard.check_sheet(path, name)
    ws = wb.get_sheet_by_name(name)
    start = ws.start
    return text_sheet_of_rows(ws.iter_rows(), start[1] if start else 0)


def text_sheet_of_rows(rows, offset: int):
    """(1, offset, head rows, text columns) of a sheet's rows from row 1 (python-calamine's, or Excel's values)."""
    gc.disable()
    try:
        columns = text_columns_from_rows(rows)
    finally:
        gc.enable()
    height = len(columns[0]) if columns else 0
    head = [[None if pd.isna(c.iat[i]) else c.iat[i] for c in columns] for i in range(min(HEAD_ROWS, height))]
    return 1, offset, head, columns
