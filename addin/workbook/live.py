"""The workbook open in Excel, through xlwings' Book API: the port a ribbon button works on.

A button is clicked while the book is open, so the file writer (which refuses
open books) cannot serve. ``LiveWorkbook`` reads every sheet's values from
Excel in chunks and hands them, with the book's marks, to the one reader
(valuesheets), so the live book is read exactly as the file is, every problem
naming the same cell, with no file written and none of the file's readers
(which xlwings Lite's Pyodide lacks).
``LivePackage`` writes as ``XlsxPackage`` does, with the same rules (marked
sheets and columns, a user's sheet of the same name left alone, History only
appended): values in bulk ranges, links, number formats, a table, tier
colours and the chart through Excel. Excel keeps the book; ``save`` saves it
where it already is.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

from .chart import Chart
from .package import (DEFAULT_TIERS, MARK_COLUMNS, MARK_SHEET, Marks, TierRule, _column_chunks, _mark_ref,
                      _mark_target, mark_name, unique_headers)
from .reader import Book, read_sheets
from .styles import fmt_code
from .valuesheets import ValueSheets
from .xlsx_xml import Column, Formula, Link, col_letter, link_location, split_ref

CHUNK = 10_000                      # rows per read and per bulk write: one call to Excel each
READ_OPTIONS = {"ndim": 2, "chunksize": CHUNK, "err_to_str": True}
SKIPPED_ROLES = ("Aging", "Summary", "Errors", "Plan Schedule")   # ours and never read back


def _marks(book) -> Marks:
    names = [s.name for s in book.sheets]
    by_lower = {n.lower(): n for n in names}
    sheets, columns = {}, {}
    for n in book.names:
        target = _mark_target(n.refers_to)
        if target is None or target[0].lower() not in by_lower:
            continue
        if n.name.startswith(MARK_SHEET):
            sheets[n.name] = by_lower[target[0].lower()]
        elif n.name == MARK_COLUMNS:
            columns[by_lower[target[0].lower()]] = target[1]
    return Marks(sheets, columns)


def _cell(v):
    """A value as Excel takes it through xlwings: plain Python scalars, NaN and NaT no value, a Decimal a float,
    a datetime without its zone (as the file port writes it), a formula as its text."""
    if v is None or isinstance(v, (str, bool)):
        return v
    if isinstance(v, Formula):
        return v.text if v.text.startswith("=") else "=" + v.text
    if isinstance(v, Link):
        return v.text
    if isinstance(v, np.generic):
        if v.dtype.kind in "Mm":
            return None if np.isnat(v) else _cell(v.astype("datetime64[us]").item())
        return _cell(v.item())
    if isinstance(v, Decimal):
        return float(v) if v.is_finite() else None
    if isinstance(v, float):
        return float(v) if v == v else None
    if isinstance(v, int):
        return int(v)
    if type(v).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(v, "to_pydatetime"):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        return v.replace(tzinfo=None)
    return v if isinstance(v, date) else str(v)


def used_size(sheet) -> tuple[int, int]:
    """(last row, last column) of a sheet's used range; (0, 0) when it is empty."""
    last = sheet.used_range.last_cell
    if last.row == 1 and last.column == 1 and sheet.range((1, 1)).value is None:
        return 0, 0
    return last.row, last.column


