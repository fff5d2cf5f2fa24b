"""Late-payment interest and fixed compensation (pure).

All simple interest on an actual/365 day
count, computed exactly and rounded once, ROUND_HALF_UP to the minor unit:

* ``simple``: amount × rate × days / 365, the annual ``rate`` given (0.08 = 8 %).
* ``uk-1998``: Late Payment of Commercial Debts (Interest) Act 1998 and the
  Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002:
  8 % over the Bank of England Bank Rate ("official dealing rate") in force on
  31 December (for interest starting January–June) or 30 June (for interest
  starting July–December) immediately before the half-year in which interest
  starts to run (the day after the due date); the rate is then fixed for the
  life of the debt. Fixed compensation (s.5A, SI 2002/1674 as amended): £40 for a
  debt under £1,000, £70 under £10,000, £100 for £10,000 or more.
* ``eu-2011-7``: Directive 2011/7/EU art. 2(7)/(8) and 3–4 and 6: the ECB's
  main refinancing operations rate in force on 1 January for the first
  half-year and on 1 July for the second, plus 8 points; the rate changes with
  each half-year, so the days are split by half-year. Fixed compensation €40.
  (Member states transpose the directive with their own reference rates, e.g.
  Germany's Basiszinssatz; this rule is the directive's own default.)

``days`` = paid − due (the caller passes the as-of date as ``paid`` when the
item is unpaid). Interest runs from the day after the due date up to and
including the payment date. Not late (days ≤ 0): no interest, no compensation.

Reference rates are passed in as a sequence of ``(effective_date, annual_rate)``
pairs, the rate as a fraction (0.0375 = 3.75 %), read at the edge
(``addin.refdata``). For the statutory rules ``rate``, when given, overrides the
table: it is the reference (base) rate, the 8 points are still added.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

from .buckets import as_date
from .money import quantize, to_decimal

RULES = ("simple", "uk-1998", "eu-2011-7")
_RULE_SYNONYMS = {
    "uk": "uk-1998", "uk1998": "uk-1998", "uk-1998": "uk-1998", "late payment act": "uk-1998",
    "eu": "eu-2011-7", "eu2011/7": "eu-2011-7", "eu-2011/7": "eu-2011-7", "eu-2011-7": "eu-2011-7",
    "simple": "simple", "": "simple",
}
STATUTORY_MARGIN = Decimal("0.08")
DAY_BASIS = 365
_RULE_CURRENCY = {"uk-1998": "GBP", "eu-2011-7": "EUR", "simple": ""}
_SYMBOL = {"GBP": "£", "EUR": "€", "USD": "$"}


@dataclass(frozen=True)
class InterestPeriod:
    """A stretch of days at one rate (one per half-year under eu-2011-7)."""

    start: date  # first day of interest in this stretch
    end: date  # last day, inclusive
    days: int
    reference_rate: Decimal | None  # the base/reference rate, None for "simple"
    rate: Decimal  # annual rate applied (fraction)
    interest: Decimal  # unrounded


@dataclass(frozen=True)
class LateInterest:
    """Late interest on one amount. ``rate`` is annual, as a fraction (0.1325 = 13.25 %);
    under eu-2011-7 it is the rate of the first half-year (``periods`` lists each)."""

    amount: Decimal
    due: date
    paid: date
    days: int
    rule: str
    rate: Decimal
    interest: Decimal
    compensation: Decimal
    total: Decimal  # interest + compensation
    currency: str
    periods: tuple[InterestPeriod, ...]
    explanation: str


def rule_value(rule) -> str:
    key = str(rule if rule is not None else "simple").strip().lower()
    if key in _RULE_SYNONYMS:
        return _RULE_SYNONYMS[key]
    raise ValueError(f"the interest rule must be simple, uk-1998 or eu-2011-7, got {rule!r}")


def _rate(value, what: str = "the rate") -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        d = to_decimal(value.strip()[:-1].strip()) / 100
    else:
        try:
            d = to_decimal(value.strip() if isinstance(value, str) else value)
        except (ValueError, TypeError):
            raise ValueError(f"{what} must be a number such as 0.08 (8%), got {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ValueError(f"{what} must be 0 or more, got {value!r}")
    if d > 10:
        raise ValueError(f"{what} is a fraction (8% = 0.08), got {d}: that would be over 1000% a year")
    return d


def rate_in_force(reference_rates: Sequence[tuple[date, Decimal]], on: date, name: str) -> Decimal:
    """The rate in force on a day: the latest entry whose effective date is on or before it."""
    table = sorted((as_date(d, "an effective date"), to_decimal(r)) for d, r in reference_rates)
    if not table:
        raise ValueError(f"no {name} table was given")
    i = bisect_right([d for d, _ in table], on)
    if i == 0:
        raise ValueError(f"no {name} is known on {on.isoformat()}: the table starts "
                         f"{table[0][0].isoformat()}")
    return table[i - 1][1]


def uk_reference_date(interest_starts: date) -> date:
    """31 Dec before a January–June start, 30 Jun before a July–December start."""
    if interest_starts.month <= 6:
        return date(interest_starts.year - 1, 12, 31)
    return date(interest_starts.year, 6, 30)


def reference_date(rule: str, day: date) -> date | None:
    """The day whose reference rate fixes interest starting (uk-1998) or running (eu-2011-7) on ``day``.

    None for the simple rule, which has no reference rate.
    """
    rule = rule_value(rule)
    if rule == "uk-1998":
        return uk_reference_date(day)
    if rule == "eu-2011-7":
        return date(day.year, 1 if day.month <= 6 else 7, 1)
    return None


def uk_compensation(amount: Decimal) -> Decimal:
    """Fixed sum under s.5A of the 1998 Act: £40 (< £1,000), £70 (< £10,000), £100."""
    if amount < 1000:
        return Decimal(40)
    if amount < 10000:
        return Decimal(70)
    return Decimal(100)


def half_years(start: date, end: date) -> list[tuple[date, date]]:
    """Split the inclusive range start..end at 1 January and 1 July."""
    out = []
    cur = start
    while cur <= end:
        nxt = date(cur.year, 7, 1) if cur.month <= 6 else date(cur.year + 1, 1, 1)
        last = min(end, nxt - timedelta(days=1))
        out.append((cur, last))
        cur = last + timedelta(days=1)
    return out


def _pct(rate: Decimal) -> str:
    s = f"{(rate * 100).normalize():f}"
    return f"{s}%"


def _money(value: Decimal, currency: str) -> str:
    sym = _SYMBOL.get(currency, "")
    text = f"{value:,.{max(0, -value.as_tuple().exponent)}f}"
    return f"{sym}{text}" if sym else (f"{text} {currency}" if currency else text)


def late_interest(amount, due: date, paid: date, rule: str = "simple", rate=None,
                  reference_rates: Sequence[tuple[date, Decimal]] | None = None,
                  currency: str | None = None) -> LateInterest:
    """Late interest and fixed compensation on ``amount`` due on ``due`` and paid on ``paid``.

    See the module docstring for the three rules. ``rate``: the annual rate for
    "simple" (required), or an override of the reference rate for the statutory
    rules. ``reference_rates``: (effective_date, annual_rate) pairs — the Bank of
    England Bank Rate for uk-1998, the ECB MRO rate for eu-2011-7. ``currency``
    defaults to GBP for uk-1998, EUR for eu-2011-7; it sets the rounding unit.
    """
    rule = rule_value(rule)
    try:
        amount = to_decimal(amount.strip().replace(",", "") if isinstance(amount, str) else amount)
    except (ValueError, TypeError):
        raise ValueError(f"the amount must be a number, got {amount!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"the amount must be 0 or more, got {amount!r}")
    due = as_date(due, "the due date")
    paid = as_date(paid, "the payment (or as-of) date")
    cur = (currency or _RULE_CURRENCY[rule]).upper()
    override = None if rate is None or (isinstance(rate, str) and not rate.strip()) else _rate(rate)
    if rule == "simple" and override is None:
        raise ValueError("the simple rule needs an annual rate, e.g. 0.08 for 8%")
    if rule != "simple" and override is None and not reference_rates:
        raise ValueError(f"the {rule} rule needs the reference rate table (or a rate)")

    days = (paid - due).days
    start = due + timedelta(days=1)
    periods: list[InterestPeriod] = []
    with localcontext() as ctx:
        ctx.prec = 50
        if days > 0:
            if rule == "simple":
                periods.append(InterestPeriod(start, paid, days, None, override,
                                              amount * override * days / DAY_BASIS))
            elif rule == "uk-1998":
                ref = override if override is not None else rate_in_force(
                    reference_rates, reference_date(rule, start), "Bank of England Bank Rate")
                r = ref + STATUTORY_MARGIN
                periods.append(InterestPeriod(start, paid, days, ref, r,
                                              amount * r * days / DAY_BASIS))
            else:
                for a, b in half_years(start, paid):
                    ref = override if override is not None else rate_in_force(
                        reference_rates, reference_date(rule, a), "ECB main refinancing rate")
                    r = ref + STATUTORY_MARGIN
                    n = (b - a).days + 1
                    periods.append(InterestPeriod(a, b, n, ref, r, amount * r * n / DAY_BASIS))
        exact = sum((p.interest for p in periods), Decimal(0))
    interest = quantize(exact, cur, ROUND_HALF_UP)
    if days <= 0 or rule == "simple":
        compensation = quantize(0, cur)
    elif rule == "uk-1998":
        compensation = quantize(uk_compensation(amount), cur)
    else:
        compensation = quantize(40, cur)
    if periods:
        applied = periods[0].rate
    elif rule == "simple":
        applied = override
    else:
        applied = Decimal(0)
    total = interest + compensation
    explanation = _explain(amount, due, paid, days, rule, periods, interest, compensation,
                           total, cur, override is not None)
    return LateInterest(amount, due, paid, max(days, 0), rule, applied, interest, compensation,
                        total, cur, tuple(periods), explanation)


def _explain(amount, due, paid, days, rule, periods, interest, compensation, total, cur,
             overridden) -> str:
    m = lambda v: _money(quantize(v, cur), cur)  # noqa: E731
    if days <= 0:
        return (f"{m(amount)} due {due.isoformat()} was paid on time "
                f"({paid.isoformat()}): no late interest.")
    head = (f"{m(amount)} due {due.isoformat()}, paid (or counted to) {paid.isoformat()}: "
            f"{days} days late; interest runs from {periods[0].start.isoformat()}.")
    if rule == "simple":
        p = periods[0]
        body = (f" Simple interest at {_pct(p.rate)} a year: {m(amount)} × {_pct(p.rate)} × "
                f"{days} / {DAY_BASIS} = {m(interest)}.")
        return head + body
    if rule == "uk-1998":
        p = periods[0]
        source = ("the reference rate given" if overridden else
                  f"the Bank of England Bank Rate in force on "
                  f"{uk_reference_date(p.start).strftime('%d %B %Y').lstrip('0')}")
        body = (f" Statutory interest (Late Payment of Commercial Debts (Interest) Act 1998): "
                f"8% over {source}, {_pct(p.reference_rate)}, = {_pct(p.rate)} a year, fixed "
                f"for the life of the debt: {m(amount)} × {_pct(p.rate)} × {days} / "
                f"{DAY_BASIS} = {m(interest)}. Fixed compensation for a debt of "
                f"{m(amount)}: {m(compensation)}. Total {m(total)}.")
        return head + body
    parts = []
    for p in periods:
        parts.append(f"{p.start.isoformat()} to {p.end.isoformat()}: {p.days} days at "
                     f"{_pct(p.rate)} ({_pct(p.reference_rate)} + 8)")
    source = "the reference rate given" if overridden else "the ECB main refinancing rate"
    body = (f" Interest under Directive 2011/7/EU at {source} on the first day of each "
            f"half-year plus 8 points, on {m(amount)} per {DAY_BASIS}-day year: "
            + "; ".join(parts) + f"; interest {m(interest)}. Fixed compensation "
            f"{m(compensation)}. Total {m(total)}.")
    return head + body
