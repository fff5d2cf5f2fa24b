"""History: the append-only contact log, as rows for the lossless writer.

Rows are only ever appended; text from customer data is written as text (the
writer never turns a string into a formula).
"""
from __future__ import annotations

from datetime import datetime, timezone

import re

import numpy as np
import pandas as pd

from ..core.model import HISTORY_COLUMNS, Communication, HistoryEntry, Problem, quote
from ..core.money import minor_digits
from ..core.parse import parse_whole
from ..core.settings import Settings, norm_key
from .cells import address
from .receivables import customer_keys
from .values import blank_series, map_unique, parse_amounts, parse_dates, text_column
from .xlsx_xml import Column

HISTORY_FIELDS = {norm_key(h): norm_key(h) for h in HISTORY_COLUMNS} | {"timestamp": "timestamputc",
                                                                          "date": "timestamputc"}

_FORMATS = {"Promise Date": "date", "Promise Amount": "money", "Amount Due": "money", "Level": "int"}
_WIDTHS = {"Timestamp (UTC)": 21, "Customer": 28, "Invoices": 30, "Outcome": 30, "Document": 50,
           "Message ID": 40}
HISTORY_SPEC = [Column(h, _WIDTHS.get(h, 13), _FORMATS.get(h, "general")) for h in HISTORY_COLUMNS]


def stamp(now: datetime) -> str:
    """ISO 8601 UTC timestamp, to the second."""
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def history_row(e: HistoryEntry) -> list:
    return [e.timestamp, e.run_id, e.customer_id, e.customer, e.currency, e.invoices, e.level, e.channel, e.template,
            e.action, e.outcome, e.promise_date, e.promise_amount, e.amount_due, e.user, e.document,
            e.message_id]


def contact_entry(comm: Communication, *, action: str, channel: str, now: datetime, run_id: str, user: str,
                  document: str = "", message_id: str = "", outcome: str = "") -> HistoryEntry:
    """The History row for something done for a communication (drafted, sent, failed...)."""
    return HistoryEntry(timestamp=stamp(now), run_id=run_id, customer_id=comm.customer_id,
                        customer=comm.customer, currency=comm.currency, invoices=", ".join(i.document for i in comm.overdue_items
                                                                     or comm.items),
                        level=None if comm.kind else comm.level, channel=channel, template=comm.template, action=action,
                        outcome=outcome, amount_due=comm.total_due, user=user, document=document,
                        message_id=message_id)


def logged_message_ids(history: pd.DataFrame, action: str) -> set[str]:
    """Message ids with a History row of this action ("drafted", "sent")."""
    if history.empty:
        return set()
    rows = history.loc[(history["action"] == action) & (history["message_id"] != "")]
    return set(rows["message_id"])


def settled_message_ids(history: pd.DataFrame) -> set[str]:
    """The Message-IDs History settles: sent or withdrawn."""
    return logged_message_ids(history, "sent") | logged_message_ids(history, "withdrawn")


def pending_email_drafts(history: pd.DataFrame, settled: set[str]) -> pd.DataFrame:
    """Drafted email rows whose Message-ID is not in ``settled``: one per Message-ID."""
    h = history
    return h.loc[(h["action"] == "drafted") & (h["channel"] == "email") & (h["message_id"] != "")
                 & ~h["message_id"].isin(settled)].drop_duplicates("message_id")


def append_history(pkg, entries: list[HistoryEntry]) -> None:
    if entries:
        pkg.append_rows("History", HISTORY_SPEC, [history_row(e) for e in entries])


