"""Plan: a payment plan for one customer added to the Plans sheet, and the agreement logged to History.

The clerk agrees a plan on the phone and clicks "Payment plan" on the
customer's row: the plan is the customer's open balance in that currency,
split into equal monthly installments from a month after today, interest-free.
The row is the clerk's to edit (rate, installments, first due date); the next
refresh schedules and tracks it, and holds the customer while it is kept.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from dateutil.relativedelta import relativedelta

from ..core.aging import open_balances
from ..core.model import HistoryEntry
from ..core.money import from_minor
from ..workbook.history import append_history, stamp
from ..workbook.template import PLAN_COLUMNS, column_format
from ..workbook.package import Column
from .errors import UsageError
from .log import customer_currencies, find_customer
from .session import workbook


@dataclass(frozen=True)
class PlanAdded:
    customer: str
    currency: str
    principal: object          # Decimal, in the currency's minor unit
    installments: int
    first_due: date
    sheet_row: int


def add_plan(path, customer: str, *, today: date, now: datetime, installments: int = 3, currency: str = "",
             user: str = "") -> PlanAdded:
    """Append a plan of ``installments`` monthly payments of the customer's open balance to Plans."""
    if installments < 1:
        raise UsageError(f"a payment plan needs at least one installment, not {installments}")
    port = workbook(path)
    with port.writing() as pkg:
        book = port.read()
        key, name = find_customer(book, customer)
        owed = customer_currencies(book, key)
        if currency and currency.strip().upper() not in owed:
            raise UsageError(f"{name} has nothing open in {currency}; their currencies: {', '.join(owed)}")
        if not currency and len(owed) > 1:
            raise UsageError(f"{name} owes in {', '.join(owed)}: say which currency the plan is in")
        currency = (currency or owed[0]).strip().upper()
        items = open_balances(book.items, book.settings.as_of or today)
        mine = items.loc[(items["customer_key"] == key) & (items["currency"] == currency)]
        principal = from_minor(int(mine["balance_minor"].sum()), currency)
        if principal <= 0:
            raise UsageError(f"{name} owes nothing in {currency}: there is nothing to put on a plan")
        first_due = today + relativedelta(months=1)
        cid = str(mine["customer_id"].iloc[0]) if len(mine) else key
        row = pkg.append_rows("Plans", [Column(h, 16, column_format(h)) for h in PLAN_COLUMNS],
                              [[cid, name, principal, 0, installments, "monthly", first_due, currency, "active"]])
        entry = HistoryEntry(timestamp=stamp(now), run_id="manual", customer_id=key, customer=name,
                             currency=currency, channel="phone", action="plan",
                             outcome=f"payment plan: {installments} monthly installments of {principal} {currency} "
                                     f"in total, from {first_due.isoformat()}",
                             amount_due=principal, user=user or book.settings.user)
        append_history(pkg, [entry])
        pkg.save()
    return PlanAdded(name, currency, principal, installments, first_due, row)