class LiveWorkbook:
    """The port over an open xlwings Book: ``read()`` and ``writing()`` as the file port has them."""

    saves_durably = False       # Excel saves when it saves, and a new book not at all: the send journal stays

    def __init__(self, book, progress: Callable[[str], None] | None = None):
        self.book = book
        self.path = Path(book.fullname)
        self.progress = progress or (lambda text: None)

    def read(self) -> Book:
        """The book as the reader reads a file, from the values Excel holds now (arcollect's output sheets
        are named but not read: the reader never reads them back)."""
        self.progress("reading the workbook")
        marks = _marks(self.book)
        skipped = {marks.sheet(role) for role in SKIPPED_ROLES}
        sheets = {s.name: [] if s.name in skipped else self.rows(s.name) for s in self.book.sheets}
        return read_sheets(self.path, ValueSheets(sheets, marks))

    @contextmanager
    def writing(self, wait: float | None = None) -> Iterator["LivePackage"]:
        """Excel serialises the clicks on a book, so there is no lock to take: the writer, at once."""
        yield LivePackage(self.book, self.progress)

    def rows(self, sheet: str) -> list[list]:
        """A sheet's values as Excel holds them now, in one read."""
        ws = self.book.sheets[sheet]
        rows, cols = used_size(ws)
        return ws.range((1, 1), (rows, cols)).options(**READ_OPTIONS).value if rows else []

    def table(self, sheet: str, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
        """The named columns under the sheet's first-row header; text columns (``dtypes``) as text."""
        rows = self.rows(sheet)
        frame = pd.DataFrame(rows[1:], columns=rows[0]) if rows else pd.DataFrame()
        frame = frame[[c for c in frame.columns if c in columns]]
        for c in frame.columns:
            if dtypes.get(c) == "string":
                frame[c] = frame[c].map(lambda v: None if v is None else str(v))
        return frame


class LivePackage:
    """``XlsxPackage``'s writing surface, carried out by Excel."""

    def __init__(self, book, progress: Callable[[str], None]):
        self.book = book
        self.progress = progress

    @property
    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def marks(self) -> Marks:
        return _marks(self.book)

    def _sheet(self, name: str):
        return next((s for s in self.book.sheets if s.name.lower() == name.lower()), None)

    def _header(self, sheet, row: int = 1) -> list:
        _, cols = used_size(sheet)
        if not cols:
            return []
        values = sheet.range((row, 1), (row, cols)).options(ndim=2).value[0]
        while values and values[-1] is None:
            values.pop()
        return values

    def _owned_target(self, role: str, headers: list[str]) -> str:
        """The marked sheet, a free ``role``, an unmarked one headed exactly so, else "role (arcollect)"."""
        marks = self.marks()
        if marks.sheet(role):
            return marks.sheet(role)
        candidates = [role] + [f"{role} (arcollect)"] + [f"{role} (arcollect {k})" for k in range(2, 100)]
        for name in candidates:
            sheet = self._sheet(name)
            if sheet is None or (sheet.name not in marks.sheets.values() and self._header(sheet) == headers):
                return sheet.name if sheet is not None else name
        raise ValueError(f"no free sheet name for {role!r}")

    def _new_sheet(self, name: str) -> str:
        """A sheet for the clerk (init's Settings, History...): never one that is there already."""
        if self._sheet(name) is not None:
            raise ValueError(f"{self.book.name} already has a sheet {name!r}")
        return name

    def _write_block(self, sheet, top: int, left: int, rows, ncols: int) -> int:
        """``rows`` (row sequences or ``Columns``) from (top, left), a chunk per call; returns rows written."""
        n = 0
        for cols in _column_chunks(rows, ncols):
            block = [[_cell(v) for v in row] for row in zip(*cols)]
            sheet.range((top + n, left)).value = block
            for i, row in enumerate(zip(*cols)):
                for j, v in enumerate(row):
                    if isinstance(v, Link):
                        sheet.range((top + n + i, left + j)).add_hyperlink(
                            "#" + link_location(v.target), v.text)
            n += len(block)
        return n

    def write_sheet(self, name: str, columns: list[Column], rows, *, table: str | None = None,
                    freeze_header: bool = True, chart: Chart | Sequence[Chart] | None = None,
                    tab_color: str | None = None,
                    owned: bool = True) -> str:
        """Write the sheet for the role ``name`` as ``XlsxPackage.write_sheet`` does; return its name.

        Frozen header rows and tab colours are left as Excel has them: xlwings' Book API has no portable
        call for either (only the Windows-only ``.api``).
        """
        columns = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
        headers = unique_headers([c.header for c in columns]) if table else [c.header for c in columns]
        role, name = name, self._owned_target(name, headers) if owned else self._new_sheet(name)
        self.progress(f"writing {name}")
        sheet = self._sheet(name)
        if sheet is None:
            sheet = self.book.sheets.add(name, after=self.book.sheets[len(self.book.sheets) - 1])
        else:
            sheet.clear()
            for old in list(sheet.charts):
                old.delete()
        sheet.range((1, 1)).value = [headers]
        sheet.range((1, 1), (1, len(headers))).font.bold = True
        n = self._write_block(sheet, 2, 1, rows, len(columns))
        for j, c in enumerate(columns, 1):
            col = sheet.range((1, j), (max(n, 1) + 1, j))
            if fmt_code(c.fmt) != "General":
                sheet.range((2, j), (max(n, 1) + 1, j)).number_format = fmt_code(c.fmt)
            if c.width:
                col.column_width = c.width
        if table:
            sheet.tables.add(source=sheet.range((1, 1), (n + 1, len(columns))), name=self._table_name(table))
        for c in [] if chart is None else [chart] if isinstance(chart, Chart) else chart:
            self._chart(sheet, c)
        if owned:
            self.book.names.add(mark_name(role), "=" + _mark_ref(sheet.name, 1, 1, 1, 1))
        return sheet.name

    def _table_name(self, table: str) -> str:
        taken = {t.name.lower() for s in self.book.sheets for t in s.tables}
        return next(n for k in range(1, 1000) for n in [table if k == 1 else f"{table}{k}"] if n.lower() not in taken)

    def _chart(self, sheet, chart: Chart) -> None:
        anchor = sheet.range(chart.anchor)
        drawn = sheet.charts.add(left=anchor.left, top=anchor.top, width=64 * chart.width_cols,
                                 height=20 * chart.height_rows)
        drawn.chart_type = "bar_clustered" if chart.kind in ("hbar", "barh", "horizontal") else "column_clustered"
        cats, vals = chart.categories.split("!")[-1], chart.values.split("!")[-1]
        (c1, r1), (c2, r2) = (split_ref(ref.split(":")[0].replace("$", "")) for ref in (cats, vals))
        # labels beside their values: one block; else the two areas (Excel takes a union as labels, values)
        together = c2 == c1 + 1 and r1 == r2
        drawn.set_source_data(sheet.range(f"{cats.split(':')[0]}:{vals.split(':')[-1]}" if together
                                          else f"{cats},{vals}"))

    def update_columns(self, sheet: str, header_row: int, headers: list[str], rows: Sequence[int],
                       values: list[Sequence], *, tiers: TierRule | None = None) -> list[str]:
        """arcollect's flag columns in a user sheet: the marked ones, else after the last header."""
        target = self._sheet(sheet)
        rows = [int(r) for r in rows]
        if len(values) != len(headers) or any(len(v) != len(rows) for v in values):
            raise ValueError("update_columns: one list of values per header, one value per row")
        self.progress(f"flagging {sheet}")
        marked = self.marks().columns.get(target.name)
        if marked is not None:
            first = marked[0]
        else:
            current = self._header(target, header_row)
            found = [i + 1 for i, h in enumerate(current) if h == headers[0]]
            first = found[0] if found and current[found[0] - 1:found[0] - 1 + len(headers)] == headers \
                else len(current) + 1
        last_col = first + len(headers) - 1
        last_row = max(used_size(target)[0], header_row)
        if last_row > header_row:   # stale flags of rows no longer aged
            target.range((header_row + 1, first), (last_row, last_col)).clear_contents()
        target.range((header_row, first)).value = [list(headers)]
        cells = [[_cell(v[i]) for v in values] for i in range(len(rows))]
        for start, stop in _runs(rows):
            target.range((rows[start], first)).value = cells[start:stop]
        if tiers is not None and tiers.column in headers:
            self._colour(target, rows, values[headers.index(tiers.column)], first, last_col, tiers)
        self.book.names.add(MARK_COLUMNS, "=" + _mark_ref(target.name, first, header_row, last_col, header_row))
        return [col_letter(c) for c in range(first, last_col + 1)]

    def _colour(self, sheet, rows, key, first: int, last: int, rule: TierRule) -> None:
        """Each flagged row's cells filled by its tier (Excel draws what the file's conditional formats say)."""
        tiers = sorted(rule.tiers or DEFAULT_TIERS, key=lambda t: -t.above)
        fills = [next((t.fill for t in tiers if v == v and v is not None and float(v) > t.above), None)
                 for v in key]
        if rows:
            sheet.range((rows[0], first), (rows[-1], last)).color = None
        for start, stop in _runs(rows, fills):
            if fills[start]:
                sheet.range((rows[start], first), (rows[stop - 1], last)).color = "#" + fills[start]

    def append_rows(self, sheet: str, columns: list[Column], rows: Sequence[Sequence]) -> int:
        """Rows after the last non-empty one (History); existing rows are never rewritten."""
        columns = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
        target = self._sheet(sheet)
        if target is None:
            self.write_sheet(sheet, columns, rows, owned=False)
            return 2
        self.progress(f"appending to {sheet}")
        header = self._header(target)
        missing = [c.header for c in columns if c.header not in header]
        if missing:   # a column the clerk's History lacks goes after theirs
            target.range((1, len(header) + 1)).value = [missing]
            header = header + missing
        order = [header.index(c.header) for c in columns]
        first = max(used_size(target)[0], 1) + 1
        placed = []
        for r in rows:
            out = [None] * len(header)
            for i, v in zip(order, r):
                out[i] = v
            placed.append(out)
        self._write_block(target, first, 1, placed, len(header))
        return first

    def set_values(self, sheet: str, cells: dict[str, object]) -> None:
        target = self._sheet(sheet)
        for ref, v in cells.items():
            target.range(ref).value = _cell(v)

    def save(self) -> None:
        """Save the book where it is, when it has been saved before (a new book is the clerk's to name)."""
        if Path(self.book.fullname).is_absolute():
            self.progress("saving")
            self.book.save()


def _runs(rows: list[int], keys: list | None = None):
    """(start, stop) index runs of consecutive sheet rows (and equal ``keys``): one Excel call per run."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1 or (keys is not None and keys[i] != keys[start]):
            yield start, i
            start = i
