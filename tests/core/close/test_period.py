"""The period a close covers."""
from datetime import date

import pytest

from addin.core.close.period import period_ending


def test_the_calendar_month_ending_on_the_as_of_date():
    p = period_ending(date(2026, 11, 30))
    assert (p.start, p.end, p.days, p.label, p.opening_date) == (
        date(2026, 11, 1), date(2026, 11, 30), 30, "2026-11", date(2026, 10, 31))
    assert period_ending(date(2024, 2, 29)).days == 29
    assert period_ending(date(2026, 11, 15)).label == "2026-11"       # month to date


def test_a_given_start_and_its_label():
    p = period_ending(date(2026, 12, 4), date(2026, 11, 5))
    assert p.days == 30 and p.label == "2026-11-05 to 2026-12-04" and date(2026, 11, 20) in p
    with pytest.raises(ValueError, match="after the as-of date"):
        period_ending(date(2026, 11, 1), date(2026, 11, 2))
