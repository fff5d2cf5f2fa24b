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
                         run_date: date = date(2026, 11, 30), items: int = 3,
                         template: str | None = None, **overrides) -> Communication:
    """A plausible communication for customer number ``n`` at ``level``."""
    name, tmpl, channels = LEVEL_TEMPLATES.get(level, LEVEL_TEMPLATES[1])
    currency = currency or ("EUR" if language == "de" else "GBP")
    locale = locale or ("de_DE" if language == "de" else "en_GB")
    base_days = {0: -5, 1: 8, 2: 25, 3: 50, 4: 95}.get(level, 8)
    its = []
    for k in range(items):
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
    total = sum((i.balance for i in its), Decimal(0))
    values = dict(
        run_date=run_date, customer_id=f"C{n:05d}",
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
