"""The period a close covers: the calendar month ending on the as-of date, unless a start is given."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the as-of date, inclusive

    @property
    def days(self) -> int:
        """Days in the period, both ends counted (November: 30)."""
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        """'2026-11' for a whole calendar month to date; '2026-11-05 to 2026-12-04' otherwise."""
        if self.start.day == 1 and (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"{self.start:%Y-%m}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def opening_date(self) -> date:
        """The day before the period: the opening balance is the book as it stood then."""
        return self.start - timedelta(days=1)

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_ending(as_of: date, start: date | None = None) -> Period:
    """The calendar month ending on ``as_of`` (1 November to 30 November), or ``start`` to ``as_of``."""
    start = start or as_of.replace(day=1)
    if start > as_of:
        raise ValueError(f"the period start {start.isoformat()} is after the as-of date {as_of.isoformat()}")
    return Period(start, as_of)
