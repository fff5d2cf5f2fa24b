"""The sheets a month-end close keeps in the book: each period's frozen snapshot and the ledger of closes.

A snapshot ("Close 2026-11") holds the open items as they stood at the close,
as values; the next close reads it back to roll forward from. The ledger
("Close Periods") holds one row per period and currency with the figures a
trend needs, so a close never has to read more than the one snapshot before it.
Both are found by arcollect's marks, not by their names.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from ..core.close.period import Period
from ..core.close.rollforward import KEY
from ..core.money import minor_digits, to_minor
from ..core.settings import norm_key
from .owned import RUN_AT, RUN_ID, _money
from .records import records
from .xlsx_xml import Column, Columns

LEDGER_ROLE = "Close Periods"
CLOSE_EMAILS = "Close Emails"      # the close's drafts that are not reminders, each approved on its own row
SNAPSHOT_PREFIX = "Close "
SNAPSHOT = [Column("Cell", 16), Column("Customer Key", 14), Column("Customer", 28), Column("Document", 14),
            Column("Occurrence", 6, "int"), Column("Currency", 9), Column("Invoice Date", 12, "date"),
            Column("Due Date", 12, "date"), Column("Amount", 14, "money"), Column("Balance", 14, "money"),
            Column("Days Past Due", 13, "int"), Column("Bucket", 10), Column("Level", 7, "int")]
_TEXT = {"Customer Key": "string", "Customer": "string", "Document": "string", "Currency": "string",
         "Bucket": "string", "Cell": "string"}
DAYS = "0.0"
LEDGER = [Column("Period", 24), Column("Start", 12, "date"), Column("As Of", 12, "date"), Column("Currency", 9),
          Column("Snapshot", 30), Column("Opening", 14, "money"), Column("Invoiced", 14, "money"),
          Column("Received", 14, "money"), Column("Credited", 14, "money"), Column("Written Off", 14, "money"),
          Column("Closing", 14, "money"), Column("Difference", 14, "money"), Column("Credit Sales", 14, "money"),
          Column("Current", 14, "money"), Column("Oldest Bucket", 14, "money"), Column("DSO", 8, DAYS),
          Column("Count-back DSO", 10, DAYS), Column("Best Possible DSO", 10, DAYS), Column("ADD", 8, DAYS),
          Column("CEI", 8, DAYS), Column("% Over 90", 9, DAYS), Column("Provision", 14, "money"),
          Column("Loss Rates", 24), Column("Roll Rates", 24), Column("Write-off Rate", 9, DAYS)]


def snapshot_role(period: Period) -> str:
    return SNAPSHOT_PREFIX + period.label


def snapshot_rows(aged: pd.DataFrame, cells: np.ndarray, levels: np.ndarray) -> Columns:
    """The open items at the close, as values: where each was, who owes it, its balance and bucket, and its
    customer's dunning level (changes.account_levels) for the next close to compare with."""
    return Columns([cells, aged["customer_key"], aged["customer"], aged["document"],
                    aged["occurrence"].to_numpy(dtype="int64"), aged["currency"],
                    aged["invoice_date"].to_numpy(), aged["due_date"].to_numpy(),
                    _money(aged["amount_minor"], aged["currency"]), _money(aged["balance_minor"], aged["currency"]),
                    aged["days_past_due"].to_numpy(dtype="float64"), aged["bucket"].astype(str), levels])


def _minor(amounts: pd.Series, currency: pd.Series) -> np.ndarray:
    """Minor units of amounts written from minor units (owned._money): the float is the exact decimal, so
    scaling and rounding to the nearest integer gives the minor units back."""
    codes, currencies = pd.factorize(currency)
    scale = np.power(10.0, np.array([minor_digits(c) for c in currencies] + [2], dtype="float64")[codes])
    return np.rint(amounts.to_numpy(dtype="float64", na_value=0.0) * scale).astype("int64")


SNAPSHOT_READ = ["Customer Key", "Customer", "Document", "Occurrence", "Currency", "Balance", "Bucket"]


def read_snapshot(port, sheet: str) -> pd.DataFrame:
    """The snapshot's items (KEY, customer, balance_minor, bucket, level), as the close that wrote them kept
    them; level is NaN in a snapshot written before closes kept levels.

    ``port`` is the workbook (a file or the live book): its ``table`` reads the columns a roll-forward needs."""
    wanted = SNAPSHOT_READ
    frame = port.table(sheet, [*wanted, "Level"], _TEXT)
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValueError(f"sheet {sheet!r} lacks the column(s) {', '.join(missing)} a close writes")
    currency = frame["Currency"].fillna("").astype(str)
    return pd.DataFrame({"currency": currency, "customer_key": frame["Customer Key"].fillna("").astype(str),
                         "document": frame["Document"].fillna("").astype(str),
                         "occurrence": frame["Occurrence"].fillna(1).astype("int64"),
                         "customer": frame["Customer"].fillna("").astype(str),
                         "balance_minor": _minor(frame["Balance"], currency),
                         "bucket": frame["Bucket"].fillna("").astype(str),
                         "level": pd.to_numeric(frame["Level"], errors="coerce") if "Level" in frame
                         else np.nan})[[*KEY, "customer", "balance_minor", "bucket", "level"]]


