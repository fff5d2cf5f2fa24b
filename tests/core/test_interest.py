"""Late interest (addin.core.interest), on the shipped rate tables (tests/refdata tests the tables).

Sources:
* GOV.UK, "Late commercial payments: charging interest and debt recovery":
  statutory interest is 8 % plus the Bank of England base rate; the worked
  example — owed £1,000, base rate 0.5 %, so 8.5 % a year: £85 a year, 23p a day
  (85 / 365 = 0.2329); the fixed sums £40 (up to £999.99), £70 (£1,000 to
  £9,999.99), £100 (£10,000 or more).
* Late Payment of Commercial Debts (Rate of Interest) (No. 3) Order 2002 (SI
  2002/1675): the reference rate is the official dealing rate in force on 31
  December (interest starting January–June) or 30 June (July–December),
  fixed for the debt's life.
* Directive 2011/7/EU, art. 2(7)-(8) and 6: ECB main refinancing rate on
  1 January / 1 July of the half-year + 8 points; €40 compensation.
* Bank of England "Official Bank Rate history"; ECB "Key ECB interest rates".
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from addin.core.interest import half_years, late_interest, reference_date, uk_compensation, uk_reference_date
from addin.refdata import boe_bank_rate, ecb_mro_rate

D = Decimal
BOE = boe_bank_rate().rows
ECB = ecb_mro_rate().rows


def test_govuk_worked_example_daily_interest():
    """£1,000 at base 0.5 %: 8.5 % a year = £85, 23p a day (GOV.UK)."""
    one_day = late_interest(1000, date(2015, 3, 1), date(2015, 3, 2), "uk-1998",
                            reference_rates=BOE)
    assert one_day.rate == D("0.085")
    assert one_day.interest == D("0.23")
    year = late_interest(1000, date(2015, 3, 1), date(2016, 2, 29), "uk-1998",
                         reference_rates=BOE)
    assert year.days == 365 and year.interest == D("85.00")
    assert year.compensation == D("70.00") and year.total == D("155.00")


def test_uk_rate_fixed_by_half_year_of_start():
    """Interest starting 1 Feb 2024 uses Bank Rate on 31 Dec 2023 (5.25 %) for the whole debt."""
    r = late_interest(1000, date(2024, 1, 31), date(2024, 12, 31), "uk-1998",
                      reference_rates=BOE)
    assert r.rate == D("0.1325") and len(r.periods) == 1
    assert r.interest == (D(1000) * D("0.1325") * 335 / 365).quantize(D("0.01"))
    assert "31 December 2023" in r.explanation and "13.25%" in r.explanation
    # due 30 June 2025 -> interest starts 1 July 2025 -> Bank Rate on 30 June 2025 (4.25 %)
    assert late_interest(1000, date(2025, 6, 30), date(2025, 7, 30), "uk-1998",
                         reference_rates=BOE).rate == D("0.1225")
    # due 29 June 2025 -> starts 30 June -> Bank Rate on 31 Dec 2024 (4.75 %)
    assert late_interest(1000, date(2025, 6, 29), date(2025, 7, 30), "uk-1998",
                         reference_rates=BOE).rate == D("0.1275")
    assert uk_reference_date(date(2026, 1, 1)) == date(2025, 12, 31)
    assert uk_reference_date(date(2026, 7, 1)) == date(2026, 6, 30)


def test_uk_compensation_bands():
    assert [uk_compensation(D(x)) for x in ("999.99", "1000", "9999.99", "10000")] == [40, 70, 70, 100]


def test_eu_half_year_split():
    """Due 15 May 2024, paid 10 Feb 2025: 46 days at 4.50+8, 184 at 4.25+8, 41 at 3.15+8 (ECB MRO)."""
    r = late_interest(1000, date(2024, 5, 15), date(2025, 2, 10), "eu-2011-7",
                      reference_rates=ECB)
    assert [(p.days, p.rate) for p in r.periods] == [
        (46, D("0.125")), (184, D("0.1225")), (41, D("0.1115"))]
    expected = (D(1000) * (D("0.125") * 46 + D("0.1225") * 184 + D("0.1115") * 41) / 365)
    assert r.interest == expected.quantize(D("0.01")) == D("90.03")
    assert r.days == 271 and r.compensation == D("40.00") and r.currency == "EUR"
    assert "2024-07-01 to 2024-12-31: 184 days at 12.25%" in r.explanation


def test_simple_rule_and_not_late():
    r = late_interest(D("2500.00"), date(2025, 1, 1), date(2025, 3, 2), "simple", D("0.10"))
    assert r.days == 60 and r.interest == D("41.10") and r.compensation == 0
    assert late_interest(1000, date(2025, 1, 10), date(2025, 1, 10), "simple", 0.08).interest == 0
    early = late_interest(1000, date(2025, 1, 10), date(2025, 1, 5), "uk-1998",
                          reference_rates=BOE)
    assert early.days == 0 and early.total == 0 and "on time" in early.explanation


def test_rate_override_for_statutory_rules():
    r = late_interest(1000, date(2024, 1, 31), date(2024, 3, 21), "uk-1998", rate=D("0.05"))
    assert r.rate == D("0.13") and "reference rate given" in r.explanation


@pytest.mark.parametrize("kwargs, message", [
    (dict(rule="simple"), "needs an annual rate"),
    (dict(rule="french"), "simple, uk-1998 or eu-2011-7"),
    (dict(rule="uk-1998"), "reference rate table"),
    (dict(rule="simple", rate=-0.1), "0 or more"),
])
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        late_interest(100, date(2025, 1, 1), date(2025, 2, 1), **kwargs)


def test_date_before_table():
    with pytest.raises(ValueError, match="no Bank of England Bank Rate is known on 2008-12-31"):
        late_interest(100, date(2009, 1, 1), date(2009, 2, 1), "uk-1998",
                      reference_rates=BOE)


def test_eu_2026_second_half_uses_the_june_2026_rate():
    """Due 30 Jun 2026, paid 31 Jul 2026: interest runs from 1 July at the ECB rate on 1 July 2026 (2.40 + 8)."""
    r = late_interest(1000, date(2026, 6, 30), date(2026, 7, 31), "eu-2011-7", reference_rates=ECB)
    assert [(p.start, p.days, p.rate) for p in r.periods] == [(date(2026, 7, 1), 31, D("0.104"))]
    early = late_interest(1000, date(2026, 5, 31), date(2026, 6, 30), "eu-2011-7", reference_rates=ECB)
    assert early.rate == D("0.1015")  # 1 January 2026: 2.15 + 8


def test_reference_date_per_rule():
    assert reference_date("uk-1998", date(2026, 3, 9)) == date(2025, 12, 31)
    assert reference_date("uk", date(2026, 7, 1)) == date(2026, 6, 30)
    assert reference_date("eu-2011-7", date(2026, 6, 30)) == date(2026, 1, 1)
    assert reference_date("eu-2011-7", date(2026, 12, 31)) == date(2026, 7, 1)
    assert reference_date("simple", date(2026, 7, 1)) is None


@settings(max_examples=300, deadline=None)
@given(start=st.dates(date(2015, 1, 1), date(2026, 12, 31)), days=st.integers(1, 1200))
def test_half_years_partition(start, days):
    from datetime import timedelta

    end = start + timedelta(days=days - 1)
    parts = half_years(start, end)
    assert parts[0][0] == start and parts[-1][1] == end
    assert sum((b - a).days + 1 for a, b in parts) == days
    assert all((b.month, b.day) in ((6, 30), (12, 31)) for _, b in parts[:-1])
