"""A CSV export read like a sheet: its encoding and delimiter found, its rows as text columns.

Accounting systems export CSV as often as .xlsx, in UTF-8 (with or without a
byte-order mark), UTF-16 (Excel's "Unicode text") or Windows-1252, separated
by commas, semicolons, tabs or bars. The rows then go through the same header
and content recognition and value parsing as a sheet; the "sheet" is named
after the file, as Excel names it when it opens the CSV, and row numbers are
the records' (what Excel shows).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..core.settings import Settings
from .bulk import HEAD_ROWS, SheetData
from .conventions import read_settings
from .receivables import Receivables, read_from_sheets
from .typed import text_columns

DELIMITERS = (",", ";", "\t", "|")
_SNIFF_ROWS = 50


@dataclass
class CsvTable:
    """Every record of a CSV as text, ragged as it came."""

    name: str  # the file's stem: the sheet name Excel gives it
    rows: list[list[str]]
    encoding: str
    delimiter: str


def decode(raw: bytes) -> tuple[str, str]:
    """(text, encoding): a byte-order mark decides, else UTF-8, else Windows-1252, else Latin-1."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig"), "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1"), "latin-1"


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first records into the most rows of one width (two fields or more)."""
    sample = text[:1 << 16]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    best, best_score = ",", (0, 0)
    for d in DELIMITERS:
        widths = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if any(v.strip() for v in r)]
        widths = widths[:_SNIFF_ROWS]
        if not widths:
            continue
        modal = max(set(widths), key=widths.count)
        score = (widths.count(modal), modal) if modal > 1 else (0, 0)
        if score > best_score:
            best, best_score = d, score
    return best


def read_csv_table(path) -> CsvTable:
    """All records of the CSV at ``path``, decoded and split."""
    path = Path(path)
    text, encoding = decode(path.read_bytes())
    delimiter = sniff_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return CsvTable(path.stem[:31], rows, encoding, delimiter)


def csv_sheet(table: CsvTable) -> SheetData:
    """The CSV as a sheet starting at A1: its first rows, and its rows below a header as text columns."""
    def load(header_index: int):
        below = table.rows[header_index + 1:]
        width = max((len(r) for r in table.rows[:len(below) + header_index + 1]), default=0)
        return text_columns([[r[j].strip() if j < len(r) else "" for r in below] for j in range(width)])

    head = [[v if v.strip() else None for v in r] for r in table.rows[:HEAD_ROWS]]
    return SheetData(table.name, head, 1, 0, load, lambda: [])


def read_csv_receivables(path, settings: Settings | None = None) -> Receivables:
    """The receivables of a CSV export: items, contacts, problems, and the layout with its Mapping.

    For ``init --from`` and ``age``: the header row is found (title lines above
    it are skipped), columns recognised by header and content, and values read
    as in a sheet. NoReceivables or MissingColumn as for a workbook.
    """
    settings = settings or read_settings({})[0]
    return read_from_sheets(Path(path), [csv_sheet(read_csv_table(path))], settings, currency_from_headers=True)
