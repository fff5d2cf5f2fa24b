"""Payment plans: the installment schedule and tracking a plan against payments (pure).

Schedule rules:

* With interest, the regular installment is the annuity payment of Excel's
  ``PMT(rate/periods_per_year, n, -principal, 0, type)`` (numpy_financial.pmt),
  computed exactly in Decimal and rounded to the currency's minor unit
  (ROUND_HALF_UP). Each period's interest is ``ROUND_HALF_UP(balance ×
  annual_rate / periods_per_year)`` on the balance actually outstanding; the
  principal part is payment − interest. With ``when="begin"`` (annuity due,
  Excel type 1) the first installment is paid at the start, so it carries no
  interest. The last installment is "whatever is left": previous balance +
  its interest, so it absorbs every rounding remainder.
* Without interest the principal is split equally, each share rounded down to
  the minor unit (ROUND_DOWN), and the remainder goes on the last installment
  (``remainder="first"``: on the first one).
* Always: payments sum to principal + total interest exactly and the balance
  ends at exactly 0. A regular payment never exceeds what is still owed (it is
  capped at previous balance + interest), so no balance goes negative even for
  tiny plans where rounding up would over-pay.

Due dates step from the anchor ``first_due``: monthly and quarterly by
``first_due + relativedelta(months=k)`` (31 Jan → 28 Feb → 31 Mar, like Excel's
EDATE), weekly and fortnightly by whole weeks. ``first_due=None`` gives due
dates of None: the core never reads the clock.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from .money import minor_digits, quantize, quantum, to_decimal

SCHEDULE_HEADER = ("No.", "Due date", "Payment", "Interest", "Principal", "Balance")

# frequency -> (periods per year, step kind, step size)
FREQUENCIES: dict[str, tuple[int, str, int]] = {
    "weekly": (52, "weeks", 1),
    "fortnightly": (26, "weeks", 2),
    "monthly": (12, "months", 1),
    "quarterly": (4, "months", 3),
}
_FREQUENCY_SYNONYMS = {
    "week": "weekly", "w": "weekly",
    "biweekly": "fortnightly", "fortnight": "fortnightly", "2 weeks": "fortnightly",
    "every 2 weeks": "fortnightly",
    "month": "monthly", "m": "monthly",
    "quarter": "quarterly", "q": "quarterly",
}
_PRECISION = 50


class Installment(NamedTuple):
    """One row of a schedule. ``balance`` is what is still owed after this payment."""

    number: int
    due_date: date | None
    payment: Decimal
    interest: Decimal
    principal: Decimal
    balance: Decimal


# ---------------------------------------------------------------- validation

def _whole_number(value, what: str, minimum: int = 1) -> int:
    bad = f"{what} must be a whole number"
    if minimum == 1:
        bad += " above 0"
    else:
        bad += f" of at least {minimum}"
    if isinstance(value, bool):
        raise ValueError(f"{bad}, got {value!r}")
    try:
        d = to_decimal(value.strip() if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise ValueError(f"{bad}, got {value!r}") from None
    if not d.is_finite() or d != d.to_integral_value() or d < minimum:
        shown = value if not isinstance(value, (Decimal, float)) else d.normalize()
        raise ValueError(f"{bad}, got {shown}")
    return int(d)


def _amount(value, what: str, *, allow_zero: bool = False) -> Decimal:
    try:
        d = to_decimal(value.strip().replace(",", "") if isinstance(value, str) else value)
    except (ValueError, TypeError):
        raise ValueError(f"{what} must be an amount, got {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"{what} must be an amount, got {value!r}")
    if d < 0 or (d == 0 and not allow_zero):
        raise ValueError(f"{what} must be above 0, got {d}" if not allow_zero
                         else f"{what} must not be negative, got {d}")
    return d


def annual_rate_value(value) -> Decimal:
    """The annual rate as a fraction (0.08 = 8 %); None or blank is 0. "8%" text is accepted."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0)
    if isinstance(value, str) and value.strip().endswith("%"):
        rate = _amount(value.strip()[:-1], "the annual rate", allow_zero=True) / 100
    else:
        rate = _amount(value, "the annual rate", allow_zero=True)
    if rate > 10:
        raise ValueError(f"the annual rate is a fraction (8% = 0.08), got {rate}: "
                         "that would be over 1000% a year")
    return rate


