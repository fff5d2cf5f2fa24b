"""Read a collections workbook into typed frames and problems.

The sheets come from a source: the .xlsx file (filesheets: the zip guard,
python-calamine, fastexcel) or the values Excel holds (valuesheets, for the
book open in Excel, xlwings Lite included); the reading is the same.

Every value keeps its cell: rows carry their sheet row number, and each
problem names ``Sheet!A1``, the value found and what was expected. Bad rows
are reported and skipped; every other row is read.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.parse import parse_flag
from ..core.model import Level, Problem
from ..core.policy import DEFAULT_LADDER, parse_policy
from ..core.settings import COLUMN_PREFIX, Settings, norm_key
from .cells import address
from .closebook import CLOSE_EMAILS
from .conventions import read_settings
from .csvbook import read_csv_receivables
from .history import read_history
from .records import records
from .receivables import CONTACT_FIELDS, Layout, customer_keys, read_receivables
from .schema import map_headers
from .values import map_unique, parse_dates, text_column

RECEIVABLES, CUSTOMERS, SETTINGS, POLICY, HISTORY, PLANS, ACTIONS = (
    "Receivables", "Customers", "Settings", "Policy", "History", "Plans", "Actions")
OWNED_SHEETS = ("Aging", "Actions", "Summary", "Errors")
POLICY_FIELDS = {"level": "level", "name": "name", "levelname": "name", "dayspastduefrom": "days_from",
                 "daysfrom": "days_from", "fromdays": "days_from", "dayspastdue": "days_from",
                 "mindayssincecontact": "min_days", "mindayssincelastcontact": "min_days",
                 "mindays": "min_days", "interval": "min_days", "channel": "channel",
                 "channels": "channel", "template": "template", "fee": "fee", "final": "final"}


@dataclass
class Book:
    path: Path
    sheet_names: list[str]
    settings: Settings
    ladder: list[Level]
    layout: Layout | None
    items: pd.DataFrame
    customers: pd.DataFrame
    contacts: pd.DataFrame  # per customer: email, contact, phone, address, language, time_zone, type, email_cell
    history: pd.DataFrame
    plans: list[tuple[dict, dict, int]]  # (values, cells, sheet row) per Plans row
    approvals: dict[tuple[str, str, int], bool]  # (customer key, currency, level) -> ticked
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: int = 0
    approved_messages: set[str] = field(default_factory=set)   # Message-IDs ticked on Close Emails

    @property
    def notes(self) -> list[Problem]:
        """What reading decided and says once (dates read month first, repeated rows read once)."""
        return self.layout.mapping.notes if self.layout and self.layout.mapping else []


def read_book(path) -> Book:
    """Read every sheet arcollect uses (or a CSV export's rows).

    Raises BookUnreadable when nothing can be read: a file that is not a
    workbook (saying what it is), a book with no receivables (NoReceivables),
    or receivables lacking a required column (MissingColumn). Otherwise every
    bad value is a Problem naming its cell.
    """
    # the file's readers (python-calamine, fastexcel, the guard) are imported here, not at the top: the live
    # port reads Excel's values through read_sheets without them (xlwings Lite's Pyodide has none of them)
    from .fileformat import read_kind
    from .filesheets import FileSheets

    path = Path(path)
    if read_kind(path) == "csv":
        return _csv_book(path)
    return read_sheets(path, FileSheets(path))


def read_sheets(path, source) -> Book:
    """Read every sheet arcollect uses from ``source`` (FileSheets or ValueSheets), as the book at ``path``.

    ``source`` has ``sheet_names``, ``rows(name)`` (rows from row 1 and their column offset), ``sheet(name,
    fast)`` (bulk.SheetData), ``text_sheet(name)`` and ``marks()``. Raises BookUnreadable as read_book does.
    """
    names = source.sheet_names
    by_norm = {norm_key(n): n for n in names}
    problems: list[Problem] = []

    raw_settings = {}
    if norm_key(SETTINGS) in by_norm:
        rows, off = source.rows(by_norm[norm_key(SETTINGS)])
        for i, r in enumerate(rows):
            if len(r) >= 2 and isinstance(r[0], str) and r[0].strip() and norm_key(r[0]) != "setting":
                raw_settings[r[0].strip()] = (r[1], address(by_norm[norm_key(SETTINGS)], off + 1, i + 1))
    settings, bad = read_settings(raw_settings)
    problems += bad

    ladder = list(DEFAULT_LADDER)
    if norm_key(POLICY) in by_norm:
        sheet = by_norm[norm_key(POLICY)]
        rows, off = source.rows(sheet)
        recs = [(v, c) for v, c, _ in records(rows, off, sheet, POLICY_FIELDS)]
        if recs:
            ladder, bad = parse_policy(recs, settings.conventions)
            problems += bad

    column_cells = {norm_key(k)[len(COLUMN_PREFIX):]: cell for k, (_, cell) in raw_settings.items()
                    if norm_key(k).startswith(COLUMN_PREFIX)}
    marks = source.marks()
    found = read_receivables(path, source, _receivables_candidates(names, by_norm, set(marks.sheets.values())),
                             settings, column_cells, currency_from_headers=norm_key(SETTINGS) not in by_norm,
                             owned_columns=marks.columns)
    problems += found.problems
    customers, bad = _read_customers(source, by_norm, settings)
    problems += bad
    contacts = _merge_contacts(found.contacts, customers)
    history, bad = read_history(path, source, by_norm.get(norm_key(HISTORY)), settings)
    problems += bad
    plans = []
    if norm_key(PLANS) in by_norm:
        sheet = by_norm[norm_key(PLANS)]
        rows, off = source.rows(sheet)
        plans = list(records(rows, off, sheet, PLAN_FIELDS))
    approvals = _read_approvals(source, by_norm)
    return Book(path, names, settings, ladder, found.layout, found.items, customers, contacts, history, plans,
                approvals, problems, found.skipped, _read_approved_messages(source, marks.sheet(CLOSE_EMAILS)))


def _csv_book(path: Path) -> Book:
    """A CSV export as a book: its rows the receivables, every other sheet absent, the defaults set."""
    settings, _ = read_settings({})
    found = read_csv_receivables(path, settings)
    history, _ = read_history(path, None, None, settings)
    return Book(path, [found.layout.sheet], settings, list(DEFAULT_LADDER), found.layout, found.items,
                _no_customers(), found.contacts, history, [], {}, found.problems, found.skipped)


def _merge_contacts(from_items: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Contact details per customer: the Customers sheet wins over what the items say."""
    if customers.empty:
        return from_items
    fields = [*CONTACT_FIELDS, "email_cell"]
    merged = from_items.set_index("customer_key").reindex(
        from_items["customer_key"].tolist() + [k for k in customers["customer_key"] if k not in
                                               set(from_items["customer_key"])]).fillna("")
    sheet = customers.drop_duplicates("customer_key").set_index("customer_key")[fields]
    common = sheet.index.intersection(merged.index)
    override = sheet.loc[common]
    merged.loc[common, fields] = override.where(override != "", merged.loc[common, fields])
    return merged.rename_axis("customer_key").reset_index()


PLAN_FIELDS = {"customer": "customer", "customerid": "customer_id", "principal": "principal",
               "annualrate": "rate", "rate": "rate", "installments": "n", "numberofinstallments": "n",
               "frequency": "frequency", "firstduedate": "first_due", "firstdue": "first_due",
               "status": "status", "currency": "currency"}


def _receivables_candidates(names, by_norm, owned: set[str]):
    """The Receivables sheet first, then every other sheet of the user's, then unmarked sheets named like
    arcollect's (a user's sheet called Summary, or one of ours from before sheets were marked).

    Sheets arcollect marks as its own output are never read as receivables."""
    inputs = {norm_key(x) for x in (RECEIVABLES, SETTINGS, POLICY, HISTORY, PLANS, CUSTOMERS)}
    like_ours = {norm_key(x) for x in (*OWNED_SHEETS, "Plan Schedule")}
    first = [by_norm[norm_key(RECEIVABLES)]] if norm_key(RECEIVABLES) in by_norm else []
    free = [n for n in names if n not in owned and n not in first]
    return ([n for n in first if n not in owned] + [n for n in free if norm_key(n) not in inputs | like_ours]
            + [n for n in free if norm_key(n) in like_ours])


CUSTOMER_FRAME = ["customer_key", "customer", "email", "contact", "phone", "address", "language",
                  "time_zone", "customer_type", "do_not_contact", "hold_until", "email_cell"]


def _no_customers() -> pd.DataFrame:
    return pd.DataFrame(columns=CUSTOMER_FRAME).astype({"hold_until": "datetime64[s]"})


def _read_customers(source, by_norm, settings: Settings):
    """Per-customer contact details and preferences (Customers sheet), keyed like the items."""
    cols = CUSTOMER_FRAME
    empty = _no_customers()
    if norm_key(CUSTOMERS) not in by_norm:
        return empty, []
    sheet = by_norm[norm_key(CUSTOMERS)]
    first_row, off, head, columns = source.text_sheet(sheet)
    found = next(((i, m) for i, r in enumerate(head[:20]) for m in [map_headers(list(r), settings.column_map)]
                  if "customer" in m or "customer_id" in m), None)
    if found is None:
        return empty, []
    hidx, mapping = found
    n = len(columns[0]) - hidx - 1
    rows = np.arange(first_row + hidx + 1, first_row + hidx + 1 + n)

    def text(f):
        return text_column(columns[mapping[f]].iloc[hidx + 1:]) if f in mapping else np.full(n, "", dtype=object)

    name, cid = text("customer"), text("customer_id")
    keep = (name != "") | (cid != "")
    problems = []
    hold = np.full(n, np.datetime64("NaT", "D"))
    if "hold_until" in mapping:
        hold, bad = parse_dates(columns[mapping["hold_until"]].iloc[hidx + 1:].reset_index(drop=True),
                                settings.conventions.date_order)
        problems = [Problem(address(sheet, mapping["hold_until"] + off, rows[i]),
                            f'hold-until date "{v}" is not a date') for i, v in bad.items() if keep[i]]
    frame = pd.DataFrame({
        "customer_key": customer_keys(cid[keep], name[keep]), "customer": name[keep],
        **{f: text(f)[keep] for f in cols[2:9]},
        "do_not_contact": map_unique(text("do_not_contact")[keep],
                                     lambda v: v.lower() in ("1", "true", "yes", "y", "x")).astype(bool),
        "hold_until": pd.Series(hold[keep]).astype("datetime64[s]"),
        "email_cell": [address(sheet, mapping["email"] + off, r) for r in rows[keep]] if "email" in mapping
        else "",
    }, columns=cols)
    return frame, problems


def _read_approved_messages(source, sheet: str | None) -> set[str]:
    """The Message-IDs ticked Approve on the close's Close Emails sheet (statements, thank-you notes)."""
    if sheet is None:
        return set()
    rows, off = source.rows(sheet)
    return {str(values.get("id", "")).strip() for values, _, _ in records(
        rows, off, sheet, {"messageid": "id", "approve": "approve"}, header_index=0)
        if _ticked(values.get("approve", ""))}


def _ticked(value) -> bool:
    try:
        return parse_flag(value)
    except ValueError:
        return False


def _read_approvals(source, by_norm) -> dict[tuple[str, str, int], bool]:
    """Approve ticks on the current Actions sheet, keyed like a communication: (customer key, currency, level)."""
    if norm_key(ACTIONS) not in by_norm:
        return {}
    sheet = by_norm[norm_key(ACTIONS)]
    rows, off = source.rows(sheet)
    aliases = {"customerkey": "key", "currency": "currency", "level": "level", "approve": "approve"}
    out = {}
    for values, _, _ in records(rows, off, sheet, aliases, header_index=0):
        try:
            key = (str(values.get("key", "")), str(values.get("currency", "")).strip().upper(),
                   int(float(values.get("level") or 0)))
            out[key] = parse_flag(values.get("approve", ""))
        except ValueError:
            continue
    return out
