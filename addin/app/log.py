"""Log: one call, promise, dispute, payment or note appended to History."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ..core.model import HistoryEntry
from ..core.money import quantize
from ..workbook.history import append_history, stamp
from ..workbook.reader import Book, read_book
from .errors import UsageError
from .session import writing

OUTCOMES = {  # --outcome: (History action, what the clerk heard)
    "no-answer": ("called", "no answer"), "called": ("called", "spoke to customer"),
    "promise": ("promise", "promise to pay"), "dispute": ("dispute", "dispute"), "paid": ("paid", "paid"),
    "plan": ("plan", "asked for a payment plan"), "note": ("note", ""), "cease": ("cease", "asked not to be contacted"),
}


def find_customer(book: Book, text: str) -> tuple[str, str]:
    """(customer key, name) for an id or a name, case-insensitively; ValueError if none or several."""
    wanted = " ".join(text.casefold().split())
    names = pd.concat([book.items[["customer_key", "customer", "customer_id"]],
                       book.customers.assign(customer_id=book.customers["customer_key"])[
                           ["customer_key", "customer", "customer_id"]]]).drop_duplicates("customer_key")
    hit = names.loc[(names["customer_key"].str.casefold() == wanted)
                    | (names["customer"].map(lambda n: " ".join(str(n).casefold().split())) == wanted)
                    | (names["customer_id"].str.casefold() == wanted)]
    if len(hit) != 1:
        raise UsageError(f"no customer {text!r} in the workbook" if hit.empty else
                         f"{text!r} matches {len(hit)} customers; use the customer id")
    return hit["customer_key"].iloc[0], hit["customer"].iloc[0]


def log_contact(path, customer: str, outcome: str, *, now: datetime, when: date | None = None,
                amount=None, reason: str = "", user: str = "", channel: str = "phone") -> HistoryEntry:
    """Append one contact or event (a call, a promise, a dispute...) to History."""
    path = Path(path)
    book = read_book(path)
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "promise" and (when is None or amount is None):
        raise UsageError("a promise to pay needs --date and --amount")
    key, name = find_customer(book, customer)
    action, heard = OUTCOMES[outcome]
    currency = book.settings.currency
    entry = HistoryEntry(
        timestamp=stamp(now), run_id="manual", customer_id=key, customer=name, channel=channel, action=action,
        outcome="; ".join(x for x in (heard, reason) if x),
        promise_date=when if outcome == "promise" else None,
        promise_amount=quantize(amount, currency) if outcome == "promise" else None,
        amount_due=quantize(amount, currency) if outcome == "paid" and amount is not None else None,
        user=user or book.settings.user)
    with writing(path) as pkg:
        append_history(pkg, [entry])
        pkg.save()
    return entry
