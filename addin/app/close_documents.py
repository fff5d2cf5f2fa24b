"""The close's documents: statements of account (PDF) and thank-you notes for customers who settled.

Both are Communications rendered by the same templates, PDF layout and
drafting path as the reminders: statements as letters (one PDF per customer
and currency, and one file to print them all), thank-you notes as .eml drafts
in the outbox, logged in History as drafted, so they wait for the clerk and
are never drafted twice for the same close date. Asked to, the statements are
emailed the same way: one draft per statement, its PDF attached, with an
identity of its own (kind "statement"), logged without a level since a
statement is not a rung of the ladder; ``send`` sends it once approved.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.dunning import STATEMENT, THANK_YOU, pay_by
from ..core.model import Communication, HistoryEntry, OpenItem, Problem
from ..core.money import from_minor, to_minor
from ..documents.pdf import write_letters
from ..documents.render import render_batch
from ..documents.sources import letters_dir
from ..workbook.history import pending_email_drafts, settled_message_ids
from .communications import addressed, barred_accounts


def settled_accounts(changes: pd.DataFrame, aged: pd.DataFrame) -> list[tuple[str, str]]:
    """(customer key, currency) of accounts that owed at the previous close and settled everything since:
    nothing open now, nothing written off, nothing that left the book unexplained."""
    if changes.empty:
        return []
    by = changes.groupby(["customer_key", "currency"])
    owed = by["before"].sum() > 0
    clean = (by["written_off"].sum() == 0) & ~by["gone"].any()
    still = set(map(tuple, aged[["customer_key", "currency"]].drop_duplicates().to_numpy()))
    return [a for a in owed.index[owed & clean] if a not in still]


def pending_close_emails(history: pd.DataFrame, entries: list[HistoryEntry]) -> pd.DataFrame:
    """The statements and thank-you notes drafted as emails and not yet sent or withdrawn: those History holds,
    and ``entries``, this close's drafts (not yet in History)."""
    new = pd.DataFrame({"action": [e.action for e in entries], "channel": [e.channel for e in entries],
                        "template": [e.template for e in entries], "customer_key": [e.customer_id for e in entries],
                        "customer": [e.customer for e in entries], "currency": [e.currency for e in entries],
                        "amount_minor": [np.nan if e.amount_due is None else to_minor(e.amount_due, e.currency)
                                         for e in entries],
                        "date": pd.to_datetime([e.timestamp[:10] for e in entries]).astype("datetime64[s]"),
                        "document": [e.document for e in entries], "message_id": [e.message_id for e in entries]})
    both = pd.concat([history[list(new.columns)], new], ignore_index=True) if len(new) else history
    pending = pending_email_drafts(both, settled_message_ids(history))
    return pending.loc[pending["template"].isin([STATEMENT, THANK_YOU])]


def names_of(items: pd.DataFrame) -> dict[str, str]:
    """Customer key -> the name on its first item (a million items, their 50,000 customers' names)."""
    first = items.drop_duplicates("customer_key")
    return dict(zip(first["customer_key"].tolist(), first["customer"].tolist()))


class _Directory:
    """Name, customer number and contact row per customer key, looked up once for the whole book."""

    def __init__(self, book, keys: set[str]):
        items = book.items.loc[book.items["customer_key"].isin(keys)]
        self.names = names_of(items)
        numbered = items.loc[items["customer_id"] != ""].drop_duplicates("customer_key")
        self.numbers = dict(zip(numbered["customer_key"], numbered["customer_id"]))
        contacts = book.contacts.loc[book.contacts["customer_key"].isin(keys)]
        self.contacts = contacts.drop_duplicates("customer_key").set_index("customer_key").to_dict("index")

    def __call__(self, key: str) -> tuple[str, str, dict]:
        return self.names.get(key, key), str(self.numbers.get(key, "")), self.contacts.get(key, {})


