"""Roll-forward and bucket migration, item by item, from the previous close's snapshot to the book now.

Each item is matched to its line in the previous snapshot by (currency,
customer, document, occurrence) and its movement falls in exactly one place:

- an item new since the previous close: its amount is *invoiced* (a negative
  amount — a credit note, unapplied cash — is *credited*), what was paid on
  it is *received*;
- an item in the snapshot: the fall in its balance is *received* (a credit
  note applied against an invoice nets to nothing received);
- an item closed by the as-of date (aging.closed_by) with a balance left: that
  balance goes where its status says (aging.closed_how): *written off* for a
  write-off, *credited* for a void or cancelled item, *received* for a paid
  one or one whose status does not say;
- an item in the snapshot that is no longer in the book is unexplained: it is
  the roll-forward's *difference*, counted and listed, never guessed.

So opening + invoiced − received − credited − written off + difference = closing,
exactly, in minor units, per currency.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..aging import UNAPPLIED, age_items, closed_by, closed_how

KEY = ["currency", "customer_key", "document", "occurrence"]
CLEARED, NEW = "Cleared", "New"
COLUMN_OF = {"paid": "received", "": "received", "void": "credited", "written off": "written_off"}


def with_occurrence(items: pd.DataFrame) -> pd.DataFrame:
    """Items with ``occurrence``: 1, or 2, 3... for the second and later rows of one customer's document."""
    out = items.copy()
    out["occurrence"] = out.groupby(["currency", "customer_key", "document"], sort=False).cumcount() + 1
    return out


@dataclass(frozen=True)
class RollForward:
    currency: str
    opening: int        # minor units, all of them
    invoiced: int
    received: int
    credited: int
    written_off: int
    closing: int
    unexplained_items: int = 0   # items of the snapshot no longer in the book

    @property
    def difference(self) -> int:
        """closing − (opening + invoiced − received − credited − written off): 0 when every movement is explained."""
        return self.closing - (self.opening + self.invoiced - self.received - self.credited - self.written_off)


@dataclass(frozen=True)
class Movements:
    """What a close learns by matching the snapshot to the book."""

    rollforwards: dict[str, RollForward]     # per currency
    migration: dict[str, pd.DataFrame]       # per currency: previous bucket (rows, then New) x bucket now (+ Cleared)
    items: pd.DataFrame                      # per item moved: KEY, customer, balances before/now, buckets, flags


def _state_at(items: pd.DataFrame, as_of: date, since: date, basis: str, edges) -> pd.DataFrame:
    """Every item of the book with its amount, paid, balance and bucket as of ``as_of``; ``touched`` when
    something happened to it after ``since`` (dated or paid after it), or it is open now."""
    cutoff, after = pd.Timestamp(as_of), pd.Timestamp(since)
    k = items.loc[~(items["invoice_date"] > cutoff)]
    paid = k["paid_minor"].where(~(k["paid_date"] > cutoff), 0).astype("int64")
    residual = (k["amount_minor"] - paid).astype("int64")
    closed = closed_by(k, as_of).to_numpy()
    now = np.where(closed, 0, residual)
    aged = age_items(k, as_of, basis, edges)
    touched = ((k["invoice_date"] > after) | (k["paid_date"] > after)).to_numpy()   # an undated item: when open
    return pd.DataFrame({**{c: k[c] for c in KEY}, "customer": k["customer"],
                         "amount": k["amount_minor"].astype("int64"), "paid": paid, "residual": residual,
                         "closed": closed, "closed_into": closed_how(k).map(COLUMN_OF).fillna("received"),
                         "now": now, "bucket_now": aged["bucket"].astype(str),
                         "touched": touched | (now != 0)})


