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

from ..aging import UNAPPLIED, closed_by, closed_how, item_ages

KEY = ["currency", "customer_key", "document", "occurrence"]
CLEARED, NEW = "Cleared", "New"
COLUMN_OF = {"paid": "received", "": "received", "void": "credited", "written off": "written_off"}
INTO = ("received", "credited", "written_off")      # the columns a closed item's balance goes to, coded 1, 2, 3


def with_occurrence(items: pd.DataFrame) -> pd.DataFrame:
    """Items with ``occurrence``: 1, or 2, 3... for the second and later rows of one customer's document."""
    _, documents = pd.factorize(items["document"])
    if len(documents) == len(items):          # every document once, as in most books: no grouping to do
        return items.assign(occurrence=np.ones(len(items), dtype="int64"))   # copy-on-write: no copy made
    nth = items.groupby(["currency", "customer_key", "document"], sort=False).cumcount()
    return items.assign(occurrence=nth + 1)


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
    something happened to it after ``since`` (dated or paid after it), or it is open now; ``in_scope`` unless
    it is dated after ``as_of`` (kept, not filtered out: a million items are not copied for a few)."""
    cutoff, after = pd.Timestamp(as_of), pd.Timestamp(since)
    in_scope = ~(items["invoice_date"] > cutoff).to_numpy()
    paid = items["paid_minor"].where(~(items["paid_date"] > cutoff), 0).astype("int64")
    residual = (items["amount_minor"] - paid).astype("int64")
    closed = closed_by(items, as_of).to_numpy()
    now = np.where(closed, 0, residual)
    _, bucket = item_ages(items, as_of, basis, edges)
    touched = ((items["invoice_date"] > after) | (items["paid_date"] > after)).to_numpy()   # an undated item: when open
    return pd.DataFrame({**{c: items[c] for c in KEY}, "customer": items["customer"],
                         "amount": items["amount_minor"].astype("int64"), "paid": paid, "residual": residual,
                         "closed": closed, "closed_into": closed_how(items).map(COLUMN_OF).fillna("received"),
                         "now": now, "bucket_now": bucket.astype(str),
                         "touched": (touched | (now != 0)) & in_scope, "in_scope": in_scope})


def _outer_join(previous: pd.DataFrame, now: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(position in ``previous``, position in ``now``) per row of their outer join on KEY, -1 where a side has
    none: the snapshot's items in its order, then the book's new ones in its order.

    The four key columns become one integer per item first, so the join and everything after it works on
    integers; the text columns are fetched only for the items that moved.
    """
    key = np.zeros(len(previous) + len(now), dtype=np.int64)
    for c in KEY:
        both = pd.concat([previous[c], now[c]], ignore_index=True)     # one dtype: factorized by Arrow
        codes, uniques = pd.factorize(both)
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes)
    joined = pd.DataFrame({"k": key[:len(previous)], "p": np.arange(len(previous))}).merge(
        pd.DataFrame({"k": key[len(previous):], "n": np.arange(len(now))}), on="k", how="outer", sort=False)
    return joined["p"].fillna(-1).to_numpy(dtype=np.int64), joined["n"].fillna(-1).to_numpy(dtype=np.int64)


def _taken(values, at: np.ndarray, fill):
    """``values`` (an array) at positions ``at``, ``fill`` where ``at`` is -1."""
    values = np.asarray(values)
    out = values[np.maximum(at, 0)] if len(values) else np.full(len(at), fill, dtype=values.dtype)
    return np.where(at >= 0, out, fill)


def _coded(columns: list[pd.Series], blank, first=()) -> tuple[list[np.ndarray], np.ndarray]:
    """Text columns as codes into one array of labels (``first`` at 0, 1...), factorized by Arrow: a million
    items hold a million small integers, not a million Python strings. Code -1 (no value) is ``blank``,
    the labels' last entry."""
    index = {v: i for i, v in enumerate(first)}
    out = []
    for column in columns:
        codes, uniques = pd.factorize(column)
        mapping = np.array([index.setdefault(u, len(index)) for u in uniques] + [-1], dtype=np.int64)
        out.append(mapping[codes])
    return out, np.array([*index, blank], dtype=object)


