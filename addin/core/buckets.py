"""Days past due and aging-bucket labels (pure).

An item goes in the first bucket whose upper edge is >= its age; with the
default edges (0, 30, 60, 90) the buckets are "Current" (not yet due, age <= 0),
"1-30", "31-60", "61-90" and "91+". The aging engine reuses these labels.
"""
from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime

DEFAULT_EDGES: tuple[int, ...] = (0, 30, 60, 90)


def as_date(value, what: str) -> date:
    """A date from a date or datetime; ValueError naming `what` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{what} must be a date, got {value!r}")


def days_past_due(due: date, as_of: date) -> int:
    """Whole days from the due date to the as-of date (negative = not yet due)."""
    return (as_date(as_of, "the as-of date") - as_date(due, "the due date")).days


def check_edges(edges: Sequence[int]) -> tuple[int, ...]:
    """The edges as a tuple of whole numbers, strictly increasing, the first >= 0."""
    out = []
    for e in edges:
        if isinstance(e, bool) or int(e) != e:
            raise ValueError(f"bucket edges must be whole numbers of days, got {e!r}")
        out.append(int(e))
    if not out:
        raise ValueError("give at least one bucket edge, e.g. 0, 30, 60, 90")
    if out[0] < 0:
        raise ValueError(f"the first bucket edge must be 0 or more, got {out[0]}")
    if any(b <= a for a, b in zip(out, out[1:])):
        raise ValueError(f"bucket edges must increase, got {', '.join(map(str, out))}")
    return tuple(out)


def bucket_labels(edges: Sequence[int] = DEFAULT_EDGES) -> list[str]:
    """Labels of the buckets, oldest last: (0,30,60,90) -> Current, 1-30, 31-60, 61-90, 91+.

    The first bucket is "Current" when the first edge is 0, else "Up to N".
    """
    e = check_edges(edges)
    labels = ["Current" if e[0] == 0 else f"Up to {e[0]}"]
    labels += [f"{lo + 1}-{hi}" for lo, hi in zip(e, e[1:])]
    labels.append(f"{e[-1] + 1}+")
    return labels


def oldest_share_label(labels: Sequence[str]) -> str:
    """The KPI of the oldest bucket's share, named by its edge: '91+' -> '% over 90 days'."""
    oldest = labels[-1]
    return f"% over {int(oldest[:-1]) - 1} days" if oldest.endswith("+") and oldest[:-1].isdigit() \
        else f"% in {oldest}"


def bucket_index(days: int, edges: Sequence[int] = DEFAULT_EDGES) -> int:
    """Index of the first bucket whose upper edge is >= days (len(edges) = the last, open bucket)."""
    if isinstance(days, bool) or int(days) != days:
        raise ValueError(f"days past due must be a whole number, got {days!r}")
    return bisect_left(check_edges(edges), int(days))


def bucket_label(days: int, edges: Sequence[int] = DEFAULT_EDGES) -> str:
    """Label of the bucket for an age in days: 0 -> "Current", 30 -> "1-30", 31 -> "31-60", 91 -> "91+"."""
    return bucket_labels(edges)[bucket_index(days, edges)]
