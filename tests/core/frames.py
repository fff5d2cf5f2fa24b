"""Build items frames for core tests the way the reader does, from readable tuples."""
from __future__ import annotations

from datetime import date

import pandas as pd


CLOSINGS = ("paid", "written off", "void")   # a status that says how the item closed, as the reader keeps it


def items(*rows, currency="GBP"):
    """rows: (customer, document, due, amount, paid=0, status="open", paid_date=None, invoice_date=None,
    hold_until=None, closed_date=None); amounts in minor units. A status "paid", "written off" or "void" is
    read as the reader reads it: status closed, closed_as that word."""
    recs = []
    for i, r in enumerate(rows):
        r = list(r) + [None] * (10 - len(r))
        customer, document, due, amount, paid, status, paid_date, inv, hold, closed_on = r
        how = status if status in CLOSINGS else ""
        recs.append({"row": i + 2, "customer_key": customer.lower(), "customer": customer, "customer_id": "",
                     "document": document, "currency": currency, "amount_minor": amount, "paid_minor": paid or 0,
                     "paid_date": paid_date, "invoice_date": inv, "due_date": due,
                     "status": "closed" if how else (status or "open"), "closed_as": how,
                     "hold_until": hold, "closed_date": closed_on})
    frame = pd.DataFrame(recs)
    for f in ("paid_date", "invoice_date", "due_date", "hold_until", "closed_date"):
        frame[f] = pd.to_datetime(frame[f]).astype("datetime64[s]")
    return frame


def history(*rows, currency="GBP"):
    """rows: (customer, date, action, level=None, promise_date=None, promise_minor=0, outcome="",
    amount_minor=0, message_id=""), all in one currency."""
    recs = []
    for r in rows:
        r = list(r) + [None] * (9 - len(r))
        customer, when, action, level, pdate, pminor, outcome, amount, mid = r
        recs.append({"customer_key": customer.lower(), "currency": currency, "date": when, "action": action,
                     "level": float(level) if level is not None else float("nan"), "promise_date": pdate,
                     "promise_minor": pminor or 0, "outcome": outcome or "", "amount_minor": amount or 0,
                     "message_id": mid or ""})
    frame = pd.DataFrame(recs, columns=["customer_key", "currency", "date", "action", "level", "promise_date",
                                        "promise_minor", "outcome", "amount_minor", "message_id"])
    for f in ("date", "promise_date"):
        frame[f] = pd.to_datetime(frame[f]).astype("datetime64[s]")
    return frame


AS_OF = date(2026, 11, 30)
