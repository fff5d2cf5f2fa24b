"""The Plans sheet: each plan's schedule, tracked against the payments logged in History.

A plan row gives customer, principal, annual rate, installments, frequency and
first due date. Payments are the History rows with action "paid" for that
customer (Amount Due = the amount received). The result feeds three places:
the status columns beside each plan, the Plan Schedule sheet, and the dunning
decision (a broken plan puts the customer back on the ladder).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..core.model import Problem
from ..core.money import from_minor, to_decimal
from ..core.plans import PlanStatus, installments, track_plan
from .formulas import schedule_formulas
from .reader import Book
from .receivables import customer_keys
from .values import one_date, text_column
from .xlsx_xml import Column, Formula

STATUS_HEADERS = ("Next Due", "Next Amount", "Paid to Date", "Missed", "Plan Status")
SCHEDULE = [Column("Plan Row", 9, "int"), Column("Customer", 28), Column("No.", 6, "int"),
            Column("Due Date", 12, "date"), Column("Payment", 14, "money"), Column("Interest", 14, "money"),
            Column("Principal", 14, "money"), Column("Balance", 14, "money")]


@dataclass
class PlanReview:
    statuses: dict[str, str] = field(default_factory=dict)  # customer key -> plan status
    rows: list[int] = field(default_factory=list)  # Plans sheet rows tracked
    values: list[list] = field(default_factory=lambda: [[] for _ in STATUS_HEADERS])
    schedule: list[list] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sheet: str = "Plans"


def _payments(history: pd.DataFrame, key: str, currency: str):
    """The customer's payments logged in History in the plan's currency (a ¥ payment never pays a £ plan)."""
    paid = history.loc[(history["customer_key"] == key) & (history["action"] == "paid")
                       & (history["currency"] == currency)]
    return [(d.date(), from_minor(int(m), currency)) for d, m in zip(paid["date"], paid["amount_minor"])]


def review_plans(book: Book, as_of: date, formulas: bool = False) -> PlanReview:
    """Schedule and status for every plan row; a bad row names its cell and is skipped."""
    review = PlanReview()
    for values, cells, row in book.plans:
        status = str(values.get("status") or "").strip().lower()
        if status in ("closed", "cancelled", "canceled"):
            continue
        currency = str(values.get("currency") or book.settings.currency).strip().upper()
        name, cid = text_column([values.get("customer", "")])[0], text_column([values.get("customer_id", "")])[0]
        key = customer_keys(np.array([cid], dtype=object), np.array([name], dtype=object))[0]
        try:
            field_name = "first_due"
            first_due = one_date(values.get("first_due"))
            field_name = "principal"
            schedule = installments(to_decimal(values.get("principal")), values.get("n"),
                                    to_decimal(values.get("rate") or 0), first_due,
                                    str(values.get("frequency") or "monthly").strip().lower(), currency=currency)
            field_name = "first_due"
            tracked: PlanStatus = track_plan(schedule, _payments(book.history, key, currency), as_of)
        except (ValueError, TypeError, ArithmeticError) as exc:
            review.problems.append(Problem(cells.get(field_name, f"Plans!A{row}"), f"payment plan: {exc}"))
            continue
        review.sheet = cells["principal"].split("!")[0]
        review.statuses[key] = tracked.status
        review.rows.append(row)
        for col, v in zip(review.values, (tracked.next_due_date, tracked.next_amount, tracked.paid_to_date,
                                          tracked.missed, tracked.status)):
            col.append(v)
        start = len(review.schedule) + 2
        if formulas:
            ref = {f: "$" + cells[f].split("!")[1].rstrip("0123456789") + "$" + str(row) for f in cells}
            sheet = "'" + review.sheet.replace("'", "''") + "'!"
            live = schedule_formulas(sheet + ref["principal"], sheet + ref["rate"], sheet + ref["n"],
                                     sheet + ref["first_due"], values.get("frequency") or "monthly",
                                     len(schedule), start, currency=currency, first_column="C")
            review.schedule += [[row, name, *(Formula(v) if isinstance(v, str) and v.startswith("=") else v
                                              for v in r)] for r in live]
        else:
            review.schedule += [[row, name, *r] for r in schedule]
    return review