@dataclass(frozen=True)
class Closed:
    """One row of the ledger: a period closed in one currency (money in minor units)."""

    period: str
    start: date
    as_of: date
    currency: str
    snapshot: str
    figures: dict          # ledger header -> value (minor units for money, Decimal for days and percentages)

    def money(self, header: str) -> int | None:
        v = self.figures.get(header)
        return None if v is None else int(v)


def _as_date(v) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    return v if isinstance(v, date) else None


def read_ledger(port, sheet: str | None) -> list[Closed]:
    """The closes recorded so far (none when the book has no ledger), oldest first; ``port`` is the workbook."""
    if sheet is None:
        return []
    rows = port.rows(sheet)
    if not rows:
        return []
    index = {h: j for j, h in enumerate(rows[0]) if isinstance(h, str)}
    if any(c.header not in index for c in LEDGER[:5]):
        return []
    out = []
    for r in rows[1:]:
        get = {h: (r[j] if j < len(r) else None) for h, j in index.items()}
        start, as_of, currency = _as_date(get["Start"]), _as_date(get["As Of"]), str(get["Currency"] or "")
        if start is None or as_of is None or not currency:
            continue
        figures = {}
        for c in LEDGER[5:]:
            v = get.get(c.header)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                figures[c.header] = to_minor(v, currency) if c.fmt == "money" else Decimal(repr(v))
            elif isinstance(v, str) and v:
                figures[c.header] = v
        out.append(Closed(str(get["Period"]), start, as_of, currency, str(get["Snapshot"] or ""), figures))
    return sorted(out, key=lambda c: (c.as_of, c.currency))


RISK_ROLE = "Payment Risk"
RISK_READ = {"Customer Key": "customer_key", "Currency": "currency", "Score": "score", "Why": "why",
             "Period": "period"}
ACTIONS_READ = {"Customer Key": "customer_key", "Currency": "currency", "Customer": "customer", "Level": "level",
                "Action": "action"}
_NUMBERS = ("score", "level")


def _by_headers(port, sheet: str | None, headers: dict[str, str]) -> pd.DataFrame | None:
    """The named columns of a small sheet arcollect wrote (header -> field), text as text and numbers as
    numbers; None when there is no such sheet or it lacks one of the headers."""
    rows = port.rows(sheet) if sheet else []
    aliases = {norm_key(h): f for h, f in headers.items()}
    if not rows or not set(aliases) <= {norm_key(v) for v in rows[0] if isinstance(v, str)}:
        return None
    fields = list(headers.values())
    frame = pd.DataFrame([[values.get(f) for f in fields] for values, _, _ in records(rows, 0, sheet, aliases, 0)],
                         columns=fields)
    for c in frame.columns:
        frame[c] = (pd.to_numeric(frame[c], errors="coerce") if c in _NUMBERS
                    else frame[c].map(lambda v: "" if v is None else str(v)))
    return frame.loc[frame["customer_key"] != ""].reset_index(drop=True)


def read_risk(port, sheet: str | None) -> pd.DataFrame | None:
    """The last close's payment risk (customer_key, currency, score, why, period), or None when the book has no
    Payment Risk sheet (or one without these columns); ``port`` is the workbook."""
    frame = _by_headers(port, sheet, RISK_READ)
    return None if frame is None else frame.dropna(subset=["score"]).astype({"score": "int64"})


def read_worklist(port, sheet: str | None) -> pd.DataFrame | None:
    """The last run's Actions worklist (customer_key, currency, customer, level, action), or None without one."""
    return _by_headers(port, sheet, ACTIONS_READ)


def read_last_run(port, sheet: str | None) -> tuple[pd.Timestamp | None, str | None]:
    """(when, id) of the last run, as it wrote them on its Summary sheet; (None, None) without."""
    found = {}
    for r in port.rows(sheet) if sheet else []:
        for j, v in enumerate(r[:-1]):
            if v in (RUN_AT, RUN_ID) and r[j + 1] not in (None, ""):
                found[v] = str(r[j + 1])
    when = pd.to_datetime(found.get(RUN_AT), utc=True, errors="coerce") if RUN_AT in found else pd.NaT
    return (None if pd.isna(when) else when.tz_localize(None)), found.get(RUN_ID)

