"""A book's sheets as values already in memory: what xlwings hands over from the book open in Excel.

One of the reader's two sheet sources (the other, filesheets, reads the
.xlsx). Each sheet's rows start at A1, so every problem names the cell it
names on the file; the marks come from the book's defined names. It needs
none of the file's readers (python-calamine, fastexcel, the zip guard),
which is what lets the live port run inside xlwings Lite's Pyodide.
"""
from __future__ import annotations

from .bulk import HEAD_ROWS, SheetData, text_sheet_of_rows
from .package import Marks
from .typed import columns_from_rows


class ValueSheets:
    """``sheets``: {name: rows of cell values from A1} in the book's order; ``marks``: arcollect's own."""

    def __init__(self, sheets: dict[str, list[list]], marks: Marks):
        self._rows = sheets
        self._marks = marks
        self.sheet_names = list(sheets)

    def marks(self) -> Marks:
        return self._marks

    def rows(self, name: str) -> tuple[list[list], int]:
        return self._rows[name], 0

    def sheet(self, name: str, fast: bool = True) -> SheetData:
        """The sheet's typed columns from its values (``fast`` means nothing here: there is one way)."""
        rows = self._rows[name]
        return SheetData(name, rows[:HEAD_ROWS], 1, 0, lambda header_index: columns_from_rows(rows[header_index + 1:]),
                         lambda: [])

    def text_sheet(self, name: str):
        return text_sheet_of_rows(self._rows[name], 0)
