"""Expected credit loss by the provision matrix (IFRS 9 §5.5.15 simplified approach; CECL's aging method).

A loss rate per aging bucket × the bucket's receivables, rounded per bucket to
the currency's minor unit, half up (``PROVISION_ROUNDING``); the total is the sum
of the rounded buckets, so the matrix on the sheet adds up to the total shown.
Credit balances (a bucket that nets below zero) carry no allowance, and
unapplied cash, which has no age, carries none either.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Mapping, Sequence

from ..money import from_minor, to_minor
from ..parse import DEFAULT, Conventions, parse_decimal

PROVISION_ROUNDING = ROUND_HALF_UP


@dataclass(frozen=True)
class Provision:
    currency: str
    rates: dict[str, Decimal]       # bucket -> loss rate in percent
    by_bucket: dict[str, int]       # bucket -> allowance in minor units
    total: int
    previous: int | None = None     # the allowance at the previous close, when there was one
    source: str = ""                # where the rates came from, in words

    @property
    def movement(self) -> int | None:
        return None if self.previous is None else self.total - self.previous


def parse_loss_rates(text, buckets: Sequence[str], conv: Conventions = DEFAULT) -> dict[str, Decimal]:
    """'0.3, 1.6, 3.6, 6.6, 10.6' (percent, Current first) as {bucket: rate}; ValueError saying what is wrong.

    Separated by ';' or whitespace, or by ',' where the decimal mark is not a comma.
    """
    s = str(text).strip()
    sep = r"[;\s]+" if conv.decimal == "," or ";" in s else r"[,;\s]+"
    parts = [p for p in re.split(sep, s.replace("%", " ")) if p]
    if len(parts) != len(buckets):
        raise ValueError(f"{len(parts)} loss rate(s) given for {len(buckets)} buckets "
                         f"({', '.join(buckets)}): give one percentage per bucket, Current first")
    rates = {}
    for b, p in zip(buckets, parts):
        rate = parse_decimal(p, conv)
        if not Decimal(0) <= rate <= 100:
            raise ValueError(f"loss rate {p!r} for {b} is not a percentage from 0 to 100")
        rates[b] = rate
    return rates


def provision_matrix(balances: Mapping[str, int], rates: Mapping[str, Decimal], currency: str, *,
                     previous: int | None = None, source: str = "") -> Provision:
    """The allowance per bucket and in total, in minor units, from bucket balances (minor units) and rates (%)."""
    by_bucket = {}
    for bucket, minor in balances.items():
        rate = rates.get(bucket, Decimal(0))
        base = from_minor(max(int(minor), 0), currency)
        by_bucket[bucket] = to_minor(base * rate / 100, currency, PROVISION_ROUNDING)
    return Provision(currency, dict(rates), by_bucket, sum(by_bucket.values()), previous, source)


def derived_rates(history: Sequence[tuple[Sequence[Decimal | None], Decimal | None]],
                  buckets: Sequence[str]) -> dict[str, Decimal] | None:
    """Loss rates by the roll-rate (migration) method from kept closes, or None when they cannot be had.

    ``history`` holds per close the roll rates of every bucket but the oldest (percent of the bucket that
    was one bucket older at the next close) and the write-off rate of the oldest bucket (percent of it
    written off by the next close). Each is averaged over the closes that have it; the loss rate of a
    bucket is the product of the average roll rates from it to the oldest bucket × the average write-off
    rate, in percent, to two decimals half up.
    """
    def mean(values):
        known = [v for v in values if v is not None]
        return sum(known, Decimal(0)) / len(known) if known else None

    rolls = [mean([h[0][k] if k < len(h[0]) else None for h in history]) for k in range(len(buckets) - 1)]
    written = mean([h[1] for h in history])
    if written is None or any(r is None for r in rolls):
        return None
    out, rate = {}, written / 100
    for b, roll in zip(reversed(buckets), [None, *reversed(rolls)]):
        rate = rate if roll is None else rate * roll / 100
        out[b] = (rate * 100).quantize(Decimal("0.01"), rounding=PROVISION_ROUNDING)
    return {b: out[b] for b in buckets}
