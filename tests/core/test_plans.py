"""Installment schedules and plan tracking (addin.core.plans).

Worked examples:
* Microsoft Support, "PMT function": PMT(8%/12, 10, 10000) = -1,037.03 and, payments
  due at the beginning, PMT(8%/12, 10, 10000, 0, 1) = -1,030.16.
* numpy-financial docs, ``pmt``: npf.pmt(0.075/12, 12*15, 200000) = -1854.0247200054619.
* Microsoft Support, "IPMT function": IPMT(10%/12, 1, 3*12, 8000) = -66.67 and
  IPMT(10%, 3, 3, 8000) = -292.45.
* Microsoft Support, "PPMT function": PPMT(10%/12, 1, 2*12, 2000) = -75.62 and
  PPMT(8%, 10, 10, 200000) = -27,598.05.
* numpy-financial docs, ``ipmt``: 2,500 at 8.24 % over a year, the rounded monthly
  interest -17.17, -15.79, -14.4, -13.01, -11.6, -10.18, -8.76, -7.32, -5.88, -4.42,
  -2.96, -1.49, total -112.98.
An annual period (Excel's 10% with 3 periods) is a quarterly plan at 4 × the rate.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy_financial as npf
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from addin.core.plans import (installments, pmt_exact, regular_payment,
                              schedule_totals, track_plan)

D = Decimal


# ----------------------------------------------------------- published examples

def test_excel_pmt_example():
    rows = installments(10000, 10, D("0.08"))
    assert rows[0].payment == D("1037.03")
    assert all(r.payment == D("1037.03") for r in rows[:-1])
    assert regular_payment(10000, 10, D("0.08"), when="begin") == D("1030.16")


def test_numpy_financial_pmt_example():
    exact = pmt_exact(200000, 180, D("0.075") / 12)
    assert abs(exact - D("1854.0247200054619")) < D("1e-9")
    assert installments(200000, 180, D("0.075"))[0].payment == D("1854.02")


def test_excel_ipmt_examples():
    assert installments(8000, 36, D("0.10"))[0].interest == D("66.67")
    # IPMT(10%, 3, 3, 8000): annual periods = quarterly at 40 % a year
    assert installments(8000, 3, D("0.40"), frequency="quarterly")[2].interest == D("292.45")


def test_excel_ppmt_examples():
    assert installments(2000, 24, D("0.10"))[0].principal == D("75.62")
    last = installments(200000, 10, D("0.32"), frequency="quarterly")[-1]
    # Excel's -27,598.05 assumes unrounded payments; the rounded schedule differs by
    # the cents that the last installment absorbs.
    assert abs(last.principal - D("27598.05")) <= D("0.05")


def test_numpy_financial_ipmt_example():
    rows = installments(2500, 12, D("0.0824"))
    published = [D(x) for x in ("17.17 15.79 14.40 13.01 11.60 10.18 8.76 7.32 5.88 4.42 "
                                "2.96 1.49").split()]
    assert [r.interest for r in rows[:-1]] == published[:-1]
    assert abs(rows[-1].interest - published[-1]) <= D("0.01")
    assert abs(sum(r.interest for r in rows) - D("112.98")) <= D("0.01")


# ----------------------------------------------------------- rules

def test_equal_split_remainder_last_and_first():
    rows = installments(100, 3)
    assert [r.payment for r in rows] == [D("33.33"), D("33.33"), D("33.34")]
    assert [r.balance for r in rows] == [D("66.67"), D("33.34"), D("0.00")]
    rows = installments(100, 3, remainder="first")
    assert [r.payment for r in rows] == [D("33.34"), D("33.33"), D("33.33")]
    assert rows[-1].balance == 0
    with pytest.raises(ValueError, match="without interest"):
        installments(100, 3, D("0.05"), remainder="first")


def test_begin_first_installment_has_no_interest():
    rows = installments(1000, 4, D("0.12"), date(2024, 1, 31), "quarterly", "begin")
    assert rows[0].interest == 0 and rows[0].payment == D("261.19")
    assert D(repr(float(-npf.pmt(0.03, 4, 1000, when="begin")))).quantize(D("0.01")) == D("261.19")
    assert rows[1].interest == (D("738.81") * D("0.03")).quantize(D("0.01"), ROUND_HALF_UP)


def test_due_dates_from_the_anchor():
    rows = installments(300, 3, first_due=date(2025, 1, 31))
    assert [r.due_date for r in rows] == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]
    rows = installments(300, 3, first_due=date(2024, 11, 30), frequency="quarterly")
    assert [r.due_date for r in rows] == [date(2024, 11, 30), date(2025, 2, 28), date(2025, 5, 30)]
    rows = installments(300, 3, first_due=date(2025, 1, 1), frequency="weekly")
    assert [r.due_date for r in rows] == [date(2025, 1, 1), date(2025, 1, 8), date(2025, 1, 15)]
    rows = installments(300, 3, first_due=date(2025, 1, 1), frequency="fortnightly")
    assert rows[2].due_date == date(2025, 1, 29)
    assert all(r.due_date is None for r in installments(300, 3))


def test_currency_minor_units():
    rows = installments(100000, 3, currency="JPY")
    assert [r.payment for r in rows] == [D(33333), D(33333), D(33334)]
    rows = installments(10, 3, D("0.1"), currency="KWD")
    assert rows[0].payment.as_tuple().exponent == -3


def test_tiny_plan_never_goes_negative():
    rows = installments(D("0.10"), 15, D("0.01"))
    assert all(r.balance >= 0 and r.payment >= 0 for r in rows)
    assert sum(r.payment for r in rows) == D("0.10") + sum(r.interest for r in rows)


@pytest.mark.parametrize("args, message", [
    ((1000, -3), "number of installments must be a whole number above 0, got -3"),
    ((1000, 2.5), "number of installments must be a whole number above 0, got 2.5"),
    ((1000, "x"), "number of installments must be a whole number above 0"),
    ((0, 3), "the principal must be above 0"),
    ((-5, 3), "the principal must be above 0, got -5"),
    ((1000, 3, -0.01), "the annual rate must not be negative"),
    ((1000, 3, 8), None),  # 800 % a year: allowed, if odd
    ((1000, 3, 20), "fraction"),
])
def test_validation_messages(args, message):
    if message is None:
        installments(*args)
        return
    with pytest.raises(ValueError, match=message):
        installments(*args)


def test_bad_frequency_and_when():
    with pytest.raises(ValueError, match="frequency must be weekly, fortnightly, monthly or quarterly"):
        installments(100, 2, frequency="daily")
    with pytest.raises(ValueError, match='when must be "end" or "begin"'):
        installments(100, 2, when="middle")
    assert installments(100, 2, frequency="Quarterly", when="BEGIN")[0].payment == D("50.00")


# ----------------------------------------------------------- properties

FREQ = {"weekly": 52, "fortnightly": 26, "monthly": 12, "quarterly": 4}


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cents=st.integers(1, 10**10), n=st.integers(1, 240),
       rate_bp=st.one_of(st.just(0), st.integers(1, 4000)),
       freq=st.sampled_from(list(FREQ)), when=st.sampled_from(["end", "begin"]),
       currency=st.sampled_from(["", "GBP", "JPY", "KWD"]))
def test_schedule_is_exact(cents, n, rate_bp, freq, when, currency):
    """Sum of payments = principal + interest, balance ends at 0, never negative, and every
    payment but the last is the rounded PMT (numpy_financial.pmt) figure."""
    from addin.core.money import minor_digits

    digits = minor_digits(currency)
    unit = D(1).scaleb(-digits)
    principal = (D(cents) / 100).quantize(unit, ROUND_HALF_UP)
    if principal <= 0:
        return
    rate = D(rate_bp) / 10000
    rows = installments(principal, n, rate, None, freq, when, currency)
    pay, interest, prin = schedule_totals(rows)
    assert len(rows) == n
    assert pay == principal + interest
    assert prin == principal
    assert rows[-1].balance == 0
    assert all(r.balance >= 0 and r.payment >= 0 and r.interest >= 0 for r in rows)
    prev = principal
    for r in rows:
        assert r.payment == r.interest + r.principal
        assert r.balance == prev - r.principal
        prev = r.balance
    regular = regular_payment(principal, n, rate, freq, when, currency)
    clamped = any(r.payment < regular for r in rows[:-1])
    assert all(r.payment == regular for r in rows[:-1]) or clamped
    if rate:
        ppy = FREQ[freq]
        with localcontext() as ctx:
            ctx.prec = 50
            exact = pmt_exact(principal, n, rate / ppy, 1 if when == "begin" else 0)
        assert regular == exact.quantize(unit, ROUND_HALF_UP)
        ref = float(-npf.pmt(float(rate) / ppy, n, float(principal), when=when))
        assert abs(D(repr(ref)) - exact) <= max(exact, 1) * D("1e-9")
        if not clamped:
            # the last row absorbs at most the compounded half-unit roundings
            i = rate / ppy
            growth = ((1 + i) ** n - 1) / i  # sum of (1 + i)^j for j < n
            assert abs(rows[-1].payment - regular) <= unit * growth + unit
    else:
        share = (principal / n).quantize(unit, rounding="ROUND_DOWN")
        assert all(r.payment == share for r in rows[:-1])
        assert 0 <= rows[-1].payment - share < n * unit


# ----------------------------------------------------------- tracking

def plan():
    return installments(300, 3, first_due=date(2025, 1, 31))  # 100 on 31 Jan, 28 Feb, 31 Mar


def test_track_on_track_and_completed():
    s = plan()
    st_ = track_plan(s, [(date(2025, 1, 30), D(100))], date(2025, 2, 10))
    assert (st_.status, st_.next_due_date, st_.next_amount, st_.missed) == (
        "on track", date(2025, 2, 28), D(100), 0)
    assert (st_.paid_to_date, st_.due_to_date, st_.arrears, st_.remaining) == (D(100), D(100), 0, D(200))
    done = track_plan(s, [(date(2025, 1, 30), D(300))], date(2025, 2, 10))
    assert done.status == "completed" and done.next_due_date is None
    # a payment after the as-of date does not count
    assert track_plan(s, [(date(2025, 2, 11), D(300))], date(2025, 2, 10)).status == "late"


def test_track_late_within_grace_then_missed():
    s = plan()
    assert track_plan(s, [], date(2025, 1, 31)).status == "on track"  # due today
    late = track_plan(s, [], date(2025, 2, 3), grace_days=5)
    assert (late.status, late.missed, late.days_late) == ("late", 0, 3)
    missed = track_plan(s, [], date(2025, 2, 10), grace_days=5)
    assert (missed.status, missed.missed, missed.arrears) == ("late", 1, D(100))
    partial = track_plan(s, [(date(2025, 2, 1), D(60))], date(2025, 2, 10))
    assert partial.next_amount == D(40) and partial.next_due_date == date(2025, 1, 31)


def test_track_broken_two_missed_or_thirty_days():
    s = plan()
    broken = track_plan(s, [], date(2025, 3, 1))  # 29 days on the first, 1 on the second
    assert (broken.status, broken.missed, broken.broken_on) == ("broken", 2, date(2025, 3, 1))
    one_long = track_plan(installments(100, 1, first_due=date(2025, 1, 31)), [], date(2025, 3, 3))
    assert (one_long.status, one_long.broken_on) == ("broken", date(2025, 3, 3))
    assert track_plan(installments(100, 1, first_due=date(2025, 1, 31)), [],
                      date(2025, 3, 2)).status == "late"  # 30 days: not yet broken
    # caught up later: still broken (sticky) unless asked otherwise; paid in full: completed
    pays = [(date(2025, 3, 5), D(200))]
    assert track_plan(s, pays, date(2025, 3, 10)).status == "broken"
    assert track_plan(s, pays, date(2025, 3, 10), sticky=False).status == "on track"
    assert track_plan(s, [(date(2025, 3, 5), D(300))], date(2025, 3, 10)).status == "completed"


def test_track_overpayment_runs_on():
    s = plan()
    st_ = track_plan(s, [(date(2025, 1, 31), D(150))], date(2025, 3, 1))
    assert st_.status == "late" and st_.missed == 1 and st_.next_amount == D(50)


def test_track_needs_dates():
    with pytest.raises(ValueError, match="first due date"):
        track_plan(installments(100, 2), [], date(2025, 1, 1))
    with pytest.raises(ValueError, match="payment must not be negative"):
        track_plan(plan(), [(date(2025, 1, 1), -5)], date(2025, 2, 1))


@settings(max_examples=300, deadline=None)
@given(pays=st.lists(st.tuples(st.integers(0, 120), st.integers(0, 200)), max_size=6),
       as_of=st.integers(0, 150), grace=st.integers(0, 10))
def test_track_invariants(pays, as_of, grace):
    s = plan()
    start = date(2025, 1, 1)
    rec = track_plan(s, [(start + timedelta(d), D(a)) for d, a in pays],
                     start + timedelta(as_of), grace)
    assert rec.status in ("on track", "late", "broken", "completed")
    assert rec.paid_to_date == sum(D(a) for d, a in pays if d <= as_of)
    assert rec.arrears >= 0 and rec.remaining >= 0 and rec.missed >= 0
    if rec.status == "completed":
        assert rec.remaining == 0
    if rec.status == "on track":
        assert rec.missed == 0
