"""The used range calamine will allocate for a sheet's cells, bounded before it does.

calamine places each non-empty cell by its ``r`` (or by counting from the
previous one) and allocates the bounding box of all of them as a dense grid,
so one cell at XFD1048576 costs 512 GiB. ``UsedRange`` bounds the box in one
cheap pass over the common form; ``ExactRange`` replays calamine's placement
for anything else. The guard (``guard``) and the block reader (``blocks``)
run them on a sheet's cell data before calamine sees it.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .xlsx_xml import MAX_COLS, MAX_ROWS, col_index, col_letter

if TYPE_CHECKING:
    from .guard import Limits

# Excel's last row, 1048576, as the 7-digit numbers not above it
_ROW7 = rb"10(?:[0-3]\d{4}|4(?:[0-7]\d{3}|8(?:[0-4]\d\d|5(?:[0-6]\d|7[0-6]))))"
_CELLS: dict[int, re.Pattern] = {}
# a row's number when r="..." is its first attribute, as every writer puts it; b"" for a row written otherwise
ROWS = re.compile(rb'<row(?: r="(\d{1,7})"|(?=[\s>/]))')
# a prefixed row or cell tag (<x:c ...>), which ROWS and _cells do not see
_PREFIXED = re.compile(rb':(?:c|row)[\s>/]')


def _cells(digits: int) -> re.Pattern:
    """Every cell tag the fast bound does not cover: it fails at once on ``<c r="A1"`` to Z and a row in bound.

    Group 1: the letters of a column beyond Z whose row is within the bound; an empty group 1 is
    any other cell (r not its first attribute, lower case, a row of more than ``digits`` digits or
    past Excel's last row, a value that is not a cell reference). One pass over the cells, as
    each pass over a sheet's XML costs about a second per GiB.
    """
    if digits not in _CELLS:
        row = rb'(?:\d{1,6}|' + _ROW7 + rb')"' if digits > 6 else rb'\d{1,%d}"' % digits
        _CELLS[digits] = re.compile(rb'<c(?! r="[A-Z]?' + row + rb')(?: r="([A-Z]{2,}+)(?=' + row + rb')|)')
    return _CELLS[digits]


# the exact pass: row and cell tags as quick-xml reads them (any prefix, attribute order and quoting)
_TAG = re.compile(rb'<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|\'[^\']*\'))*)\s*(/?)>')
_R_ATTR = re.compile(rb'(?:^|\s)r\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
REF = re.compile(rb"([A-Za-z]*)([0-9]*)")


class UsedRange:
    """The used range of one worksheet part, bounded in one cheap pass.

    calamine places each non-empty cell by its ``r`` (or by counting from the previous one) and
    then allocates the bounding box of all of them. The bound holds for the common form
    (``<row r="n">`` and ``<c r="A1" ...>``, ``r`` first): the widest column referenced times the
    largest row the digits allow. Anything else makes the bound unknown, and the exact pass
    (``ExactRange``) replays calamine's placement.
    """

    def __init__(self, size: int, limits: Limits, allowed: int | None = None):
        self.allowed = allowed if allowed is not None else \
            min(limits.range_cells, max(limits.sparse_cells, size * limits.cells_per_byte))
        self.digits = 7 if 26 * MAX_ROWS <= self.allowed else max(
            (d for d in range(1, 7) if 26 * (10 ** d - 1) <= self.allowed), default=0)
        self.cells = _cells(max(self.digits, 1))
        self.letters: set[bytes] = set()
        self.unsure = not self.digits            # so few cells allowed that only the exact pass can tell

    def scan(self, body: bytes, rows: list[bytes] | None = None) -> None:
        """A piece of sheetData; ``rows`` is its ``ROWS.findall``, when the caller has it already."""
        if self.unsure:
            return
        rows = ROWS.findall(body) if rows is None else rows
        found = set(self.cells.findall(body))
        last = MAX_ROWS if self.digits > 6 else 10 ** self.digits - 1
        if b"" in found or b"" in rows or any(int(r) > last for r in rows if len(r) >= min(self.digits, 7)) \
                or (b":" in body and _PREFIXED.search(body)):
            self.unsure = True
        self.letters |= found

    def bound(self) -> int | None:
        """Cells of the used range at most, or None when the fast pass cannot say."""
        if self.unsure:
            return None
        rows = MAX_ROWS if self.digits > 6 else 10 ** self.digits - 1
        return rows * max([26] + [column(x) for x in self.letters])


def column(letters: bytes) -> int:
    return col_index(letters.upper()) if len(letters) <= 3 else MAX_COLS + 1


class ExactRange:
    """calamine's placement of the cells of one sheetData, replayed: the box they span."""

    def __init__(self):
        self.row = self.col = 0                   # calamine's running 0-based row and column
        self.top = self.left = None
        self.bottom = self.right = -1
        self.far: tuple[int, int] | None = None   # the cell furthest from A1
        self.beyond: tuple[int, int] | None = None  # the first cell past Excel's last cell
        self.bad: bytes | None = None             # a reference calamine cannot read

    def scan(self, body: bytes) -> None:
        # quick-xml expands <x/> into a start and an end: a self-closing row still ends a row, a
        # self-closing cell still takes a column, though it holds no value and is not placed
        for closing, kind, attrs, empty in _TAG.findall(body):
            if kind == b"row":
                if not closing and (r := self._ref(attrs, cell=False)) is not None:
                    self.row = r[0]
                if closing or empty:
                    self.row, self.col = self.row + 1, 0
            elif not closing:
                r = self._ref(attrs, cell=True)
                if r is not None:
                    self.col = r[1]
                if not empty:
                    self._place(*(r or (self.row, self.col)))
                self.col += 1

    def _ref(self, attrs: bytes, cell: bool) -> tuple[int, int] | None:
        m = _R_ATTR.search(attrs)
        if m is None:
            return None
        value = m.group(1) if m.group(1) is not None else m.group(2)
        ref = REF.fullmatch(value)
        if ref is None or not ref.group(2) or len(ref.group(2)) > 9 or (cell and not ref.group(1)):
            self.bad = self.bad or value
            return None
        return int(ref.group(2)) - 1, column(ref.group(1)) - 1 if ref.group(1) else self.col

    def _place(self, row: int, col: int) -> None:
        self.top = row if self.top is None else min(self.top, row)
        self.left = col if self.left is None else min(self.left, col)
        self.bottom, self.right = max(self.bottom, row), max(self.right, col)
        if self.far is None or row + col > sum(self.far):
            self.far = (row, col)
        if self.beyond is None and not (0 <= row < MAX_ROWS and col < MAX_COLS):
            self.beyond = (row, col)

    def cells(self) -> int:
        return 0 if self.top is None else (self.bottom - self.top + 1) * (self.right - self.left + 1)


def ref_text(row: int, col: int) -> str:
    return f"{col_letter(col + 1)}{row + 1}" if col < MAX_COLS else f"row {row + 1:,}, column {col + 1:,}"
