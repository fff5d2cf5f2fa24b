"""A sheet column below its header as one kind of value, plus the cells of other kinds.

Readers hand over columns typed the way the file holds them: date cells as
dates, number cells as float64, text as text. Converting a million dates or
amounts is then arithmetic on arrays, not parsing text. A cell that is not of
its column's kind (a "TBD" among due dates) keeps its own value in ``other``,
so the problem it causes can quote it and name its cell.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from itertools import islice

import numpy as np
import pandas as pd

from .values import EXCEL_EPOCH, cell_text

NAT = np.datetime64("NaT", "D")
KINDS = ("empty", "number", "date", "text", "bool")


class Column:
    """One column's values below the header row.

    kind: "date" (values datetime64[D], NaT blank), "number" (float64, NaN blank),
    "bool" (object: True/False/None), "text" (pandas str Series, stripped, NA blank;
    every cell rendered as text, dates as "2026-11-30 00:00:00") or "empty".
    other: {row index: the cell's own value} where a cell is not of the kind.
    Text read in bulk is stripped when first asked for (``raw``): a column no
    field uses, or one read only at a few rows, is never stripped whole.
    """

    __slots__ = ("kind", "_values", "other", "_raw")

    def __init__(self, kind: str, values, other: dict[int, object] | None = None, raw: bool = False):
        self.kind, self._values, self.other, self._raw = kind, values, other or {}, raw

    @property
    def values(self):
        if self._raw:
            self._values, self._raw = text_series(self._values), False
        return self._values

    def raw_text(self) -> pd.Series:
        """A text column's cells as read (stripped or not), for work done once per distinct value."""
        return self._values

    def __len__(self) -> int:
        return len(self._values)

    def filled(self) -> np.ndarray:
        """True where the cell holds something (of the kind or not)."""
        if self.kind == "text":
            m = self.values.notna().to_numpy(dtype=bool, copy=True)
        elif self.kind == "date":
            m = ~np.isnat(self.values)
        elif self.kind == "number":
            m = ~np.isnan(self.values)
        elif self.kind == "bool":
            m = np.array([v is not None for v in self.values], dtype=bool)
        else:
            m = np.zeros(len(self.values), bool)
        if self.other:
            m[list(self.other)] = True
        return m

    def take(self, rows: np.ndarray) -> "Column":
        """The column at these row indexes (others renumbered)."""
        values = self._values.iloc[rows].reset_index(drop=True) if self.kind == "text" else self._values[rows]
        if not self.other:
            return Column(self.kind, values, raw=self._raw)
        position = {int(r): k for k, r in enumerate(rows)}
        return Column(self.kind, values, {position[i]: v for i, v in self.other.items() if i in position})

    def cell(self, i: int):
        """One cell's own value (None when blank), for messages and the slow path."""
        if i in self.other:
            return self.other[i]
        v = self.values.iat[i] if self.kind == "text" else self.values[i]
        if self.kind == "date":
            return None if np.isnat(v) else v.astype(date)
        if self.kind == "number":
            return None if np.isnan(v) else float(v)
        if self.kind == "text":
            return None if pd.isna(v) else str(v)
        return v


def text_series(s: pd.Series) -> pd.Series:
    """Text cells stripped, blank ones NA: what every text Column holds."""
    s = s.str.strip()
    return s.mask(s == "").reset_index(drop=True)


def empty_column(n: int) -> Column:
    return Column("empty", np.zeros(n, dtype=np.int8))


# --- from Arrow (fastexcel) ---------------------------------------------------------------

_DETAIL = re.compile(r"got '(\w+)\((.*)\)'$", re.S)
_EXCEL_DT = re.compile(r"value: (-?[\d.eE+-]+)")
_RUST_ESCAPE = re.compile(r"\\(u\{[0-9a-fA-F]+\}|.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}


def _unescape(s: str) -> str:
    def one(m):
        e = m.group(1)
        return chr(int(e[2:-1], 16)) if e.startswith("u{") else _ESCAPES.get(e, e)
    return _RUST_ESCAPE.sub(one, s)


def error_value(detail: str):
    """The cell's own value from a fastexcel coercion error ("Expected float but got 'String(\"TBD\")'")."""
    m = _DETAIL.search(detail)
    if not m:
        return detail
    kind, body = m.group(1), m.group(2)
    if kind == "String" or kind.endswith("Iso"):
        return _unescape(body[1:-1]) if body.startswith('"') else body
    if kind == "Float":
        return float(body)
    if kind == "Int":
        return int(body)
    if kind == "Bool":
        return body == "true"
    if kind == "DateTime":
        serial = _EXCEL_DT.search(body)
        return EXCEL_EPOCH + timedelta(days=float(serial.group(1))) if serial else body
    return f"#{body}" if kind == "Error" else body


def from_arrow(array, other: dict[int, object]) -> Column:
    """A typed Column from one Arrow column of fastexcel's, with its coercion errors."""
    import pyarrow as pa

    t = array.type
    if pa.types.is_null(t):
        col = empty_column(len(array))
    elif pa.types.is_timestamp(t) or pa.types.is_date(t):
        col = Column("date", array.to_numpy(zero_copy_only=False).astype("datetime64[D]"))
    elif pa.types.is_floating(t) or pa.types.is_integer(t):
        col = Column("number", array.to_numpy(zero_copy_only=False).astype("float64"))
    elif pa.types.is_boolean(t):
        col = Column("bool", np.array(array.to_pylist(), dtype=object))
    else:
        if array.null_count == len(array):
            col = empty_column(len(array))  # all blank: fastexcel could not guess its type
        else:
            text = array.to_pandas()
            col = Column("text", text if pa.types.is_string(t) or pa.types.is_large_string(t) else
                         text.astype("str"), raw=True)
    if other and col.kind == "empty":
        col = Column("text", pd.Series([None] * len(array), dtype="str"))
    col.other = other
    return col


# --- from Python cells (python-calamine rows, the fallback path) ---------------------------

def _code(v) -> int:
    if v is None or v == "":
        return 0
    if isinstance(v, bool):
        return 4
    if isinstance(v, (int, float)):
        return 1
    if isinstance(v, (date, datetime)):
        return 2
    return 3


def columns_from_rows(rows, width: int | None = None, chunk: int = 65536) -> list[Column]:
    """Typed Columns from rows of Python cells, a chunk of rows at a time.

    Each column takes the kind most of its cells have; a column where text
    is the most common kind is all text (every cell rendered), as fastexcel
    renders a mixed column.
    """
    codes: list[list[np.ndarray]] = []
    cells: list[list[list]] = []
    rows = iter(rows)
    while block := list(islice(rows, chunk)):
        w = max((len(r) for r in block), default=0)
        if width is not None:
            w = width
        while len(codes) < w:
            pad = sum(len(c) for c in codes[0]) if codes else 0
            codes.append([np.zeros(pad, np.int8)] if pad else [])
            cells.append([[None] * pad] if pad else [])
        for j in range(len(codes)):
            col = [r[j] if j < len(r) else None for r in block]
            codes[j].append(np.fromiter((_code(v) for v in col), np.int8, len(col)))
            cells[j].append(col)
    return [_typed(np.concatenate(c) if c else np.zeros(0, np.int8), [v for part in vs for v in part])
            for c, vs in zip(codes, cells)]


def _typed(code: np.ndarray, values: list) -> Column:
    n = len(values)
    counts = np.bincount(code, minlength=5)
    if counts[1:].sum() == 0:
        return empty_column(n)
    kind_code = int(np.argmax(counts[1:]) + 1)
    kind = KINDS[kind_code]
    other_rows = np.flatnonzero((code != 0) & (code != kind_code))
    if kind == "text":
        return Column("text", text_series(pd.Series([cell_text(v) for v in values], dtype="str")))
    other = {int(i): values[i] for i in other_rows}
    if kind == "date":
        out = np.full(n, NAT)
        idx = np.flatnonzero(code == 2)
        out[idx] = np.array([v.date() if isinstance(v, datetime) else v for v in (values[i] for i in idx)],
                            dtype="datetime64[D]")
        return Column("date", out, other)
    if kind == "number":
        out = np.full(n, np.nan)
        idx = np.flatnonzero(code == 1)
        out[idx] = np.fromiter((values[i] for i in idx), np.float64, len(idx))
        return Column("number", out, other)
    out = np.full(n, None, dtype=object)
    idx = np.flatnonzero(code == 4)
    out[idx] = [values[i] for i in idx]
    return Column("bool", out, other)


def text_columns(columns: list[list[str]]) -> list[Column]:
    """Columns of text cells (a CSV), blank as ''."""
    return [Column("text", text_series(pd.Series(c, dtype="str"))) for c in columns]