def movements(previous: pd.DataFrame, items: pd.DataFrame, as_of: date, since: date, basis: str,
              edges, buckets: list[str]) -> Movements:
    """Roll-forward and migration from ``previous`` (KEY, customer, balance_minor, bucket) to ``items``.

    ``items`` carries ``occurrence`` (with_occurrence); ``since`` is the previous close's as-of date.
    """
    now = _state_at(items, as_of, since, basis, edges)
    prev = previous[[*KEY, "customer", "balance_minor", "bucket"]].rename(
        columns={"customer": "customer_before", "balance_minor": "before", "bucket": "bucket_before"})
    m = prev.merge(now, on=KEY, how="outer", indicator=True)
    in_prev = (m["_merge"] != "right_only").to_numpy()
    in_book = (m["_merge"] != "left_only").to_numpy()
    m = m.loc[in_prev | m["touched"].fillna(False).to_numpy(dtype=bool)].reset_index(drop=True)
    in_prev, in_book = (m["_merge"] != "right_only").to_numpy(), (m["_merge"] != "left_only").to_numpy()
    before = m["before"].fillna(0).to_numpy(dtype="int64")
    amount, paid = m["amount"].fillna(0).to_numpy(dtype="int64"), m["paid"].fillna(0).to_numpy(dtype="int64")
    residual, closing = m["residual"].fillna(0).to_numpy(dtype="int64"), m["now"].fillna(0).to_numpy(dtype="int64")
    closed = m["closed"].fillna(False).to_numpy(dtype=bool) & in_book
    into = m["closed_into"].fillna("").to_numpy(dtype=object)
    new = in_book & ~in_prev
    left = np.where(closed, residual, 0)                          # the balance the item closed with
    settled_part = np.where(closed, residual, closing)           # what is left that is not a payment
    frame = pd.DataFrame({
        "currency": m["currency"], "opening": before,
        "invoiced": np.where(new & (amount > 0), amount, 0),
        "received": np.where(new, paid, np.where(in_book, before - settled_part, 0))
        + np.where(into == "received", left, 0),
        "credited": np.where(new & (amount < 0), -amount, 0) + np.where(into == "credited", left, 0),
        "written_off": np.where(into == "written_off", left, 0), "closing": closing,
        "unexplained": (in_prev & ~in_book).astype("int64")})
    sums = frame.groupby("currency", sort=True).sum()
    rollforwards = {cur: RollForward(cur, *(int(r[c]) for c in ("opening", "invoiced", "received", "credited",
                                                                  "written_off", "closing", "unexplained")))
                    for cur, r in sums.iterrows()}
    row_of = np.where(in_prev, m["bucket_before"].astype(object), NEW)
    col_of = np.where(closing != 0, m["bucket_now"].astype(object), CLEARED)
    rows = [*buckets, UNAPPLIED, NEW]
    cols = [*buckets, UNAPPLIED, CLEARED]
    migration = {}
    for cur in rollforwards:
        sel = (m["currency"] == cur).to_numpy()
        stay = pd.DataFrame({"r": row_of[sel], "c": col_of[sel], "v": closing[sel]})
        gone = pd.DataFrame({"r": row_of[sel], "c": CLEARED, "v": (before - closing)[sel]})
        both = pd.concat([stay.loc[stay["c"] != CLEARED], gone.loc[in_prev[sel]]])
        migration[cur] = (both.pivot_table(index="r", columns="c", values="v", aggfunc="sum", fill_value=0)
                          .reindex(index=rows, columns=cols, fill_value=0).astype("int64"))
    changed = m.assign(before=before, closing=closing, new=new, gone=in_prev & ~in_book,
                       received=frame["received"].to_numpy(), credited=frame["credited"].to_numpy(),
                       written_off=frame["written_off"].to_numpy(), customer=m["customer"].fillna(m["customer_before"]))
    changed = changed.loc[(before != closing) | new | changed["gone"] | (
        changed["bucket_before"].astype(object) != changed["bucket_now"].astype(object))]
    return Movements(rollforwards, migration,
                     changed[[*KEY, "customer", "before", "closing", "bucket_before", "bucket_now", "new", "gone",
                              "received", "credited", "written_off"]].reset_index(drop=True))


def write_off_rate(moved: pd.DataFrame, migration: pd.DataFrame, currency: str, bucket: str) -> Decimal | None:
    """The percentage of ``bucket``'s previous balance written off since (0.1, half up); None when it was empty."""
    total = int(migration.loc[bucket].sum())
    mine = moved.loc[(moved["currency"] == currency) & (moved["bucket_before"] == bucket), "written_off"]
    return None if total <= 0 else (Decimal(int(mine.sum())) / total * 100).quantize(Decimal("0.1"),
                                                                                     rounding=ROUND_HALF_UP)


def roll_rates(migration: pd.DataFrame, buckets: list[str]) -> dict[str, Decimal | None]:
    """Per bucket but the oldest: the percentage of its previous balance that is one bucket older now
    (rounded to 0.1, half up); None when the bucket was empty at the previous close."""
    out = {}
    for b, older in zip(buckets, buckets[1:]):
        total = int(migration.loc[b].sum())
        out[b] = None if total <= 0 else (Decimal(int(migration.at[b, older])) / total * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)
    return out