def movements(previous: pd.DataFrame, items: pd.DataFrame, as_of: date, since: date, basis: str,
              edges, buckets: list[str]) -> Movements:
    """Roll-forward and migration from ``previous`` (KEY, customer, balance_minor, bucket) to ``items``.

    ``items`` carries ``occurrence`` (with_occurrence); ``since`` is the previous close's as-of date.
    """
    now = _state_at(items, as_of, since, basis, edges)
    p, n = _outer_join(previous, now)
    n = np.where(_taken(now["in_scope"].to_numpy(dtype=bool), n, False).astype(bool), n, -1)  # not in the book yet
    in_prev, in_book = p >= 0, n >= 0
    keep = in_prev | _taken(now["touched"].to_numpy(dtype=bool), n, False).astype(bool)
    p, n, in_prev, in_book = p[keep], n[keep], in_prev[keep], in_book[keep]

    def from_book(column, fill=0):
        return _taken(now[column].to_numpy(), n, fill)

    before = _taken(previous["balance_minor"].fillna(0).to_numpy(dtype="int64"), p, 0).astype("int64")
    amount, paid = from_book("amount").astype("int64"), from_book("paid").astype("int64")
    residual, closing = from_book("residual").astype("int64"), from_book("now").astype("int64")
    closed = from_book("closed", False).astype(bool) & in_book
    ci = now["closed_into"]
    into = _taken(np.select([(ci == c).to_numpy(dtype=bool) for c in INTO], list(range(1, len(INTO) + 1)), 0),
                   n, 0)
    (cur_p, cur_n), currencies = _coded([previous["currency"], now["currency"]], blank="")
    currency = np.where(in_book, _taken(cur_n, n, -1), _taken(cur_p, p, -1))
    new = in_book & ~in_prev
    left = np.where(closed, residual, 0)                          # the balance the item closed with
    settled_part = np.where(closed, residual, closing)           # what is left that is not a payment
    frame = pd.DataFrame({
        "currency": currency, "opening": before,
        "invoiced": np.where(new & (amount > 0), amount, 0),
        "received": np.where(new, paid, np.where(in_book, before - settled_part, 0))
        + np.where(into == 1, left, 0),
        "credited": np.where(new & (amount < 0), -amount, 0) + np.where(into == 2, left, 0),
        "written_off": np.where(into == 3, left, 0), "closing": closing,
        "unexplained": (in_prev & ~in_book).astype("int64")})
    sums = frame.groupby("currency").sum()
    code_of = {currencies[code]: code for code in sums.index}
    rollforwards = {cur: RollForward(cur, *(int(sums.at[code_of[cur], c]) for c in (
        "opening", "invoiced", "received", "credited", "written_off", "closing", "unexplained")))
        for cur in sorted(code_of)}
    (b_p, b_n), labels = _coded([previous["bucket"], now["bucket_now"]], blank=None, first=(NEW, CLEARED))
    bucket_before, bucket_now = _taken(b_p, p, -1), _taken(b_n, n, -1)
    row_of = np.where(in_prev, bucket_before, 0)                 # 0: New
    col_of = np.where(closing != 0, bucket_now, 1)               # 1: Cleared
    rows = [*buckets, UNAPPLIED, NEW]
    cols = [*buckets, UNAPPLIED, CLEARED]
    migration = {}
    for cur, code in code_of.items():
        sel = currency == code
        stay = pd.DataFrame({"r": row_of[sel], "c": col_of[sel], "v": closing[sel]})
        gone = pd.DataFrame({"r": row_of[sel], "c": 1, "v": (before - closing)[sel]})
        both = pd.concat([stay.loc[stay["c"] != 1], gone.loc[in_prev[sel]]])
        table = both.pivot_table(index="r", columns="c", values="v", aggfunc="sum", fill_value=0)
        migration[cur] = (table.rename(index=labels.__getitem__, columns=labels.__getitem__)
                          .reindex(index=rows, columns=cols, fill_value=0).astype("int64"))
    gone = in_prev & ~in_book
    moved = (before != closing) | new | gone | (bucket_before != bucket_now)
    p, n, k = p[moved], n[moved], np.flatnonzero(moved)

    def text(column) -> pd.Series:
        """A key or name column for the moved items: the book's, else the snapshot's (Arrow takes, no objects)."""
        mine, theirs = (side[column].take(np.maximum(at, 0)).reset_index(drop=True) if len(side) else
                        pd.Series([None] * len(at), dtype=object) for side, at in ((now, n), (previous, p)))
        return mine.where(n >= 0, theirs)

    changed = pd.DataFrame({
        "currency": currencies[currency[k]], "customer_key": text("customer_key"), "document": text("document"),
        "occurrence": np.where(n >= 0, _taken(now["occurrence"].to_numpy(), n, 0),
                               _taken(previous["occurrence"].to_numpy(), p, 0)),
        "customer": text("customer"), "before": before[k], "closing": closing[k],
        "bucket_before": labels[bucket_before[k]], "bucket_now": labels[bucket_now[k]],
        "new": new[k], "gone": gone[k],
        "received": frame["received"].to_numpy()[k], "credited": frame["credited"].to_numpy()[k],
        "written_off": frame["written_off"].to_numpy()[k]})
    return Movements(rollforwards, migration, changed)


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
