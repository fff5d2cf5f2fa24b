"""A book's sheets from its .xlsx file: the zip guard first, python-calamine, and fastexcel in bulk.

One of the reader's two sheet sources (the other, valuesheets, holds values
Excel handed over). Only the file needs these readers, and xlwings Lite's
Pyodide has neither fastexcel nor a recent enough python-calamine, so the
reader imports this module only when it reads a file.
"""
from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from . import guard
from .bulk import SheetData, open_sheet, text_sheet
from .package import BookUnreadable, Marks, read_marks


class FileSheets:
    """The sheets of the .xlsx at ``path``, checked by the guard before calamine opens it."""

    def __init__(self, path: Path):
        guard.check(path, sheets=False)  # each sheet's cells are checked when it is read
        try:
            self.wb = CalamineWorkbook.from_path(str(path))
            self.sheet_names = list(self.wb.sheet_names)
        except Exception as exc:  # calamine raises its own error types for every kind of bad file
            raise BookUnreadable(f"{path.name} cannot be read as an Excel workbook (it may be damaged): open it "
                                 f"in Excel and save it again, or export it again") from exc
        self.path = path

    def marks(self) -> Marks:
        return read_marks(self.path)

    def rows(self, name: str) -> tuple[list[list], int]:
        """(rows, column offset): rows[i] is sheet row i+1; cell j is column offset+j."""
        guard.check_sheet(self.path, name)
        ws = self.wb.get_sheet_by_name(name)
        start = ws.start
        return list(ws.iter_rows()), (start[1] if start else 0)

    def sheet(self, name: str, fast: bool = True) -> SheetData:
        return open_sheet(self.path, self.wb, name, fast)

    def text_sheet(self, name: str):
        return text_sheet(self.path, self.wb, name)
