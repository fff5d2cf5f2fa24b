"""Columns: what arcollect understood of a book's receivables, in lines a clerk can check.

For each field, the column letter, its header, why it was taken (exact,
synonym, token, content or setting) and what else was considered; then what
reading decided once (dates read month first, rows read once), how many items
were read and the problems found. Nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core.model import Problem
from ..workbook.inference import mapping_lines
from ..workbook.reader import Book, read_book


@dataclass
class ColumnsReport:
    book: Book
    lines: list[str]
    problems: list[Problem] = field(default_factory=list)


def describe_columns(path) -> ColumnsReport:
    """Read the book (a workbook or a CSV export) and say which column is which."""
    book = read_book(path)
    lines = mapping_lines(book.layout.mapping)
    lines.append(f"{len(book.items):,} item(s) read" + (f", {book.skipped_rows:,} row(s) skipped for problems"
                                                        if book.skipped_rows else ""))
    return ColumnsReport(book, lines, list(book.problems))
