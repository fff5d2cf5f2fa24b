"""Log: one call, promise, dispute, payment or note appended to History, once.

A contact is logged once: the same contact (customer, currency, day, outcome,
amount, note, channel) already in History - a re-run of a ``log`` whose save
landed before it could report, say - is not logged again unless the clerk says
it is another one (``again``: a second call that rang out the same day).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd

from ..core.model import HistoryEntry, quote
from ..core.money import quantize, to_minor
from ..core.parse import parse_amount
from ..workbook.history import append_history, stamp
from ..workbook.reader import Book
from .draft import outbox_folder
from .errors import UsageError
from .send import journal_entries
from .session import workbook

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
        raise UsageError(f"no customer {quote(text)} in the workbook" if hit.empty else
                         f"{quote(text)} matches {len(hit)} customers; use the customer id")
    return hit["customer_key"].iloc[0], hit["customer"].iloc[0]


def customer_currencies(book: Book, key: str) -> list[str]:
    """The currencies the customer has open items in (the book's currency when none)."""
    items = book.items.loc[book.items["customer_key"] == key]
    found = sorted(set(items["currency"]))
    return found or [book.settings.currency]


@dataclass(frozen=True)
class Logged:
    """The contact logged; or, when ``already`` is a History row number, the same contact logged there before."""

    entry: HistoryEntry
    already: int = 0


def same_contact(history: pd.DataFrame, e: HistoryEntry) -> pd.DataFrame:
    """History rows recording contact ``e`` on the same day: same customer, currency, channel, outcome, amounts."""
    h = history
    if h.empty:
        return h
    promise_day = pd.Timestamp(e.promise_date) if e.promise_date else pd.NaT
    same = ((h["customer_key"] == e.customer_id) & (h["currency"] == e.currency) & (h["action"] == e.action)
            & (h["date"] == pd.Timestamp(e.timestamp[:10])) & (h["outcome"] == e.outcome.strip())
            & (h["channel"].str.lower() == e.channel.lower())
            & (h["promise_minor"] == _minor_or_0(e.promise_amount, e.currency))
            & (h["amount_minor"] == _minor_or_0(e.amount_due, e.currency))
            & ((h["promise_date"] == promise_day) | (h["promise_date"].isna() & pd.isna(promise_day))))
    return h.loc[same]


def _minor_or_0(money, currency: str) -> int:
    return to_minor(money, currency) if money is not None else 0


def log_contact(path, customer: str, outcome: str, *, now: datetime, when: date | None = None,
                amount=None, currency: str = "", reason: str = "", user: str = "",
                channel: str = "phone", again: bool = False) -> Logged:
    """Append one contact or event (a call, a promise, a dispute...) to History, in the customer's currency.

    ``amount`` may be text as the clerk types it ("1.234,56" in a de_DE book): it
    is read with the book's conventions. A customer owing in several currencies
    needs ``currency`` for a promise or a payment. The same contact already
    logged that day is not logged again (see the module docstring) unless ``again``.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "promise" and (when is None or amount is None):
        raise UsageError("a promise to pay needs --date and --amount")
    port = workbook(path)
    path = port.path
    with port.writing() as pkg:
        book = port.read()
        key, name = find_customer(book, customer)
        owed = customer_currencies(book, key)
        if currency:
            currency = currency.strip().upper()
            if currency not in owed:
                raise UsageError(f"{name} has nothing open in {currency}; their currencies: {', '.join(owed)}")
        elif len(owed) > 1 and (amount is not None or outcome in ("promise", "paid")):
            raise UsageError(f"{name} owes in {', '.join(owed)}: say which with --currency")
        else:
            currency = owed[0]
        money = None
        if amount is not None:
            try:
                money = quantize(parse_amount(amount, book.settings.conventions), currency)
            except ValueError:
                raise UsageError(f"amount {quote(amount)} is not an amount like "
                                 f"{'1.234,56' if book.settings.conventions.decimal == ',' else '1,234.56'}") from None
        action, heard = OUTCOMES[outcome]
        entry = HistoryEntry(
            timestamp=stamp(now), run_id="manual", customer_id=key, customer=name, currency=currency,
            channel=channel, action=action, outcome="; ".join(x for x in (heard, reason) if x),
            promise_date=when if outcome == "promise" else None,
            promise_amount=money if outcome == "promise" else None,
            amount_due=money if outcome == "paid" else None,
            user=user or book.settings.user)
        earlier = same_contact(book.history, entry)
        if not again and not earlier.empty:
            return Logged(entry, int(earlier["row"].iloc[-1]))
        outbox = outbox_folder(path, book.settings)
        append_history(pkg, journal_entries(book, outbox, now, entry.user) + [entry])
        pkg.save()
    return Logged(entry)
