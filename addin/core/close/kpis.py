"""Receivables KPIs by the Credit Research Foundation's definitions, in exact decimals.

    DSO               = ending total receivables / credit sales for the period × days in the period
    best possible DSO = ending current receivables / credit sales × days
    ADD               = DSO − best possible DSO            (average days delinquent)
    CEI               = (beginning receivables + credit sales − ending total receivables)
                        / (beginning receivables + credit sales − ending current receivables) × 100
    % over 90         = receivables in the oldest bucket (91+ days past due) / ending total × 100
    count-back DSO    = the days of the latest periods whose credit sales the ending receivables
                        use up, the last one pro rata (the "exhaust" method)

"Current" is the part not yet due. Each figure is rounded once, at the end, to
one decimal, half up (``KPI_ROUNDING``); a figure whose divisor is zero is None.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Sequence

KPI_PLACES = Decimal("0.1")
KPI_ROUNDING = ROUND_HALF_UP


def _round(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(KPI_PLACES, rounding=KPI_ROUNDING)


def _days_of(receivables: Decimal, sales: Decimal, days: int) -> Decimal | None:
    return None if sales <= 0 else receivables / sales * days


@dataclass(frozen=True)
class Kpis:
    dso: Decimal | None
    countback_dso: Decimal | None
    best_possible_dso: Decimal | None
    add: Decimal | None
    cei: Decimal | None
    pct_over_90: Decimal | None


def countback_dso(ending_total: Decimal, sales_by_period: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """Days of sales in the ending receivables, counted back from the latest period.

    ``sales_by_period`` is (credit sales, days) newest first. None when there is
    no sales history, or the receivables outlast every period given (the count
    would be a lower bound, not the figure).
    """
    left, days = ending_total, Decimal(0)
    if left <= 0:
        return Decimal(0) if sales_by_period else None
    for sales, n in sales_by_period:
        if sales <= 0:
            continue
        if left <= sales:
            return days + left / sales * n
        left -= sales
        days += n
    return None


def compute_kpis(*, beginning: Decimal, sales: Decimal, ending_total: Decimal, ending_current: Decimal,
                 over_90: Decimal, days: int,
                 sales_history: Sequence[tuple[Decimal, int]] = ()) -> Kpis:
    """The CRF figures for one period and currency; ``sales_history`` (newest first) starts with this period."""
    dso = _days_of(ending_total, sales, days)
    best = _days_of(ending_current, sales, days)
    add = None if dso is None or best is None else dso - best
    denominator = beginning + sales - ending_current
    cei = None if denominator == 0 else (beginning + sales - ending_total) / denominator * 100
    pct = None if ending_total <= 0 else over_90 / ending_total * 100
    return Kpis(_round(dso), _round(countback_dso(ending_total, sales_history)), _round(best), _round(add),
                _round(cei), _round(pct))
