"""From decisions to Communications: one per customer, level and currency on a run date.

This is where a decision row meets the customer's open items, contact
details, language and the late-interest rule; documents and mail render and
send what is built here.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.dunning import HELD_STATUSES, not_to_message, pay_by, summarise_history
from ..core.model import Communication, OpenItem
from ..core.money import from_minor, quantize
from ..core.settings import Settings
from ..core.interest import late_interest
from ..refdata import reference_rates

LANGUAGE_LOCALES = {"en": "en_GB", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL"}


def locale_for(language: str, settings: Settings) -> tuple[str, str]:
    """(language, locale): the workbook's locale when the customer speaks its language."""
    lang = (language or settings.locale.split("_")[0]).strip().lower()[:2] or "en"
    if settings.locale.lower().startswith(lang):
        return lang, settings.locale
    return lang, LANGUAGE_LOCALES.get(lang, settings.locale)


def _interest(items: list[OpenItem], settings: Settings, as_of: date, currency: str, rates):
    """(interest, compensation) over the overdue items under the Settings' late-interest rule."""
    if settings.interest_rule == "none":
        return 0, 0
    interest = compensation = 0
    for it in items:
        if it.days_past_due > 0 and it.due_date:
            r = late_interest(it.balance, it.due_date, as_of, settings.interest_rule, settings.interest_rate,
                              rates, currency)
            interest += r.interest
            compensation += r.compensation
    return interest, compensation


def build_communications(a, keys: set | None = None) -> list[Communication]:
    """Communications for the decisions to contact (optionally only these customer keys)."""
    settings, as_of = a.book.settings, a.as_of
    todo = a.decisions.loc[a.decisions["action"] == "contact"]
    if keys is not None:
        todo = todo.loc[todo["customer_key"].isin(keys)]
    if todo.empty:
        return []
    aged = a.aged
    eligible = aged.loc[(aged["balance_minor"] > 0) & ~aged["status"].isin(HELD_STATUSES)
                        & ~(aged["hold_until"] > pd.Timestamp(as_of))
                        & aged["customer_key"].isin(set(todo["customer_key"]))]
    eligible = eligible.sort_values(["customer_key", "currency", "days_past_due"], ascending=[True, True, False])
    layout = a.book.layout
    cell = layout.cell if layout and "document" in layout.columns else None
    items: dict[tuple, list[OpenItem]] = {}
    numbers = aged.loc[aged["customer_id"] != ""].drop_duplicates("customer_key")
    numbers = dict(zip(numbers["customer_key"], numbers["customer_id"]))  # the id the customer knows
    for r in eligible.itertuples(index=False):  # one pass over the items, not one filter per customer
        items.setdefault((r.customer_key, r.currency), []).append(OpenItem(
            document=r.document, due_date=r.due_date.date() if pd.notna(r.due_date) else None,
            days_past_due=int(r.days_past_due) if pd.notna(r.days_past_due) else 0,
            balance=from_minor(r.balance_minor, r.currency), currency=r.currency,
            invoice_date=r.invoice_date.date() if pd.notna(r.invoice_date) else None,
            cell=cell("document", r.row) if cell else ""))
    contacts = a.contacts.set_index("customer_key").to_dict("index") if not a.contacts.empty else {}
    table = reference_rates(settings.interest_rule) if settings.interest_rule in ("uk-1998", "eu-2011-7") else None
    rates = table.rows if table else None  # read once at the edge; the core computes from what it is given
    out = []
    for d in todo.itertuples(index=False):
        mine = tuple(items.get((d.customer_key, d.currency), ()))
        if not mine:
            continue
        overdue = [i.balance for i in mine if i.days_past_due > 0]
        total = sum(overdue) if overdue else sum(i.balance for i in mine)
        interest, compensation = _interest(list(mine), settings, as_of, d.currency, rates)
        out.append(Communication(
            run_date=as_of, customer_id=d.customer_key, customer=d.customer, level=int(d.level),
            customer_number=numbers.get(d.customer_key, ""),
            level_name=d.level_name, channels=tuple(d.channels), template=d.template, currency=d.currency,
            items=mine, total_due=quantize(total, d.currency), pay_by=pay_by(as_of, settings),
            **addressed(contacts.get(d.customer_key, {}), settings),
            fee=from_minor(d.fee_minor, d.currency) + quantize(compensation, d.currency),
            interest=quantize(interest, d.currency), final=bool(d.final)))
    return out


def addressed(contact: dict, settings: Settings) -> dict:
    """A Communication's contact fields from the customer's contact row (Book.contacts), language and locale."""
    def get(f):
        return str(contact.get(f, "") or "")

    language, locale = locale_for(get("language"), settings)
    return dict(contact_name=get("contact"), email=get("email"), email_cell=get("email_cell"), phone=get("phone"),
                address=get("address"), language=language, locale=locale, time_zone=get("time_zone"),
                customer_type=get("customer_type") or "business")


def barred_accounts(book, aged: pd.DataFrame, accounts, as_of: date) -> dict:
    """{(customer key, currency): why not} for the accounts no message at all may go to, reminder or not
    (a statement of account, a thank-you note): ``core.dunning.not_to_message`` on the book as it is."""
    settings = book.settings
    disputed = aged.loc[aged["status"] == "disputed", ["customer_key", "currency"]].drop_duplicates()
    return not_to_message(accounts, book.ladder, settings, as_of,
                          summarise_history(book.history, as_of, settings.paid_grace_days), book.customers,
                          set(map(tuple, disputed.to_numpy())))