def thank_you_notes(book, accounts: list[tuple[str, str]], as_of: date) -> list[Communication]:
    """One thank-you communication per settled account, at level 0 (before the ladder), email."""
    who, out = _Directory(book, {k for k, _ in accounts}), []
    for key, currency in accounts:
        name, number, contact = who(key)
        out.append(Communication(run_date=as_of, customer_id=key, customer=name, level=0, level_name="Thank you",
                                 channels=("email",), template=THANK_YOU, currency=currency, items=(),
                                 total_due=from_minor(0, currency), pay_by=as_of, customer_number=number,
                                 **addressed(contact, book.settings)))
    return out


def statements(book, aged: pd.DataFrame, as_of: date, buckets: list[str]) -> list[Communication]:
    """A statement of account per customer and currency with a balance: every open item, and the aging."""
    settings, who, out = book.settings, _Directory(book, set(aged["customer_key"])), []
    for (key, currency), rows in aged.sort_values("days_past_due", ascending=False).groupby(
            ["customer_key", "currency"], sort=True):
        if rows["balance_minor"].sum() <= 0:
            continue
        name, number, contact = who(key)
        items = tuple(OpenItem(document=r.document, due_date=r.due_date.date() if pd.notna(r.due_date) else None,
                               days_past_due=int(r.days_past_due) if pd.notna(r.days_past_due) else 0,
                               balance=from_minor(r.balance_minor, currency), currency=currency,
                               invoice_date=r.invoice_date.date() if pd.notna(r.invoice_date) else None)
                      for r in rows.itertuples(index=False))
        by_bucket = rows.groupby(rows["bucket"].astype(str))["balance_minor"].sum()
        aging = [(b, from_minor(int(by_bucket.get(b, 0)), currency)) for b in buckets]
        out.append(Communication(run_date=as_of, customer_id=key, customer=name, level=0,
                                 level_name="Statement", channels=("letter",), template=STATEMENT,
                                 currency=currency, items=items,
                                 total_due=sum((i.balance for i in items if i.days_past_due > 0),
                                               from_minor(0, currency)),
                                 pay_by=pay_by(as_of, settings), customer_number=number,
                                 **addressed(contact, settings), extra={"aging": aging}, kind=STATEMENT))
    return out


def write_statements(comms: list[Communication], folder: Path, settings, base: Path):
    """([(statement, its PDF)], the print-all file, problems): the statements as PDF letters."""
    tdir = letters_dir(settings.template_dir, base)
    rendered, problems = render_batch(comms, settings, tdir if tdir.is_dir() else letters_dir(), parts=("letter",))
    ok = [(c, r) for c, r in zip(comms, rendered) if r is not None]
    paths, combined = write_letters(ok, folder, settings) if ok else ([], None)
    return [(c, p) for (c, _), p in zip(ok, paths)], combined, list(problems)


def statement_emails(book, aged: pd.DataFrame, written: list[tuple[Communication, Path]], as_of: date):
    """(emails to draft, {their key: the PDF's bytes}, problems, notes): one email per statement written whose
    customer has an email address and may be written to (``barred_accounts``). A customer without an address
    is reported once, a barred one noted once; their statements stay PDFs, to print."""
    barred = barred_accounts(book, aged, {(c.customer_id, c.currency) for c, _ in written}, as_of)
    emails, attachments, problems, notes, told = [], {}, [], [], set()
    for comm, path in written:
        why = barred.get((comm.customer_id, comm.currency))
        if why or not comm.email.strip():
            if comm.customer_id not in told:
                told.add(comm.customer_id)
                if why:
                    notes.append(f"Statement for {comm.customer} not emailed ({why}); the PDF is {path}")
                else:
                    problems.append(Problem(comm.email_cell or "Customers", f"no email address for {comm.customer}: "
                                            f"its statement is not emailed; the PDF is {path}"))
            continue
        emails.append(replace(comm, channels=("email",)))
        attachments[comm.key] = Path(path).read_bytes()
    return emails, attachments, problems, notes
