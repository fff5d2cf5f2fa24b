"""The Receivables sheet: which sheet and header, and its rows as a typed items frame.

Totals, section headings and blank rows of accounting exports are
recognised; each bad cell becomes a problem naming it, and its row is skipped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from babel.numbers import get_decimal_symbol, get_group_symbol

from ..core.model import Problem
from ..core.money import minor_digits
from ..core.settings import Settings, norm_key
from .bulk import text_sheet
from .cells import address
from .schema import find_header
from .values import (blank_series, date_order, map_unique, parse_amounts, parse_dates, text_column)

READ_FIELDS = ("customer_id", "document", "doc_type", "invoice_date", "due_date", "paid_date", "balance",
               "amount", "paid", "currency", "status", "hold_until", "customer", "email", "contact", "phone",
               "address", "language", "time_zone", "customer_type")

STATUS_WORDS = {
    "": "open", "open": "open", "due": "open", "overdue": "open", "unpaid": "open", "partial": "open",
    "partiallypaid": "open", "disputed": "disputed", "dispute": "disputed", "indispute": "disputed",
    "promise": "promise", "promised": "promise", "promisetopay": "promise", "ptp": "promise",
    "plan": "plan", "paymentplan": "plan", "onplan": "plan", "legal": "legal", "agency": "legal",
    "collections": "legal", "closed": "closed", "paid": "closed", "settled": "closed",
    "writtenoff": "closed", "void": "closed",
}
NEGATIVE_TYPES = {"creditnote", "creditmemo", "credit", "payment", "receivepayment", "receipt",
                  "unappliedpayment", "unappliedcash", "cash", "prepayment", "overpayment"}
@dataclass
class Layout:
    """Where the receivables are: which sheet, which header row, which column is which."""

    sheet: str
    header_row: int  # 1-based
    columns: dict[str, int]  # field -> 0-based absolute column
    last_row: int = 0

    def cell(self, fld: str, row: int) -> str:
        return address(self.sheet, self.columns[fld], row)


def customer_keys(ids: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Customer id when given, else the name folded for case and spacing."""
    folded = map_unique(names, lambda n: " ".join(str(n).casefold().split()))
    return np.where(ids != "", ids, folded)


def read_receivables(path, wb, candidates: list[str], settings: Settings):
    """(layout, items, contacts, problems, skipped rows) from the first candidate sheet with a
    receivables header, or None when none has one."""
    for name in candidates:
        first_row, off, head, columns = text_sheet(path, wb, name)
        header = find_header(head, settings.column_map)
        if header:
            break
    else:
        return None
    hidx, mapping = header
    mapping = {f: j for f, j in mapping.items() if f in READ_FIELDS}
    cols = {j: columns[j].iloc[hidx + 1:].reset_index(drop=True) for j in sorted(set(mapping.values()) | {0})}
    del columns
    n = len(cols[0])
    header_row = first_row + hidx
    layout = Layout(name, header_row, {f: j + off for f, j in mapping.items()}, header_row + n)
    items, contacts, problems, skipped = _build_items(cols, mapping, layout, header_row + 1, n, settings)
    return layout, items, contacts, problems, skipped


def empty_items() -> pd.DataFrame:
    dates = pd.Series([], dtype="datetime64[s]")
    return pd.DataFrame({
        "row": pd.Series([], dtype="int64"), "customer_key": [], "customer": [], "customer_id": [],
        "document": [], "currency": [], "amount_minor": pd.Series([], dtype="int64"),
        "paid_minor": pd.Series([], dtype="int64"), "paid_date": dates, "invoice_date": dates,
        "due_date": dates, "status": [], "hold_until": dates})


