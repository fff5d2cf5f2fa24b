"""Settlement offers (addin.core.settlement): a discounted lump sum against a plan.

The present value is checked against numpy_financial.pv (the NPV of an
annuity: npf.pv(rate, n, -pmt)); a plan valued at its own rate is worth its
principal, give or take the rounding cents.
"""
from __future__ import annotations

from decimal import Decimal

import numpy_financial as npf
import pytest

from addin.core.plans import installments
from addin.core.settlement import present_value, settlement_offer

D = Decimal


def test_discount_percent_and_amount():
    o = settlement_offer(D("2000.00"), discount_percent=10)
    assert (o.discount, o.lump_sum, o.discount_percent) == (D("200.00"), D("1800.00"), D("10.00"))
    assert o.plan == () and o.better == "" and "10% off" in o.explanation
    o = settlement_offer(1999.99, discount_amount=D("150"))
    assert o.lump_sum == D("1849.99") and o.discount_percent == D("7.50")
    assert settlement_offer(500).lump_sum == D("500.00")


def test_comparison_with_a_plan():
    o = settlement_offer(2000, 10, n=12, annual_rate=D("0.08"), valuation_rate=D("0.10"))
    plan = installments(2000, 12, D("0.08"))
    assert o.plan == tuple(plan)
    assert o.plan_total == sum(r.payment for r in plan) == D("2087.71")
    assert o.plan_interest == D("87.71") and o.difference == D("287.71")
    ref = D(repr(float(npf.npv(0.10 / 12, [0] + [float(r.payment) for r in plan]))))
    assert abs(o.plan_present_value - ref) <= D("0.01")
    assert o.pv_difference == o.plan_present_value - D("1800.00")
    assert o.better == "plan"
    assert o.breakeven_discount_percent == ((D(2000) - o.plan_present_value) * 100 / 2000).quantize(D("0.01"))
    # a discount below break-even (1.06 %): the lump sum is worth more than the plan today
    below = settlement_offer(2000, D("0.5"), n=12, annual_rate=D("0.08"), valuation_rate=D("0.10"))
    assert below.better == "lump sum"


def test_plan_at_its_own_rate_is_worth_its_principal():
    for when in ("end", "begin"):
        plan = installments(10000, 24, D("0.09"), when=when)
        pv = present_value(plan, D("0.09"), "monthly", when)
        assert abs(pv - D(10000)) <= D("0.05")
        ref = -npf.pv(0.09 / 12, 24, float(plan[0].payment), when=when)
        assert abs(pv - D(repr(float(ref)))) <= D("0.10")  # the last row's remainder


def test_cash_comparison_without_valuation_rate():
    o = settlement_offer(1200, discount_amount=100, n=6)
    assert o.plan_present_value is None and o.difference == D("100.00") and o.better == "plan"


def test_given_schedule_and_errors():
    plan = installments(900, 3, first_due=None)
    assert settlement_offer(900, 5, plan=plan).plan_total == D("900.00")
    with pytest.raises(ValueError, match="not both"):
        settlement_offer(100, 5, 5)
    with pytest.raises(ValueError, match="between 0 and 100"):
        settlement_offer(100, 120)
    with pytest.raises(ValueError, match="between 0 and the balance"):
        settlement_offer(100, discount_amount=101)
    with pytest.raises(ValueError, match="the balance must be above 0"):
        settlement_offer(0, 5)
