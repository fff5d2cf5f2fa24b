"""A1 cell addresses: the names users see in every message."""
from __future__ import annotations

from .xlsx_xml import col_letter


def address(sheet: str, col: int, row: int) -> str:
    """'Receivables!D14' from a 0-based column and a 1-based row."""
    return f"{sheet}!{col_letter(col + 1)}{row}"
