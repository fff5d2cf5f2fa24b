"""The receivables sheet in bulk, as text columns, without a Python object per cell.

fastexcel (calamine's Rust reader with Arrow output) renders every cell as
text in one pass: dates as "2026-11-30 00:00:00", whole numbers as "1001".
The typed conversion then runs vectorised over whole columns (values.py).

fastexcel does not say where its range starts, and every problem must name
its cell, so the sheet's origin is read from the sheet XML itself: the first
row holding a value, and a value in column A among the first rows (then the
range can only start at column A). When that cannot be established the
caller falls back to python-calamine, which reports its range start.
"""
from __future__ import annotations

import gc
import html
import posixpath
import re
import zipfile
from itertools import islice
from pathlib import Path

import pandas as pd

from .values import cell_text

HEAD_ROWS = 40
_ROW = re.compile(rb"<(?:\w+:)?row\b([^>]*?)(/>|>(.*?)</(?:\w+:)?row>)", re.S)
_ROW_NUMBER = re.compile(rb'\br="(\d+)"')
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')
_VALUE = re.compile(rb"<(?:\w+:)?v>[^<]|<(?:\w+:)?is>")


def _sheet_part(zf: zipfile.ZipFile, sheet: str) -> str | None:
    book = zf.read("xl/workbook.xml").decode("utf-8")
    rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", book):
        tag = m.group(0)
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"|\bid="([^"]*)"', tag)
        if not name or not rid or html.unescape(name.group(1)) != sheet:
            continue
        rid = rid.group(1) or rid.group(2)
        for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
            if f'Id="{rid}"' in rel.group(0):
                target = re.search(r'Target="([^"]*)"', rel.group(0)).group(1)
                return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                    posixpath.join("xl", target))
    return None


def sheet_origin(path, sheet: str) -> tuple[int, int] | None:
    """(first row holding a value, the row of a column-A value) or None when not certain."""
    try:
        with zipfile.ZipFile(path) as zf:
            part = _sheet_part(zf, sheet)
            if part is None:
                return None
            with zf.open(part) as fh:
                buffer, first, seen = b"", None, 0
                while seen < HEAD_ROWS:
                    chunk = fh.read(1 << 20)
                    buffer += chunk
                    end = 0
                    for m in _ROW.finditer(buffer):
                        end = m.end()
                        number = _ROW_NUMBER.search(m.group(1))
                        cells = [c for c in _CELL.finditer(m.group(3) or b"") if _VALUE.search(c.group(2) or b"")]
                        if not cells:
                            continue
                        if number is None:
                            return None
                        first = first or int(number.group(1))
                        seen += 1
                        for c in cells:
                            ref = _CELL_REF.search(c.group(1))
                            if ref is None:
                                return None
                            if ref.group(1) == b"A":
                                return first, int(ref.group(2))
                    buffer = buffer[end:]
                    if not chunk:
                        break
    except (zipfile.BadZipFile, KeyError, OSError):
        return None
    return None


def read_text_columns(path, sheet: str):
    """(first sheet row, column offset, head rows, text columns) via fastexcel, or None."""
    origin = sheet_origin(path, sheet)
    if origin is None:
        return None
    try:
        import fastexcel
    except ImportError:
        return None
    first_row, a_row = origin
    batch = fastexcel.read_excel(str(Path(path))).load_sheet(sheet, header_row=None, dtypes="string").to_arrow()
    columns = [batch.column(i).to_pandas() for i in range(batch.num_columns)]
    if not columns or a_row - first_row >= len(columns[0]) or pd.isna(columns[0].iat[a_row - first_row]):
        return None  # the XML and the reader disagree about where the range starts
    head = [[c.iat[i] if pd.notna(c.iat[i]) else None for c in columns]
            for i in range(min(HEAD_ROWS, len(columns[0])))]
    return first_row, 0, head, columns


def text_columns_from_rows(rows, chunk: int = 65536) -> list[pd.Series]:
    """The same text columns from python-calamine rows (the fallback path).

    Rows are taken a chunk at a time and turned into Arrow-backed text at once,
    so a million Python row lists never sit in memory beside their text.
    """
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
    fast = read_text_columns(path, name)
    if fast is not None:
        return fast
    ws = wb.get_sheet_by_name(name)
    start = ws.start
    gc.disable()  # a million small lists, none cyclic: the collector would only rescan them
    try:
        columns = text_columns_from_rows(ws.iter_rows())
    finally:
        gc.enable()
    del ws
    height = len(columns[0]) if columns else 0
    head = [[None if pd.isna(c.iat[i]) else c.iat[i] for c in columns] for i in range(min(HEAD_ROWS, height))]
    return 1, (start[1] if start else 0), head, columns
