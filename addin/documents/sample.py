"""Synthetic communications for previews, tests and benchmarks (no workbook needed)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from addin.core.model import Communication, Company, OpenItem
from addin.core.settings import Settings

LEVEL_TEMPLATES = {
    0: ("Courtesy", "courtesy", ("email",)),
    1: ("Reminder", "reminder", ("email",)),
    2: ("Second notice", "second_notice", ("email", "letter")),
    3: ("Final demand", "final_demand", ("email", "letter", "phone")),
    4: ("Handover", "handover", ("letter",)),
}


def sample_settings(**overrides) -> Settings:
    company = Company(
        name="Northwind Supplies Ltd",
        address="12 Harbour Road\nBristol BS1 4QA\nUnited Kingdom",
        email="accounts@northwind.example",
        phone="+44 117 496 0000",
        website="www.northwind.example",
        payment_instructions="Bank transfer to Northwind Supplies Ltd\n"
                             "IBAN GB33 BUKB 2020 1555 5555 55 · BIC BUKBGB22",
        signatory="Maria Jones, Credit Control",
        registration="Registered in England No. 01234567 · VAT GB 123 4567 89",
    )
    base = Settings(company=company, mail_from="accounts@northwind.example")
    return replace(base, **overrides)


def sample_communication(n: int = 1, *, level: int = 1, language: str = "en",
                         locale: str | None = None, currency: str | None = None,
                         run_date: date = date(2026, 11, 30), items: int | tuple[OpenItem, ...] = 3,
                         template: str | None = None, **overrides) -> Communication:
    """A plausible communication for customer number ``n`` at ``level``; ``items``: how many, or which."""
    name, tmpl, channels = LEVEL_TEMPLATES.get(level, LEVEL_TEMPLATES[1])
    currency = currency or ("EUR" if language == "de" else "GBP")
    locale = locale or ("de_DE" if language == "de" else "en_GB")
    base_days = {0: -5, 1: 8, 2: 25, 3: 50, 4: 95}.get(level, 8)
    its = [] if isinstance(items, int) else list(items)
    for k in range(items if isinstance(items, int) else 0):
        dpd = base_days + 7 * k
        its.append(OpenItem(
            document=f"INV-{n:05d}-{k + 1}",
            due_date=run_date - timedelta(days=dpd),
            days_past_due=dpd,
            balance=Decimal(1234 + 111 * k + (n % 97)) + Decimal("0.56"),
            currency=currency,
            invoice_date=run_date - timedelta(days=dpd + 30),
            amount=Decimal(2000 + 111 * k) + Decimal("0.56"),
            cell=f"Receivables!D{n * 3 + k + 1}",
        ))
    total = sum((i.balance for i in its if i.days_past_due > 0), Decimal(0))
    values = dict(
        run_date=run_date, customer_id=f"C{n:05d}", customer_number=f"C{n:05d}",
        customer=f"Müller & Söhne GmbH {n}" if language == "de" else f"Acme Trading {n} Ltd",
        level=level, level_name=name, channels=channels, template=template or tmpl,
        currency=currency, items=tuple(its), total_due=total,
        pay_by=run_date + timedelta(days=14),
        contact_name="Jürgen Weiß" if language == "de" else "Sam Taylor",
        email=f"ap{n}@customer{n}.example", email_cell=f"Receivables!F{n + 1}",
        phone=f"+44 7700 9{n % 100000:05d}", address=f"{n} High Street\nLeeds LS1 1AA",
        language=language, locale=locale, time_zone="Europe/London",
        fee=Decimal("40.00") if level >= 2 else Decimal("0"),
        final=level >= 4,
    )
    values.update(overrides)
    return Communication(**values)


def sample_mixed_communications(*, level: int = 1, language: str = "en", template: str | None = None,
                                run_date: date = date(2026, 11, 30), **overrides) -> list[Communication]:
    """One customer who owes in two currencies: a GBP and a EUR communication.

    Each holds overdue items (none at level 0, the courtesy level, which comes
    before any due date), items not yet due with different due dates, and
    credits (one undated credit note, one dated in the past), so every section
    of every document has rows to add up.
    """
    def item(document, currency, days_past_due, balance, due=True):
        return OpenItem(document=document, currency=currency, balance=Decimal(balance),
                        days_past_due=days_past_due if due else 0,
                        due_date=run_date - timedelta(days=days_past_due) if due else None,
                        invoice_date=run_date - timedelta(days=days_past_due + 30))

    def items(currency, overdue, not_due, credits):
        return tuple(item(f"INV-{currency}-{k}", currency, days, amount) for k, (days, amount) in
                     enumerate(overdue + not_due, start=1)) + tuple(
            item(f"CN-{currency}-{k}", currency, days, amount, due=days > 0)
            for k, (days, amount) in enumerate(credits, start=1))

    overdue = {"GBP": [(1, "1200.50"), (43, "310.25")], "EUR": [(12, "999.99")]}
    not_due = {"GBP": [(-3, "450.00"), (-17, "75.10")], "EUR": [(-10, "2000.00")]}
    credits = {"GBP": [(0, "-120.00"), (12, "-35.55")], "EUR": [(0, "-49.99")]}
    out = []
    for n, currency in enumerate(("GBP", "EUR")):
        mine = items(currency, overdue[currency] if level > 0 else [], not_due[currency], credits[currency])
        out.append(sample_communication(
            7, level=level, language=language, template=template, currency=currency, run_date=run_date,
            items=mine, **{"interest": Decimal("12.34") if level >= 2 and n == 0 else Decimal("0"), **overrides}))
    return out
