"""Whether a file is read as a CSV export or as a workbook, by its first bytes and its name.

A text file named .csv, .txt or .tsv is a CSV export; a text file named like
a workbook is refused with what to do (rename it, or make a workbook from
it). Everything else is a workbook, whose checks (``guard.check``) say what
a file that is not one really is (.xls, .xlsb, .ods, encrypted, HTML...).
"""
from __future__ import annotations

from pathlib import Path

from .guard import looks_like_text
from .package import BookUnreadable

CSV_SUFFIXES = (".csv", ".txt", ".tsv", ".tab")


def read_kind(path) -> str:
    """'csv' or 'xlsx'; BookUnreadable for a text file named like a workbook."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head or head.startswith((b"PK", b"\xd0\xcf\x11\xe0")) or not looks_like_text(head):
        return "xlsx"
    lowered = head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ").lower()
    if lowered.startswith((b"<html", b"<!doctype", b"<table", b"<?xml")):
        return "xlsx"
    if path.suffix.lower() in CSV_SUFFIXES:
        return "csv"
    csv_name = f"{path.stem}.csv"
    raise BookUnreadable(f"{path.name} is not an Excel workbook (it looks like text/CSV): rename it to {csv_name} "
                         f"and run `arcollect age {csv_name}`, or make a collections workbook from it with "
                         f"`arcollect init --from {csv_name} BOOK.xlsx`")
