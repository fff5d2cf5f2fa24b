"""Realistic demo receivables: a few hundred customers, a few thousand items.

Deterministic (seeded) so the demo and the tests see the same book: partial
payments, credit notes, unapplied cash, disputes, promises, holds, a payment
plan, two currencies and a handful of bad cells for the Errors sheet.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

FIRST = ("Acme", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper",
         "Kestrel", "Linden", "Maple", "Nimbus", "Orchid", "Pioneer", "Quarry", "Raven", "Summit",
         "Tundra", "Umber", "Vale", "Willow", "Xenon", "Yarrow", "Zephyr")
SECOND = ("Trading", "Logistics", "Foods", "Engineering", "Design", "Retail", "Builders", "Labs",
          "Consulting", "Print", "Textiles", "Motors", "Garden Centre", "Dental", "Hotels")
SUFFIX = ("Ltd", "LLP", "GmbH", "plc", "& Co", "Ltd")
PEOPLE = ("Alex Morgan", "Sam Patel", "Chris Evans", "Jamie Lee", "Robin Fischer", "Taylor Brown",
          "Jordan Weber", "Casey Novak", "Morgan Schulz", "Riley Hughes", "Anna Müller", "Jürgen Groß")


def demo_rows(as_of: date, customers: int = 300, seed: int = 7):
    """(receivables, customers, history, plans) rows for template.build_workbook."""
    rnd = random.Random(seed)
    receivables, people, history, plans = [], [], [], []
    names = set()
    for c in range(1, customers + 1):
        while True:
            name = f"{rnd.choice(FIRST)} {rnd.choice(SECOND)} {rnd.choice(SUFFIX)}"
            if name not in names:
                names.add(name)
                break
        cid = f"C{c:04d}"
        german = name.endswith("GmbH")
        currency = "EUR" if german or rnd.random() < 0.1 else "GBP"
        contact = rnd.choice(PEOPLE)
        local = contact.split()[0].lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        email = f"{local}@{name.split()[0].lower()}{c}.example"
        phone = f"+44 20 7946 {c:04d}" if not german else f"+49 30 901820{c:02d}"
        profile = rnd.random()
        people.append((cid, name, contact, email, phone,
                       f"{rnd.randint(1, 200)} High Street\nTown {c}", "de" if german else "en",
                       "Europe/Berlin" if german else "Europe/London",
                       "consumer" if rnd.random() < 0.05 else "business",
                       "yes" if c % 97 == 0 else "", as_of + timedelta(days=10) if c % 89 == 0 else None))
        for k in range(rnd.randint(3, 16)):
            lateness = rnd.choice((-25, -10, -3, 5, 12, 20, 35, 45, 70, 95, 130)) if profile > 0.3 else \
                rnd.choice((-20, -5, 3, 8))
            due = as_of - timedelta(days=lateness + rnd.randint(0, 6))
            inv_date = due - timedelta(days=30)
            amount = Decimal(rnd.randint(5_000, 900_000)) / 100
            paid, paid_date, status = Decimal(0), None, "open"
            roll = rnd.random()
            if roll < 0.25:
                paid, paid_date, status = amount, due - timedelta(days=2), "closed"
            elif roll < 0.35:
                paid = (amount * Decimal(rnd.choice((25, 50, 75))) / 100).quantize(Decimal("0.01"))
                paid_date = as_of - timedelta(days=rnd.randint(1, 20))
            elif roll < 0.37:
                status = "disputed"
            receivables.append([cid, name, contact, email, phone, f"INV-{c:04d}-{k + 1:02d}", inv_date, due,
                                amount, paid, paid_date, currency, status, None, None, "de" if german else "en",
                                ""])
        if c % 23 == 0:  # a credit note waiting to be applied
            receivables.append([cid, name, contact, email, phone, f"CN-{c:04d}", as_of - timedelta(days=12), None,
                                Decimal("-120.00"), 0, None, currency, "open", None, None, None,
                                "credit note for returned goods"])
        if c % 31 == 0:  # unapplied cash: a payment not matched to an invoice
            receivables.append([cid, name, contact, email, phone, "", as_of - timedelta(days=4), None,
                                Decimal("-250.00"), 0, None, currency, "open", None, None, None,
                                "unapplied payment"])
        if c % 19 == 0:
            history.append([f"{(as_of - timedelta(days=3)).isoformat()}T10:15:00Z", "manual", cid, name, currency, "",
                            None, "phone", "", "promise", "will pay next week",
                            as_of + timedelta(days=5), Decimal("500.00"), None, "demo", "", ""])
        if c % 29 == 0:
            history.append([f"{(as_of - timedelta(days=20)).isoformat()}T09:00:00Z", "manual", cid, name, currency, "",
                            None, "phone", "", "promise", "promised to pay",
                            as_of - timedelta(days=6), Decimal("300.00"), None, "demo", "", ""])
        if c % 37 == 0:
            history.append([f"{(as_of - timedelta(days=25)).isoformat()}T09:00:00Z", "run-demo-1", cid, name,
                            currency, "", 2, "email", "reminder", "sent", "", None, None, None, "demo", "", ""])
        for every, level, ago in ((7, 3, 15), (13, 4, 16)):  # accounts already some way up the ladder
            if c % every == 0:
                history.append([f"{(as_of - timedelta(days=ago)).isoformat()}T09:00:00Z", "run-demo-0", cid, name,
                                currency, "", level, "email", "", "sent", "", None, None, None, "demo", "", ""])
        if c == 50:
            plans.append([cid, name, Decimal("1200.00"), 0.06, 6, "monthly", as_of - timedelta(days=40),
                          currency, "active"])
    # a few cells a clerk could really get wrong
    receivables[3][7] = "TBD"
    receivables[10][8] = "12,3x"
    receivables[20][11] = "EURO"
    receivables[30][12] = "maybe"
    return receivables, people, history, plans