def _build_items(cols, mapping, layout: Layout, first_row: int, n: int, settings: Settings):
    """Typed items frame from raw columns; totals, sections and blanks recognised; bad rows reported."""
    rows = np.arange(first_row, first_row + n)
    problems: list[tuple[int, Problem]] = []
    blank_text = np.full(n, "", dtype=object)

    def text(f):
        return text_column(cols[mapping[f]]) if f in mapping else blank_text

    label = text_column(cols[0])
    document, customer, cust_id = text("document"), text("customer"), text("customer_id")
    doc_type = text("doc_type")
    currency = map_unique(text("currency"), lambda c: c.upper() or settings.currency)
    digits = map_unique(currency, minor_digits).astype("int64")
    order = date_order(settings.locale)
    dec, grp = get_decimal_symbol(settings.locale), get_group_symbol(settings.locale)

    parsed_dates, parsed_money = {}, {}
    for f in ("invoice_date", "due_date", "paid_date", "hold_until"):
        if f in mapping:
            parsed_dates[f] = parse_dates(cols[mapping[f]], order)
        else:
            parsed_dates[f] = (np.full(n, np.datetime64("NaT", "D")), {})
    for f in ("balance", "amount", "paid"):
        if f in mapping:
            parsed_money[f] = parse_amounts(cols[mapping[f]], digits, dec, grp)

    money_given = np.zeros(n, bool)
    for minor, blank, bad in parsed_money.values():
        money_given |= ~blank
        money_given[list(bad)] = True
    dated = np.zeros(n, bool)
    for arr, bad in parsed_dates.values():
        dated |= ~np.isnat(arr)
        dated[list(bad)] = True
    has_doc = document != ""
    is_total = np.zeros(n, bool)  # "Total for Current", "TOTAL": rows with no number and no date
    maybe = np.flatnonzero(~(has_doc & dated))
    for a in (label, document, customer):
        is_total[maybe] |= np.fromiter((t[:5].lower() == "total" for t in a[maybe]), bool, len(maybe))
    is_blank_row = ~(has_doc | money_given | dated | (customer != "") | (cust_id != ""))
    # A section heading ("Acme Ltd", "1 - 30 days past due") is text in the first column alone.
    is_section = np.zeros(n, bool)
    candidates = np.flatnonzero((label != "") & ~has_doc & ~is_total)
    if len(candidates):
        alone = pd.to_numeric(pd.Series(label[candidates]), errors="coerce").isna().to_numpy(copy=True)
        for j in {j for j in mapping.values() if j != 0}:
            alone &= blank_series(cols[j].iloc[candidates])
        is_section[candidates[alone]] = True
    data = ~is_blank_row & ~is_total & ~is_section
    if "customer" not in mapping:  # exports grouping items under a customer heading
        heading = pd.Series(np.where(is_section, label, None), dtype=object).ffill()
        customer = heading.fillna("").to_numpy(dtype=object)

    def report(mask, fld, message):
        for i in np.flatnonzero(mask & data):
            cell = layout.cell(fld, rows[i]) if fld in layout.columns else address(layout.sheet, 0, rows[i])
            problems.append((i, Problem(cell, message(i))))

    skip = np.zeros(n, bool)
    names = {"invoice_date": "invoice date", "due_date": "due date", "paid_date": "paid date",
             "hold_until": "hold-until date", "balance": "open balance", "amount": "amount", "paid": "paid amount"}
    for f, (arr, bad) in parsed_dates.items():
        m = np.zeros(n, bool)
        m[list(bad)] = True
        report(m, f, lambda i, f=f, bad=bad: f'{names[f]} "{bad[i]}" is not a date')
        skip |= m
    for f, (minor, blank, bad) in parsed_money.items():
        m = np.zeros(n, bool)
        m[list(bad)] = True
        report(m, f, lambda i, f=f, bad=bad: f'{names[f]} "{bad[i]}" is not an amount')
        skip |= m

    if "balance" in parsed_money:
        amount, amount_blank, _ = parsed_money["balance"]
        paid = np.zeros(n, "int64")
        if "amount" in parsed_money:  # fall back to amount where the balance cell is empty
            a, a_blank, _ = parsed_money["amount"]
            amount = np.where(amount_blank, a, amount)
            amount_blank = amount_blank & a_blank
    else:
        amount, amount_blank, _ = parsed_money["amount"]
        paid = parsed_money["paid"][0] if "paid" in parsed_money else np.zeros(n, "int64")
    amount_field = "balance" if "balance" in mapping else "amount"
    negative_type = map_unique(doc_type, lambda t: norm_key(t) in NEGATIVE_TYPES).astype(bool)
    flip = negative_type & (amount > 0)
    amount = np.where(flip, -amount, amount)
    paid = np.where(flip, -paid, paid)

    m = amount_blank & ~skip
    report(m, amount_field, lambda i: f"{names[amount_field]} is empty")
    skip |= m
    m = (customer == "") & ~skip
    report(m, "customer" if "customer" in mapping else "document", lambda i: "customer is empty")
    skip |= m
    positive = amount - paid > 0
    m = positive & ~has_doc & ~skip
    report(m, "document", lambda i: "invoice number is empty")
    skip |= m
    inv, due = parsed_dates["invoice_date"][0], parsed_dates["due_date"][0]
    m = positive & np.isnat(inv) & np.isnat(due) & ~skip
    report(m, "due_date" if "due_date" in mapping else "invoice_date",
           lambda i: "due date is empty (and there is no invoice date to age it by)")
    skip |= m
    bad_cur = ~map_unique(currency, lambda c: bool(re.fullmatch(r"[A-Z]{3}", c))).astype(bool) & ~skip
    report(bad_cur, "currency", lambda i: f'currency "{currency[i]}" is not a 3-letter ISO code like EUR')
    skip |= bad_cur
    status_raw = text("status")
    status = map_unique(status_raw, lambda s: STATUS_WORDS.get(norm_key(s)))
    m = pd.isna(status) & ~skip
    report(m, "status", lambda i: f'status "{status_raw[i]}" is not one of open, disputed, promise, '
                                  f'plan, legal, closed')
    skip |= m

    keep = data & ~skip
    if not has_doc[keep].all():
        document = np.where(has_doc, document, np.where(doc_type != "", doc_type, "Unapplied payment"))
    items = pd.DataFrame({
        "row": rows[keep].astype("int64"),
        "customer_key": customer_keys(cust_id[keep], customer[keep]),
        "customer": customer[keep], "customer_id": cust_id[keep], "document": document[keep],
        "currency": currency[keep], "amount_minor": amount[keep].astype("int64"),
        "paid_minor": paid[keep].astype("int64"),
        **{f: pd.Series(parsed_dates[f][0][keep]).astype("datetime64[s]")
           for f in ("paid_date", "invoice_date", "due_date", "hold_until")},
        "status": status[keep],
    })
    contacts = _first_contacts(items["customer_key"].to_numpy(), {f: cols[mapping[f]] for f in CONTACT_FIELDS
                                                                   if f in mapping}, keep, layout, rows)
    problems.sort(key=lambda p: p[0])
    return items, contacts, [p for _, p in problems], int(skip[data].sum())


CONTACT_FIELDS = ("email", "contact", "phone", "address", "language", "time_zone", "customer_type")


def _first_contacts(keys: np.ndarray, raw: dict[str, list], keep: np.ndarray, layout: Layout,
                    rows: np.ndarray) -> pd.DataFrame:
    """Per customer, the first non-empty contact detail on its items (and the email's cell)."""
    codes, uniques = pd.factorize(keys)
    out = pd.DataFrame({"customer_key": uniques})
    out["email_cell"] = ""
    kept_rows = rows[keep]
    for f in CONTACT_FIELDS:
        values = np.full(len(uniques), "", dtype=object)
        if f in raw:
            col = raw[f][keep].reset_index(drop=True)
            idx = np.flatnonzero(~blank_series(col))
            found, first = np.unique(codes[idx], return_index=True)
            values[found] = text_column(col.iloc[idx[first]])
            if f == "email":  # the cell to name: the email used, else where it is missing
                _, first_any = np.unique(codes, return_index=True)
                cell_rows = kept_rows[first_any].copy()
                cell_rows[found] = kept_rows[idx[first]]
                out["email_cell"] = [layout.cell("email", r) for r in cell_rows]
        out[f] = values
    return out