def frequency_value(frequency) -> str:
    """Normalise a frequency name: weekly, fortnightly, monthly or quarterly."""
    key = str(frequency or "monthly").strip().lower()
    key = _FREQUENCY_SYNONYMS.get(key, key)
    if key not in FREQUENCIES:
        raise ValueError(f"frequency must be weekly, fortnightly, monthly or quarterly, "
                         f"got {frequency!r}")
    return key


def when_value(when) -> int:
    """0 for payments at the end of each period ("end", Excel type 0), 1 for the start ("begin")."""
    key = str(when if when is not None else "end").strip().lower()
    if key in ("end", "0", "0.0", "arrears"):
        return 0
    if key in ("begin", "start", "1", "1.0", "advance"):
        return 1
    raise ValueError(f"when must be \"end\" or \"begin\", got {when!r}")


def _date_or_none(value, what: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raise ValueError(f"{what} must be a date, got {value!r}")


# ---------------------------------------------------------------- schedule

def periods_per_year(frequency: str) -> int:
    return FREQUENCIES[frequency_value(frequency)][0]


def due_dates(first_due: date | None, n: int, frequency: str = "monthly") -> list[date | None]:
    """The n due dates from the anchor: months by relativedelta from first_due, weeks by timedelta."""
    first = _date_or_none(first_due, "the first due date")
    if first is None:
        return [None] * n
    _, kind, step = FREQUENCIES[frequency_value(frequency)]
    if kind == "months":
        return [first + relativedelta(months=k * step) for k in range(n)]
    return [first + timedelta(weeks=k * step) for k in range(n)]


def pmt_exact(principal, n: int, periodic_rate, when: int = 0) -> Decimal:
    """The unrounded annuity payment (positive), as Excel PMT / numpy_financial.pmt, in Decimal."""
    principal = to_decimal(principal)
    r = to_decimal(periodic_rate)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        if r == 0:
            return principal / n
        growth = (1 + r) ** n
        return principal * r * growth / ((1 + r * when) * (growth - 1))


def regular_payment(principal, n: int, annual_rate=0, frequency: str = "monthly",
                    when="end", currency: str = "") -> Decimal:
    """The regular installment: PMT rounded half-up, or the equal share rounded down."""
    rate = annual_rate_value(annual_rate)
    ppy = periods_per_year(frequency)
    if rate == 0:
        return (to_decimal(principal) / n).quantize(quantum(currency), rounding=ROUND_DOWN)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        periodic = rate / ppy
    return quantize(pmt_exact(principal, n, periodic, when_value(when)), currency, ROUND_HALF_UP)


def installments(principal, n, annual_rate=0, first_due: date | None = None,
                 frequency: str = "monthly", when: str = "end", currency: str = "",
                 remainder: str = "last") -> list[Installment]:
    """The installment schedule of a plan: see the module docstring for the rules.

    principal: amount owed (> 0); n: number of installments (whole, > 0);
    annual_rate: fraction (0.08 = 8 %); first_due: date of installment 1 or None;
    frequency: weekly | fortnightly | monthly | quarterly; when: "end" (Excel type 0)
    or "begin" (type 1); currency: ISO code, sets the minor unit (JPY 0 digits);
    remainder: "last" or "first" (first only without interest).
    """
    principal = quantize(_amount(principal, "the principal"), currency)
    if principal <= 0:
        raise ValueError("the principal must be above 0 after rounding to the minor unit")
    n = _whole_number(n, "number of installments")
    if n > 10_000:
        raise ValueError(f"number of installments must be 10000 or fewer, got {n}")
    rate = annual_rate_value(annual_rate)
    freq = frequency_value(frequency)
    typ = when_value(when)
    remainder = str(remainder or "last").strip().lower()
    if remainder not in ("last", "first"):
        raise ValueError(f"remainder must be \"last\" or \"first\", got {remainder!r}")
    if remainder == "first" and rate != 0:
        raise ValueError("the remainder can go on the first installment only for a plan "
                         "without interest; with interest the last installment absorbs it")
    ppy = FREQUENCIES[freq][0]
    dates = due_dates(first_due, n, freq)
    regular = regular_payment(principal, n, rate, freq, typ, currency)
    q = quantum(currency)

    rows: list[Installment] = []
    balance = principal
    for k in range(1, n + 1):
        if rate == 0 or (typ == 1 and k == 1):
            interest = Decimal(0).quantize(q)
        else:
            interest = (balance * rate / ppy).quantize(q, rounding=ROUND_HALF_UP)
        if k == n:
            payment = balance + interest
        elif rate == 0 and remainder == "first" and k == 1:
            payment = principal - regular * (n - 1)
        else:
            payment = min(regular, balance + interest)
        part = payment - interest
        balance = balance - part
        rows.append(Installment(k, dates[k - 1], payment, interest, part, balance))
    return rows


def schedule_totals(schedule: Sequence[Installment]) -> tuple[Decimal, Decimal, Decimal]:
    """(total paid, total interest, total principal) of a schedule."""
    pay = sum((r.payment for r in schedule), Decimal(0))
    inte = sum((r.interest for r in schedule), Decimal(0))
    prin = sum((r.principal for r in schedule), Decimal(0))
    return pay, inte, prin


# ---------------------------------------------------------------- tracking

STATUSES = ("on track", "late", "broken", "completed")


@dataclass(frozen=True)
class PlanStatus:
    """Where a plan stands on the as-of date (see :func:`track_plan` for the rules)."""

    as_of: date
    status: str  # "on track" | "late" | "broken" | "completed"
    next_due_date: date | None  # oldest installment not yet fully paid (may be in the past)
    next_amount: Decimal  # what is still unpaid of that installment
    paid_to_date: Decimal  # payments dated on or before as_of
    due_to_date: Decimal  # installments due on or before as_of
    arrears: Decimal  # due_to_date - paid_to_date, never below 0
    remaining: Decimal  # total of the schedule - paid_to_date, never below 0
    missed: int  # installments unpaid more than grace_days after their due date
    days_late: int  # days past due of the oldest unpaid installment (0 if none past due)
    broken_on: date | None  # first day the plan met the broken rule (None if never)


def track_plan(schedule: Sequence[Installment], payments: Iterable[tuple[date, object]],
               as_of: date, grace_days: int = 0, *, broken_after_missed: int = 2,
               broken_after_days: int = 30, sticky: bool = True) -> PlanStatus:
    """Track a plan's schedule against the payments received, on ``as_of``.

    Payments dated after ``as_of`` are ignored. Payments are applied to the
    installments oldest first (an overpayment runs on to the next one), so an
    installment is *paid* on the day the cumulative payments reach the
    cumulative schedule through it.

    Rules, for the installments due on or before ``as_of``:

    * an installment is **overdue** when it is not fully paid after its due date;
      it is **missed** when it is still unpaid more than ``grace_days`` days
      after its due date;
    * **completed**: everything in the schedule is paid (this wins over all else);
    * **broken**: ``broken_after_missed`` (2) or more installments missed at the
      same time, or one missed installment more than ``broken_after_days`` (30)
      days past its due date. With ``sticky=True`` (default) a plan that was
      broken on any day up to ``as_of`` stays broken even if the customer has
      since caught up (``broken_on`` says when): a broken agreement is
      renegotiated, not silently revived;
    * **late**: an installment is overdue (within grace, or missed but not yet
      broken);
    * **on track**: otherwise.
    """
    if not schedule:
        raise ValueError("the plan has no installments")
    if any(r.due_date is None for r in schedule):
        raise ValueError("the plan has no due dates: give a first due date to track it")
    as_of = _date_or_none(as_of, "the as-of date")
    if as_of is None:
        raise ValueError("the as-of date is required")
    grace_days = _whole_number(grace_days, "grace days", minimum=0)
    rows = sorted(schedule, key=lambda r: (r.due_date, r.number))

    pays: list[tuple[date, Decimal]] = []
    for item in payments:
        try:
            when, amount = item
        except (TypeError, ValueError):
            raise ValueError(f"a payment must be (date, amount), got {item!r}") from None
        when = _date_or_none(when, "a payment date")
        amount = _amount(amount, "a payment", allow_zero=True)
        if when <= as_of:
            pays.append((when, amount))
    pays.sort(key=lambda p: p[0])

    # cumulative schedule and the day each installment became fully paid
    cum_due: list[Decimal] = []
    running = Decimal(0)
    for r in rows:
        running += r.payment
        cum_due.append(running)
    total = running
    paid_on: list[date | None] = [None] * len(rows)
    cum_paid = Decimal(0)
    i = 0
    while i < len(rows) and cum_due[i] <= 0:  # nothing to pay: paid from the start
        paid_on[i] = date.min
        i += 1
    for when, amount in pays:
        cum_paid += amount
        while i < len(rows) and cum_paid >= cum_due[i]:
            paid_on[i] = when
            i += 1
    paid_to_date = cum_paid

    def unpaid_at(k: int, day: date) -> bool:
        return paid_on[k] is None or paid_on[k] > day

    def broken_at(day: date) -> bool:
        missed_now = 0
        for k, r in enumerate(rows):
            if r.due_date >= day:
                break
            if unpaid_at(k, day) and (day - r.due_date).days > grace_days:
                missed_now += 1
                if (day - r.due_date).days > broken_after_days:
                    return True
        return missed_now >= broken_after_missed

    # the broken rule can only switch on on these days
    candidates = sorted({d for r in rows
                         for d in (r.due_date + timedelta(days=grace_days + 1),
                                   r.due_date + timedelta(days=max(grace_days, broken_after_days) + 1))
                         if d <= as_of})
    broken_on = next((d for d in candidates if broken_at(d)), None)

    due_to_date = sum((r.payment for r in rows if r.due_date <= as_of), Decimal(0))
    missed = sum(1 for k, r in enumerate(rows)
                 if unpaid_at(k, as_of) and (as_of - r.due_date).days > grace_days)
    overdue = [k for k, r in enumerate(rows) if unpaid_at(k, as_of) and r.due_date < as_of]
    first_unpaid = next((k for k in range(len(rows)) if unpaid_at(k, as_of)), None)
    if first_unpaid is None:
        next_due, next_amount = None, Decimal(0)
    else:
        next_due = rows[first_unpaid].due_date
        next_amount = min(rows[first_unpaid].payment, cum_due[first_unpaid] - paid_to_date)
    days_late = (as_of - rows[overdue[0]].due_date).days if overdue else 0

    if paid_to_date >= total:
        state = "completed"
    elif broken_at(as_of) or (sticky and broken_on is not None):
        state = "broken"
    elif overdue:
        state = "late"
    else:
        state = "on track"
    zero = Decimal(0)
    return PlanStatus(
        as_of=as_of, status=state, next_due_date=next_due, next_amount=next_amount,
        paid_to_date=paid_to_date, due_to_date=due_to_date,
        arrears=max(due_to_date - paid_to_date, zero),
        remaining=max(total - paid_to_date, zero), missed=missed, days_late=days_late,
        broken_on=broken_on,
    )


def minor_unit_digits(currency: str) -> int:
    """Number of decimals of the currency's minor unit (for formulas and display)."""
    return minor_digits(currency)
