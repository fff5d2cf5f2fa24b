"""Settlement offers: a lump sum at a discount, compared with a payment plan (pure).

For the negotiation the clerk is about to have: "pay 1,800.00 now (10 % off)
or 12 × 171.58 = 2,058.96 over a year" — with the present value of the plan at
a chosen valuation rate (the creditor's cost of money), so the clerk sees which
is worth more today and the largest discount that still beats the plan.

Rounding: ROUND_HALF_UP to the minor unit for the discount and the present
value; the lump sum is balance − discount, exact.
Present value: each installment discounted by whole periods at
``valuation_rate / periods_per_year``: installment k (1-based) at k periods for
``when="end"``, k − 1 for ``when="begin"`` (so a plan whose rate equals the
valuation rate has a present value equal to its principal, give or take the
cents rounding).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

from .money import quantize, to_decimal
from .plans import (Installment, annual_rate_value, frequency_value, installments,
                    periods_per_year, schedule_totals, when_value)


@dataclass(frozen=True)
class SettlementOffer:
    balance: Decimal
    discount: Decimal  # amount taken off
    discount_percent: Decimal  # discount / balance × 100, to 2 decimals
    lump_sum: Decimal  # balance - discount
    currency: str
    plan: tuple[Installment, ...]  # empty when no plan was compared
    plan_total: Decimal | None  # total paid under the plan
    plan_interest: Decimal | None
    plan_present_value: Decimal | None  # at valuation_rate (None without one)
    valuation_rate: Decimal | None
    difference: Decimal | None  # plan_total - lump_sum: extra cash the plan brings
    pv_difference: Decimal | None  # plan_present_value - lump_sum (> 0: the plan is worth more today)
    breakeven_discount_percent: Decimal | None  # the discount at which lump sum = plan's PV
    better: str  # "lump sum", "plan", "equal" or "" (no plan to compare)
    explanation: str


def present_value(schedule: Sequence[Installment], valuation_rate, frequency: str = "monthly",
                  when: str = "end", currency: str = "") -> Decimal:
    """Present value of the schedule's payments at an annual valuation rate (see module doc)."""
    rate = annual_rate_value(valuation_rate)
    ppy = periods_per_year(frequency)
    shift = when_value(when)
    with localcontext() as ctx:
        ctx.prec = 50
        i = rate / ppy
        pv = sum((row.payment / (1 + i) ** (row.number - shift) for row in schedule), Decimal(0))
    return quantize(pv, currency, ROUND_HALF_UP)


def settlement_offer(balance, discount_percent=None, discount_amount=None, *, n=None,
                     annual_rate=0, frequency: str = "monthly", when: str = "end",
                     first_due=None, valuation_rate=None, currency: str = "",
                     plan: Sequence[Installment] | None = None) -> SettlementOffer:
    """A lump-sum offer and, when a plan is given (``plan=`` rows or ``n=`` installments), the comparison.

    Give the discount as ``discount_percent`` (10 = 10 %) or ``discount_amount``
    (not both; neither = no discount). The plan is ``plan`` (a schedule from
    :func:`addin.core.plans.installments`) or built from ``n``, ``annual_rate``,
    ``frequency``, ``when``, ``first_due`` on the same balance. ``valuation_rate``
    (annual fraction) adds the present value and the break-even discount.
    """
    try:
        bal = to_decimal(balance.strip().replace(",", "") if isinstance(balance, str) else balance)
    except (ValueError, TypeError):
        raise ValueError(f"the balance must be an amount, got {balance!r}") from None
    if not bal.is_finite() or bal <= 0:
        raise ValueError(f"the balance must be above 0, got {balance!r}")
    bal = quantize(bal, currency)
    if discount_percent is not None and discount_amount is not None:
        raise ValueError("give the discount as a percent or as an amount, not both")
    if discount_percent is not None:
        pct = to_decimal(discount_percent)
        if not pct.is_finite() or pct < 0 or pct > 100:
            raise ValueError(f"the discount percent must be between 0 and 100, got {discount_percent!r}")
        discount = quantize(bal * pct / 100, currency, ROUND_HALF_UP)
    elif discount_amount is not None:
        discount = quantize(discount_amount, currency, ROUND_HALF_UP)
        if discount < 0 or discount > bal:
            raise ValueError(f"the discount must be between 0 and the balance {bal}, got {discount}")
    else:
        discount = quantize(0, currency)
    lump = bal - discount
    discount_pct = quantize(discount * 100 / bal, "", ROUND_HALF_UP)

    if plan is None and n is not None:
        plan = installments(bal, n, annual_rate, first_due, frequency, when, currency)
    freq = frequency_value(frequency)
    rows = tuple(plan or ())
    plan_total = plan_interest = pv = diff = pv_diff = breakeven = None
    vrate = None
    better = ""
    if rows:
        plan_total, plan_interest, _ = schedule_totals(rows)
        diff = plan_total - lump
        if valuation_rate is not None:
            vrate = annual_rate_value(valuation_rate)
            pv = present_value(rows, vrate, freq, when, currency)
            pv_diff = pv - lump
            breakeven = quantize((bal - pv) * 100 / bal, "", ROUND_HALF_UP)
            basis = pv_diff
        else:
            basis = diff
        better = "plan" if basis > 0 else "lump sum" if basis < 0 else "equal"
    explanation = _explain(bal, discount, discount_pct, lump, rows, plan_total, plan_interest,
                           pv, vrate, pv_diff, breakeven, better)
    return SettlementOffer(bal, discount, discount_pct, lump, currency, rows, plan_total,
                           plan_interest, pv, vrate, diff, pv_diff, breakeven, better, explanation)


def _explain(bal, discount, pct, lump, rows, total, interest, pv, vrate, pv_diff, breakeven,
             better) -> str:
    text = f"Settle {bal:,} now for {lump:,}"
    text += f" ({pct.normalize():f}% off, {discount:,} less)." if discount else " (no discount)."
    if not rows:
        return text
    regular = rows[0].payment
    text += (f" The plan: {len(rows)} installments of {regular:,}"
             + (f" (last {rows[-1].payment:,})" if rows[-1].payment != regular else "")
             + f", {total:,} in all including {interest:,} interest: "
             f"{(total - lump):,} more cash than the lump sum.")
    if pv is not None:
        text += (f" Valued at {(vrate * 100).normalize():f}% a year, the plan is worth {pv:,} "
                 f"today, {abs(pv_diff):,} {'more' if pv_diff >= 0 else 'less'} than the lump sum; ")
        text += (f"any discount below {breakeven.normalize():f}% beats the plan." if breakeven > 0
                 else "no discount beats the plan in today's money.")
    text += {"plan": " The plan brings more.", "lump sum": " The lump sum brings more.",
             "equal": " Both bring the same."}[better]
    return text