def read_history(path, source, sheet: str | None, settings: Settings):
    """History as a frame (customer_key, date, level, action, outcome, promise_date, promise_minor, ...).

    Read in bulk like Receivables: History grows by a row per contact, run after run. ``source``: the book's
    sheets (see reader.read_sheets).
    """
    cols = ["customer_key", "customer", "currency", "date", "level", "action", "outcome", "promise_date",
            "promise_minor", "amount_minor", "channel", "template", "document", "message_id", "run_id", "run_date",
            "stamp", "row"]
    dates = {"date": "datetime64[s]", "promise_date": "datetime64[s]", "run_date": "datetime64[s]",
             "stamp": "datetime64[s]"}
    empty = pd.DataFrame(columns=cols).astype(dates)
    if sheet is None:
        return empty, []
    first_row, off, head, columns = source.text_sheet(sheet)
    hidx = next((i for i, r in enumerate(head[:20])
                 if sum(norm_key(v) in HISTORY_FIELDS for v in r if isinstance(v, str)) >= 2), None)
    if hidx is None:
        return empty, []
    where = {HISTORY_FIELDS[norm_key(v)]: j for j, v in enumerate(head[hidx])
             if isinstance(v, str) and norm_key(v) in HISTORY_FIELDS}
    n = len(columns[0]) - hidx - 1 if columns else 0
    blank = pd.Series([None] * n, dtype="str")

    def col(key):
        return columns[where[key]].iloc[hidx + 1:].reset_index(drop=True) if key in where else blank

    rows = np.arange(first_row + hidx + 1, first_row + hidx + 1 + n)
    filled = np.zeros(n, bool)
    for j in where.values():
        filled |= ~blank_series(columns[j].iloc[hidx + 1:])
    problems: list[tuple[int, Problem]] = []

    def report(mask, key, message):
        for i in np.flatnonzero(mask & filled):
            problems.append((i, Problem(address(sheet, where.get(key, 0) + off, rows[i]), message(i))))

    order = settings.conventions.date_order
    stamp_text = col("timestamputc")
    when, bad = parse_dates(stamp_text.str.slice(0, 10), order)
    no_date = np.isnat(when)
    report(no_date, "timestamputc", lambda i: f'History timestamp "{stamp_text.iat[i] or ""}" is not a date; '
                                              f"row ignored")
    promise, bad_promise = parse_dates(col("promisedate"), order)
    report(_mask(bad_promise, n), "promisedate",
           lambda i: f'promise date "{bad_promise[i]}" is not a date; promise ignored')
    # every amount in History is in its row's currency (blank: the book's), at that currency's minor unit
    currency = map_unique(text_column(col("currency")), lambda c: c.strip().upper() or settings.currency)
    bad_currency = ~map_unique(currency, lambda c: bool(re.fullmatch(r"[A-Z]{3}", c))).astype(bool)
    report(bad_currency, "currency", lambda i: f"currency {quote(currency[i])} is not a 3-letter ISO code like "
                                               f"{settings.currency}; row ignored")
    digits = map_unique(currency, minor_digits).astype("int64")
    amounts = {}
    for key, label in (("promiseamount", "promise amount"), ("amountdue", "amount")):
        minor, _, bad_amount = parse_amounts(col(key), digits, settings.conventions.decimal,
                                             settings.conventions.group)
        report(_mask(bad_amount, n), key, lambda i, b=bad_amount, lb=label: f'{lb} "{b[i]}" is not an amount')
        amounts[key] = minor
    level_text = col("level")
    level = map_unique(level_text, _level).astype("float64")
    bad_level = np.isnan(level) & ~blank_series(level_text)
    report(bad_level, "level", lambda i: f"level {quote(level_text.iat[i])} is not a whole number from 0 to 99 "
                                         f"(a Policy level); the row's level is ignored")
    keep = filled & ~no_date & ~bad_currency
    name, cid = text_column(col("customer"))[keep], text_column(col("customerid"))[keep]
    frame = pd.DataFrame({
        "customer_key": customer_keys(cid, name), "customer": name, "currency": currency[keep],
        "date": pd.Series(when[keep]).astype("datetime64[s]"), "level": level[keep],
        "action": map_unique(text_column(col("action"))[keep], lambda a: " ".join(a.lower().split())),
        "outcome": text_column(col("outcome"))[keep],
        "promise_date": pd.Series(promise[keep]).astype("datetime64[s]"),
        "promise_minor": amounts["promiseamount"][keep], "amount_minor": amounts["amountdue"][keep],
        "channel": text_column(col("channel"))[keep], "template": text_column(col("template"))[keep],
        "document": text_column(col("document"))[keep],
        "message_id": text_column(col("messageid"))[keep],
        "run_id": text_column(col("runid"))[keep],
        "stamp": _stamps(stamp_text[keep], when[keep]),
        "run_date": pd.Series(map_unique(text_column(col("runid"))[keep], _run_date)).astype("datetime64[s]"),
        "row": rows[keep]}, columns=cols)
    problems.sort(key=lambda p: p[0])
    return frame, [p for _, p in problems]


def _level(text) -> float:
    """A level as Policy numbers them (0-99), NaN when blank or not one: inf or 1e308 must not become a count."""
    try:
        return float(parse_whole(text, minimum=0, maximum=99))
    except ValueError:
        return np.nan


def _stamps(text: pd.Series, day: np.ndarray) -> pd.Series:
    """When each row was logged, to the second where its timestamp says (UTC, as arcollect writes it), else the
    start of its day."""
    exact = pd.to_datetime(text.reset_index(drop=True), format="ISO8601", utc=True, errors="coerce")
    return exact.dt.tz_localize(None).fillna(pd.Series(day).astype("datetime64[s]")).astype("datetime64[s]")


def _mask(indexes: dict, n: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[list(indexes)] = True
    return m


def _run_date(run_id) -> pd.Timestamp:
    """The as-of date in a run id written by arcollect ('run-20261130-101500Z'), else NaT."""
    m = re.match(r"run-(\d{4})(\d{2})(\d{2})-", str(run_id or ""))
    return pd.Timestamp(int(m[1]), int(m[2]), int(m[3])) if m else pd.NaT
