"""Aging: open balance, days past due and bucket for every item, vectorised.

The items frame (built by the workbook reader, or by tests) has one row per
document with these columns; money is int64 minor units, dates datetime64:

    row, customer_key, customer, document, currency, amount_minor, paid_minor,
    paid_date, invoice_date, due_date, status, hold_until
    and optionally closed_as ("paid", "written off", "void" or "") and closed_date

Rules: a payment dated after the as-of date is not applied; a
document dated after the as-of date is out of scope; an item closed after the
as-of date (its closed date, else its paid date, is later) was open then;
credit notes and unapplied cash are aged by their own date, or land in
"Unapplied" when they have none; bucket totals always equal the net open balance.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .buckets import bucket_labels
from .settings import DEFAULT_EDGES

UNAPPLIED = "Unapplied"


def _ts(day: date) -> pd.Timestamp:
    return pd.Timestamp(day)


def closed_by(items: pd.DataFrame, as_of: date) -> pd.Series:
    """True for the items closed on or before the as-of date: status closed, and neither its closed date nor
    its paid date after it (an item paid in December was open on 30 November). Undated closed items count as
    closed at any date: the book cannot say when."""
    cutoff = _ts(as_of)
    when = items["paid_date"]
    if "closed_date" in items:
        when = items["closed_date"].fillna(when)
    return (items["status"] == "closed") & ~(when > cutoff)


def closed_how(items: pd.DataFrame) -> pd.Series:
    """How each item closed ("paid", "written off", "void", "" when its status does not say)."""
    return items["closed_as"].fillna("") if "closed_as" in items else pd.Series("", index=items.index)


def open_balances(items: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Items in scope at the as-of date with their open balance (balance_minor).

    Fully settled items (balance 0) and items closed by the as-of date (closed_by) are not open items.
    """
    cutoff = _ts(as_of)
    in_scope = ~(items["invoice_date"] > cutoff)
    paid_applies = ~(items["paid_date"] > cutoff)
    balance = items["amount_minor"] - items["paid_minor"].where(paid_applies, 0)
    out = (items if in_scope.all() else items.loc[in_scope]).assign(balance_minor=balance[in_scope].astype("int64"))
    keep = (out["balance_minor"] != 0) & ~closed_by(out, as_of)
    return out if keep.all() else out.loc[keep]


def age_items(items: pd.DataFrame, as_of: date, basis: str = "due",
              edges: tuple[int, ...] = DEFAULT_EDGES) -> pd.DataFrame:
    """Add days_past_due (float, NaN when undated) and bucket (categorical).

    basis "due": as-of minus due date (an item with no due date is due on its
    invoice date); basis "invoice": as-of minus invoice date.
    """
    days, bucket = item_ages(items, as_of, basis, edges)
    return items.assign(days_past_due=days, bucket=bucket)    # copy-on-write: the items' columns are shared


def item_ages(items: pd.DataFrame, as_of: date, basis: str = "due",
              edges: tuple[int, ...] = DEFAULT_EDGES) -> tuple[pd.Series, pd.Categorical]:
    """(days past due, bucket) of each item, as ``age_items`` adds them, without copying the items."""
    cutoff = _ts(as_of)
    first, second = ("due_date", "invoice_date") if basis == "due" else ("invoice_date", "due_date")
    anchor = items[first].fillna(items[second])
    days = (cutoff - anchor).dt.days.astype("float64")
    labels = bucket_labels(edges)
    idx = np.searchsorted(np.asarray(edges, dtype="float64"), days.to_numpy(), side="left")
    codes = np.where(days.isna().to_numpy(), len(labels), idx)
    return days, pd.Categorical.from_codes(codes, categories=[*labels, UNAPPLIED])


def bucket_totals(aged: pd.DataFrame) -> pd.DataFrame:
    """Currency x bucket table of balances in minor units, every bucket present."""
    table = aged.pivot_table(index="currency", columns="bucket", values="balance_minor",
                             aggfunc="sum", fill_value=0, observed=False)
    table = table.astype("int64")
    table["Total"] = table.sum(axis=1)
    return table
