"""Init: set a clerk's workbook up for collections in one step.

`init_book(BOOK)` adds the Settings, Policy, Customers, History and Plans
sheets to the workbook the clerk already has, through the lossless package
like every write: nothing of theirs changes, and a sheet that already exists
is left alone (and reported). What the receivables tell is filled in — the
currency, the locale they were read with, the customers with their ids,
names and contact details — and the company details are left blank for the
clerk. `init_book(BOOK, from_csv=EXPORT)` first makes BOOK from a CSV export:
one Receivables table holding the rows as they were.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.model import HISTORY_COLUMNS
from ..core.policy import POLICY_COLUMNS
from ..workbook.csvbook import read_csv_table
from ..workbook.package import Column
from ..workbook.reader import Book
from ..workbook.template import (COMPANY_SETTINGS, CUSTOMER_COLUMNS, PLAN_COLUMNS, SETTINGS, WIDE_HEADERS,
                                 column_format, policy_rows, receivables_book)
from .errors import UsageError
from .session import workbook

SHEETS = ("Settings", "Policy", "Customers", "History", "Plans")
FILL_IN = "Fill in: "


@dataclass
class InitResult:
    added: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)       # already in the book, left as they were
    notes: list[str] = field(default_factory=list)


def init_book(path, *, from_csv=None) -> InitResult:
    """Add the collections sheets to ``path`` (made from ``from_csv`` first when given)."""
    port = workbook(path)
    path = port.path
    notes = []
    if from_csv is not None:
        if path.exists():
            raise UsageError(f"{path.name} already exists: `arcollect init {path.name}` sets it up as it is")
        headers, rows = read_csv_rows(Path(from_csv))
        receivables_book(path, headers, rows)
        notes.append(f"Made {path.name} from {Path(from_csv).name}: a Receivables table of {len(rows)} row(s)")
    with port.writing() as pkg:
        book = port.read()
        result = InitResult(notes=notes)
        present = {n.lower() for n in pkg.sheet_names}
        for name, (columns, rows, table) in _sheets(book).items():
            if name.lower() in present:
                result.kept.append(name)
                continue
            pkg.write_sheet(name, columns, rows, table=table, owned=False, freeze_header=True)
            result.added.append(name)
        if result.added:
            pkg.save()
    if "Settings" in result.added:
        result.notes.append(f"Company details and the sender address are blank on Settings: fill in "
                            f"{', '.join(COMPANY_SETTINGS)} before drafting letters")
    return result


def _columns(headers) -> list[Column]:
    return [Column(h, 28 if h in WIDE_HEADERS else 16, column_format(h)) for h in headers]


def _sheets(book: Book) -> dict[str, tuple[list[Column], list, str | None]]:
    """Each sheet init adds: (columns, rows, table name)."""
    return {
        "Settings": ([Column("Setting", 28), Column("Value", 40), Column("What it means", 70)],
                     settings_rows(book), None),
        "Policy": (_columns(POLICY_COLUMNS), policy_rows(), "Policy"),
        "Customers": (_columns(CUSTOMER_COLUMNS), customer_rows(book), "Customers"),
        "History": (_columns(HISTORY_COLUMNS), [], "History"),
        "Plans": (_columns(PLAN_COLUMNS), [], "Plans"),
    }


def settings_rows(book: Book) -> list[list]:
    """The template's settings, with the currency and locale the receivables were read with, and no company."""
    items = book.items
    found = {"Locale": book.settings.locale,
             "Currency": items["currency"].mode().iloc[0] if len(items) else book.settings.currency}
    rows = []
    for key, default, note in SETTINGS:
        if key in COMPANY_SETTINGS:
            rows.append([key, None, FILL_IN + note])
        else:
            rows.append([key, found.get(key, default), note])
    return rows


def customer_rows(book: Book) -> list[list]:
    """One row per customer of the receivables, in their order: id, name and the contact details found."""
    items = book.items.drop_duplicates("customer_key")
    contacts = book.contacts.drop_duplicates("customer_key").set_index("customer_key")
    rows = []
    for key, cid, name in zip(items["customer_key"], items["customer_id"], items["customer"]):
        c = contacts.loc[key] if key in contacts.index else None
        rows.append([cid, name, *("" if c is None else c.get(f, "") for f in (
            "contact", "email", "phone", "address", "language", "time_zone", "customer_type")), "", None])
    return rows


_PLAIN_NUMBER = re.compile(r"-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?")


def read_csv_rows(path: Path) -> tuple[list[str], list[list]]:
    """(headers, rows) of a CSV export, decoded and split as ``age`` reads it (``csvbook``).

    Values stay the text they were, except columns of plain numbers ("1234.50", "-7"), which become
    numbers so the clerk can sum them; dates and amounts in a locale's format ("1.234,50") stay text for
    the reader to parse by the book's locale.
    """
    try:
        records = read_csv_table(path).rows
    except OSError as exc:
        raise UsageError(f"{path.name}: cannot read the CSV export ({exc.strerror or exc})") from None
    table = [r for r in records if any(v.strip() for v in r)]
    if not table:
        raise UsageError(f"{path.name} has no rows: export the receivables as CSV with a header row")
    width = max(map(len, table))
    headers = table[0] + [""] * (width - len(table[0]))
    rows = [r + [""] * (width - len(r)) for r in table[1:]]
    for j in range(width):
        col = [r[j].strip() for r in rows]
        if any(col) and all(not v or _PLAIN_NUMBER.fullmatch(v) for v in col):
            for r, v in zip(rows, col):
                r[j] = (float(v) if "." in v else int(v)) if v else None
    for r in rows:
        for j, v in enumerate(r):
            if v == "":
                r[j] = None
    return headers, rows
