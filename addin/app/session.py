"""A book opened for writing: held by this process alone from before it is read until it is saved.

Every use case that writes (refresh, send, log, init) opens the book here,
reads it, and saves through the package it is given. The book's lock
(files/lock.py) is taken first, so two arcollect processes never interleave
their read and their save: the second waits, then refuses with a message.
Under the lock, what a killed save of this book left beside it is removed,
and the package remembers the file it read, so its save refuses to replace a
book another program (Excel, a copy, a sync client) saved in the meantime.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..files.atomic import remove_leftovers
from ..files.lock import book_lock
from ..workbook.package import BookUnreadable, XlsxPackage, _check_unlocked
from ..workbook.reader import Book, read_book


@contextmanager
def writing(path, wait: float | None = None) -> Iterator[XlsxPackage]:
    """The lossless package of ``path``, this process's alone until the block ends.

    Refused (``BookLocked``) while Excel or LibreOffice has the book open, or when another
    arcollect still holds it after ``wait`` seconds (default: ``ARCOLLECT_LOCK_WAIT``, else 30).
    """
    path = Path(path)
    _check_unlocked(path)            # before waiting: no use waiting for the clerk to close Excel
    if not path.is_file():
        raise BookUnreadable(f"{path.name}: no such workbook ({path})")
    with book_lock(path, wait):
        remove_leftovers(path)
        pkg = XlsxPackage.open(path)
        try:
            yield pkg
        finally:
            pkg.close()


class FileWorkbook:
    """The workbook as a file: read by the reader, written through the lossless package under its lock.

    The live book open in Excel (workbook/live.py) has the same two methods and ``path``, so every use
    case takes either.
    """

    saves_durably = True        # a save is on disk (fsynced) when it returns: see send's journal compaction

    def __init__(self, path):
        self.path = Path(path)

    def read(self) -> Book:
        return read_book(self.path)

    def writing(self, wait: float | None = None):
        return writing(self.path, wait)

    def rows(self, sheet: str) -> list[list]:
        """A small sheet's cells as Python values, read as the reader reads a sheet (``FileSheets``)."""
        from ..workbook.filesheets import FileSheets

        return FileSheets(self.path).rows(sheet)[0]

    def table(self, sheet: str, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
        """The named columns of a big sheet under its first-row header (fastexcel: typed, columnar)."""
        from ..workbook.bulk import fast_table

        return fast_table(self.path, sheet, columns, dtypes)


def workbook(target):
    """The port for ``target``: a live book as it is, else the file at that path."""
    return target if hasattr(target, "writing") else FileWorkbook(target)
