"""Which column is which: header synonyms, the Settings override, header-row detection.

Headers match case-, spacing- and punctuation-insensitively ("Inv #", "Open
Balance", "Balance Due"...). Fields are claimed in order, each header by one
field only, so "Contact" is the customer in an export that has no customer
column but the contact person where both exist.
"""
from __future__ import annotations

from ..core.settings import norm_key

# field -> synonyms in order of preference (normalised with norm_key at import)
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer id", "customer #", "customer no", "customer number", "cust id",
                    "client id", "account #", "account no", "account number", "debtor id"),
    "document": ("invoice", "invoice #", "inv #", "invoice no", "invoice number", "inv no", "num",
                 "number", "no", "document", "document #", "document no", "document number",
                 "doc #", "doc no", "reference", "ref"),
    "doc_type": ("type", "transaction type", "document type", "doc type"),
    "invoice_date": ("invoice date", "inv date", "date", "document date", "doc date",
                     "transaction date", "issue date", "issued"),
    "due_date": ("due date", "due", "net due", "due on", "payment due", "date due"),
    "paid_date": ("paid date", "payment date", "date paid", "last payment date", "last payment"),
    "balance": ("open balance", "balance", "balance due", "amount due", "outstanding",
                "open amount", "amount outstanding", "remaining", "due amount"),
    "amount": ("amount", "invoice amount", "original amount", "total", "invoice total", "gross",
               "amount (gross)"),
    "paid": ("paid", "amount paid", "paid amount", "paid to date", "payments", "payment"),
    "currency": ("currency", "curr", "ccy", "currency code"),
    "status": ("status", "collection status"),
    "hold_until": ("hold until", "on hold until", "hold"),
    "customer": ("customer", "customer name", "client", "client name", "account name", "debtor",
                 "name", "bill to", "contact"),
    "contact": ("contact name", "contact person", "attention", "attn", "contact"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
    "phone": ("phone", "telephone", "tel", "phone number", "mobile"),
    "address": ("address", "billing address", "postal address", "bill to address"),
    "customer_type": ("customer type", "business/consumer", "b2b/b2c", "segment"),
    "language": ("language", "lang"),
    "time_zone": ("time zone", "timezone", "tz"),
    "do_not_contact": ("do not contact", "dnc", "no contact"),
    "notes": ("notes", "note", "memo", "memo/description", "comment", "comments"),
}
_NORM = {f: tuple(norm_key(s) for s in syns) for f, syns in SYNONYMS.items()}

# Columns arcollect writes into the Receivables sheet: never read back as input.
FLAG_HEADERS = ("Days Past Due", "Bucket", "Level")
_FLAGS = {norm_key(h) for h in FLAG_HEADERS}


def field_for(text: str) -> str | None:
    """The field a header or Settings key names, by field name or any synonym."""
    k = norm_key(text)
    for f, syns in _NORM.items():
        if k == norm_key(f) or k in syns:
            return f
    return None


def map_headers(headers: list, overrides: dict[str, str] | None = None) -> dict[str, int]:
    """{field: column index} for one header row. overrides: {settings key: header text}."""
    norm = [norm_key(h) if isinstance(h, str) else "" for h in headers]
    used: set[int] = set()
    mapping: dict[str, int] = {}
    for key, header in (overrides or {}).items():
        f = field_for(key)
        if f and norm_key(header) in norm:
            i = norm.index(norm_key(header))
            mapping[f] = i
            used.add(i)
    for f, syns in _NORM.items():
        if f in mapping:
            continue
        for s in syns:
            hit = next((i for i, h in enumerate(norm) if h == s and i not in used and h not in _FLAGS), None)
            if hit is not None:
                mapping[f] = hit
                used.add(hit)
                break
    return mapping


def is_header(mapping: dict[str, int]) -> bool:
    """Enough of a receivables header: what, when, how much (customer may come from sections)."""
    has_when = "due_date" in mapping or "invoice_date" in mapping
    has_amount = "balance" in mapping or "amount" in mapping
    has_what = "document" in mapping or "customer" in mapping
    return has_when and has_amount and has_what


def find_header(rows: list[list], overrides: dict[str, str] | None = None,
                scan: int = 40) -> tuple[int, dict[str, int]] | None:
    """(row index, mapping) of the best header row among the first `scan` rows."""
    best = None
    for i, row in enumerate(rows[:scan]):
        mapping = map_headers(list(row), overrides)
        if is_header(mapping) and (best is None or len(mapping) > len(best[1])):
            best = (i, mapping)
    return best
