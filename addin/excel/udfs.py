"""Excel cell functions (classic xlwings UDFs, BSD): convert at the edge, call, return.

Excel hands over floats, date serials or datetimes, text and blanks (None);
each function converts them here (floats -> Decimal via repr, serials and
datetimes and ISO text -> date, a blank as-of date -> today: allowed here, at
the edge, never in the core), calls the Python function and returns plain
values. A bad argument returns a readable "#ARCOLLECT: ..." string in the cell,
never a traceback.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import xlwings as xw

from ..core.buckets import DEFAULT_EDGES, bucket_label, days_past_due
from ..core.model import quote
from ..core.parse import parse_date, parse_decimal
from ..core.plans import SCHEDULE_HEADER
from ..finance import installments, late_interest

ERROR_PREFIX = "#ARCOLLECT: "


def _error(exc: Exception) -> str:
    if isinstance(exc, (ValueError, TypeError, ArithmeticError)):
        return ERROR_PREFIX + str(exc)
    return ERROR_PREFIX + f"unexpected problem ({type(exc).__name__}: {exc})"


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def to_date(value, what: str) -> date:
    """A date from an Excel date serial, a datetime/date, or text (2026-03-31, 31/03/2026)."""
    try:
        return parse_date(value)
    except ValueError:
        shown = f"the number {value}" if isinstance(value, (int, float)) and not isinstance(value, bool) else quote(value)
        raise ValueError(f"{what} must be a date, got {shown}") from None


def _as_of(value, what: str = "the as-of date") -> date:
    return date.today() if _blank(value) else to_date(value, what)


def to_amount(value, what: str) -> Decimal:
    """A number from a cell (a float via its repr) or text as typed ("1,234.50", "(120.00)")."""
    if _blank(value):
        raise ValueError(f"{what} must be a number, got a blank")
    try:
        return parse_decimal(value)
    except ValueError:
        raise ValueError(f"{what} must be a number, got {quote(value)}") from None


def _edges(value) -> tuple[int, ...]:
    if _blank(value):
        return DEFAULT_EDGES
    if isinstance(value, str):
        items = [v for v in value.replace(";", ",").split(",") if v.strip()]
    elif isinstance(value, (list, tuple)):
        items = [v for row in value for v in (row if isinstance(row, (list, tuple)) else [row])
                 if not _blank(v)]
    else:
        items = [value]
    out = []
    for v in items:
        d = to_amount(v, "a bucket edge")
        if d != d.to_integral_value():
            raise ValueError(f"bucket edges must be whole numbers of days, got {v}")
        out.append(int(d))
    return tuple(out)


@xw.func
@xw.arg("due", doc="Due date of the item (a date, or ISO text 2026-03-31)")
@xw.arg("as_of", doc="Date to count to; blank = today")
def AR_DAYSPASTDUE(due, as_of=None):
    """Days past due of an item: as-of date minus due date (negative when not yet due)."""
    try:
        return days_past_due(to_date(due, "the due date"), _as_of(as_of))
    except Exception as exc:  # noqa: BLE001 - a cell shows a message, never a traceback
        return _error(exc)


@xw.func
@xw.arg("due", doc="Due date of the item")
@xw.arg("as_of", doc="Date to age to; blank = today")
@xw.arg("edges", doc="Bucket upper edges in days, a range or text like 0,30,60,90; blank = 0,30,60,90")
def AR_BUCKET(due, as_of=None, edges=None):
    """Aging bucket of an item: the first bucket whose upper edge is at least its days past due."""
    try:
        days = days_past_due(to_date(due, "the due date"), _as_of(as_of))
        return bucket_label(days, _edges(edges))
    except Exception as exc:  # noqa: BLE001
        return _error(exc)


@xw.func
@xw.arg("principal", doc="Amount to spread over the plan")
@xw.arg("n", doc="Number of installments")
@xw.arg("annual_rate", doc="Annual interest rate, e.g. 8%; blank = no interest (equal split)")
@xw.arg("first_due", doc="Due date of the first installment; blank = no dates")
@xw.arg("frequency", doc="weekly, fortnightly, monthly (default) or quarterly")
def AR_INSTALLMENTS(principal, n, annual_rate=None, first_due=None, frequency=None):
    """Installment schedule (spills): number, due date, payment, interest, principal, balance.

    With interest the payment is Excel's PMT rounded to the cent; the last
    installment absorbs the rounding, so the payments add up exactly.
    """
    try:
        p = to_amount(principal, "the principal")
        count = to_amount(n, "the number of installments")
        if count != count.to_integral_value() or count < 1:
            raise ValueError(f"number of installments must be a whole number above 0, "
                             f"got {count.normalize():f}")
        rate = 0 if _blank(annual_rate) else to_amount(annual_rate, "the annual rate")
        first = None if _blank(first_due) else to_date(first_due, "the first due date")
        freq = "monthly" if _blank(frequency) else str(frequency)
        rows = installments(p, int(count), rate, first, freq)
        out = [list(SCHEDULE_HEADER)]
        for r in rows:
            out.append([r.number, r.due_date if r.due_date else "", float(r.payment),
                        float(r.interest), float(r.principal), float(r.balance)])
        return out
    except Exception as exc:  # noqa: BLE001
        return _error(exc)


_PARTS = ("interest", "compensation", "total", "rate", "days", "explanation")


@xw.func
@xw.arg("amount", doc="Amount overdue")
@xw.arg("due", doc="Due date")
@xw.arg("paid", doc="Date paid; blank = today (still unpaid)")
@xw.arg("rule", doc="simple (default), uk-1998 (8% over Bank Rate, UK Late Payment Act) or eu-2011-7 (ECB rate + 8)")
@xw.arg("rate", doc="Annual rate for the simple rule, e.g. 8%; for the statutory rules overrides the reference rate")
@xw.arg("part", doc="What to return: interest (default), compensation, total, rate, days or explanation")
def AR_LATEINTEREST(amount, due, paid=None, rule=None, rate=None, part=None):
    """Late-payment interest on an amount, by a simple rate or the UK / EU statutory rules."""
    try:
        what = "interest" if _blank(part) else str(part).strip().lower()
        if what not in _PARTS:
            raise ValueError(f"part must be one of {', '.join(_PARTS)}, got {part!r}")
        r = late_interest(to_amount(amount, "the amount"), to_date(due, "the due date"),
                          _as_of(paid, "the payment date"),
                          "simple" if _blank(rule) else str(rule).strip(),
                          None if _blank(rate) else to_amount(rate, "the rate"))
        value = getattr(r, what)
        return value if isinstance(value, (str, int)) else float(value)
    except Exception as exc:  # noqa: BLE001
        return _error(exc)
