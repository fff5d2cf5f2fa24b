"""Read a collections workbook with python-calamine into typed frames and problems.

Every value keeps its cell: rows carry their sheet row number, and each
problem names ``Sheet!A1``, the value found and what was expected. Bad rows
are reported and skipped; every other row is read.
"""
from __future__ import annotations

import gc
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from babel.numbers import get_decimal_symbol, get_group_symbol
from python_calamine import CalamineWorkbook

from ..core.model import HISTORY_COLUMNS, Level, Problem
from ..core.money import minor_digits
from ..core.policy import DEFAULT_LADDER, parse_policy
from ..core.settings import Settings, norm_key, parse_settings
from .cells import address
from .package import BookUnreadable
from .schema import find_header, map_headers
from .bulk import HEAD_ROWS, read_text_columns, text_columns_from_rows
from .values import (blank_series, date_order, is_blank, map_unique, parse_amounts,
                     parse_dates, text_column)

RECEIVABLES, CUSTOMERS, SETTINGS, POLICY, HISTORY, PLANS, ACTIONS = (
    "Receivables", "Customers", "Settings", "Policy", "History", "Plans", "Actions")
OWNED_SHEETS = ("Aging", "Actions", "Summary", "Errors")
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
POLICY_FIELDS = {"level": "level", "name": "name", "levelname": "name", "dayspastduefrom": "days_from",
                 "daysfrom": "days_from", "fromdays": "days_from", "dayspastdue": "days_from",
                 "mindayssincecontact": "min_days", "mindayssincelastcontact": "min_days",
                 "mindays": "min_days", "interval": "min_days", "channel": "channel",
                 "channels": "channel", "template": "template", "fee": "fee", "final": "final"}
HISTORY_FIELDS = {norm_key(h): norm_key(h) for h in HISTORY_COLUMNS} | {"timestamp": "timestamputc",
                                                                          "date": "timestamputc"}


@dataclass
class Layout:
    """Where the receivables are: which sheet, which header row, which column is which."""

    sheet: str
    header_row: int  # 1-based
    columns: dict[str, int]  # field -> 0-based absolute column
    last_row: int = 0

    def cell(self, fld: str, row: int) -> str:
        return address(self.sheet, self.columns[fld], row)


@dataclass
class Book:
    path: Path
    sheet_names: list[str]
    settings: Settings
    ladder: list[Level]
    layout: Layout | None
    items: pd.DataFrame
    customers: pd.DataFrame
    contacts: pd.DataFrame  # per customer: email, contact, phone, address, language, time_zone, type, email_cell
    history: pd.DataFrame
    plans: list[tuple[dict, dict, int]]  # (values, cells, sheet row) per Plans row
    approvals: dict[tuple[str, int], bool]
    problems: list[Problem] = field(default_factory=list)
    skipped_rows: int = 0


def _sheet_rows(wb: CalamineWorkbook, name: str) -> tuple[list[list], int]:
    """(rows, column offset): rows[i] is sheet row i+1; cell j is column offset+j."""
    ws = wb.get_sheet_by_name(name)
    start = ws.start
    return list(ws.iter_rows()), (start[1] if start else 0)


def _records(rows: list[list], offset: int, sheet: str, aliases: dict[str, str],
             header_index: int | None = None):
    """(values, cells, row) per non-blank row under the first row naming any alias."""
    if header_index is None:
        header_index = next((i for i, r in enumerate(rows[:20])
                             if sum(norm_key(v) in aliases for v in r if isinstance(v, str)) >= 2), None)
    if header_index is None:
        return
    cols = {aliases[norm_key(v)]: j for j, v in enumerate(rows[header_index])
            if isinstance(v, str) and norm_key(v) in aliases}
    for i in range(header_index + 1, len(rows)):
        r = rows[i]
        values = {f: r[j] for f, j in cols.items() if j < len(r)}
        if all(is_blank(v) for v in values.values()):
            continue
        cells = {f: address(sheet, j + offset, i + 1) for f, j in cols.items()}
        yield values, cells, i + 1


def read_book(path) -> Book:
    """Read every sheet arcollect uses; raise BookUnreadable only when nothing can be read."""
    path = Path(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception as exc:  # calamine raises its own error types for every kind of bad file
        raise BookUnreadable(f"{path.name} cannot be read as an Excel workbook ({exc})") from exc
    by_norm = {norm_key(n): n for n in names}
    problems: list[Problem] = []

    raw_settings = {}
    if norm_key(SETTINGS) in by_norm:
        rows, off = _sheet_rows(wb, by_norm[norm_key(SETTINGS)])
        for i, r in enumerate(rows):
            if len(r) >= 2 and isinstance(r[0], str) and r[0].strip() and norm_key(r[0]) != "setting":
                raw_settings[r[0].strip()] = (r[1], address(by_norm[norm_key(SETTINGS)], off + 1, i + 1))
    settings, bad = parse_settings(raw_settings)
    problems += bad

    ladder = list(DEFAULT_LADDER)
    if norm_key(POLICY) in by_norm:
        sheet = by_norm[norm_key(POLICY)]
        rows, off = _sheet_rows(wb, sheet)
        recs = [(v, c) for v, c, _ in _records(rows, off, sheet, POLICY_FIELDS)]
        if recs:
            ladder, bad = parse_policy(recs)
            problems += bad

    layout, items, item_contacts, bad, skipped = _read_receivables(path, wb, names, by_norm, settings)
    problems += bad
    customers, bad = _read_customers(path, wb, by_norm, settings)
    problems += bad
    contacts = _merge_contacts(item_contacts, customers)
    history, bad = _read_history(path, wb, by_norm, settings)
    problems += bad
    plans = []
    if norm_key(PLANS) in by_norm:
        sheet = by_norm[norm_key(PLANS)]
        rows, off = _sheet_rows(wb, sheet)
        plans = list(_records(rows, off, sheet, PLAN_FIELDS))
    approvals = _read_approvals(wb, by_norm)
    return Book(path, names, settings, ladder, layout, items, customers, contacts, history, plans,
                approvals, problems, skipped)


def _merge_contacts(from_items: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Contact details per customer: the Customers sheet wins over what the items say."""
    if customers.empty:
        return from_items
    fields = [*CONTACT_FIELDS, "email_cell"]
    merged = from_items.set_index("customer_key").reindex(
        from_items["customer_key"].tolist() + [k for k in customers["customer_key"] if k not in
                                               set(from_items["customer_key"])]).fillna("")
    sheet = customers.drop_duplicates("customer_key").set_index("customer_key")[fields]
    common = sheet.index.intersection(merged.index)
    override = sheet.loc[common]
    merged.loc[common, fields] = override.where(override != "", merged.loc[common, fields])
    return merged.rename_axis("customer_key").reset_index()


PLAN_FIELDS = {"customer": "customer", "customerid": "customer_id", "principal": "principal",
               "annualrate": "rate", "rate": "rate", "installments": "n", "numberofinstallments": "n",
               "frequency": "frequency", "firstduedate": "first_due", "firstdue": "first_due",
               "status": "status", "currency": "currency"}


def customer_keys(ids: np.ndarray, names: np.ndarray) -> np.ndarray:
    """Customer id when given, else the name folded for case and spacing."""
    folded = map_unique(names, lambda n: " ".join(str(n).casefold().split()))
    return np.where(ids != "", ids, folded)


def _receivables_candidates(names, by_norm):
    """The Receivables sheet first, then every sheet that is not one of the others."""
    others = {norm_key(x) for x in (RECEIVABLES, SETTINGS, POLICY, HISTORY, PLANS, CUSTOMERS, *OWNED_SHEETS,
                                    "Plan Schedule")}
    return ([by_norm[norm_key(RECEIVABLES)]] if norm_key(RECEIVABLES) in by_norm else []) + [
        n for n in names if norm_key(n) not in others]


def _text_sheet(path, wb, name):
    """(first sheet row, column offset, head rows, text columns) of a sheet: bulk when possible."""
    fast = read_text_columns(path, name)
    if fast is not None:
        return fast
    ws = wb.get_sheet_by_name(name)
    start = ws.start
    gc.disable()  # a million small lists, none cyclic: the collector would only rescan them
    try:
        columns = text_columns_from_rows(ws.iter_rows())
    finally:
        gc.enable()
    del ws
    height = len(columns[0]) if columns else 0
    head = [[None if pd.isna(c.iat[i]) else c.iat[i] for c in columns] for i in range(min(HEAD_ROWS, height))]
    return 1, (start[1] if start else 0), head, columns


def _read_receivables(path, wb, names, by_norm, settings: Settings):
    found = None
    for name in _receivables_candidates(names, by_norm):
        first_row, off, head, columns = _text_sheet(path, wb, name)
        header = find_header(head, settings.column_map)
        if header:
            found = name, first_row, off, columns, header
            break
    if not found:
        where = by_norm.get(norm_key(RECEIVABLES), names[0] if names else "the workbook")
        return None, empty_items(), pd.DataFrame(columns=["customer_key", *CONTACT_FIELDS, "email_cell"]), [
            Problem(f"{where}!A1", "no receivables header found: expected columns such as Customer, "
                                   "Invoice #, Due Date and Amount or Open Balance")], 0
    sheet, first_row, off, columns, (hidx, mapping) = found
    mapping = {f: j for f, j in mapping.items() if f in READ_FIELDS}
    cols = {j: columns[j].iloc[hidx + 1:].reset_index(drop=True) for j in sorted(set(mapping.values()) | {0})}
    del columns
    n = len(cols[0])
    header_row = first_row + hidx
    layout = Layout(sheet, header_row, {f: j + off for f, j in mapping.items()}, header_row + n)
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


def _read_customers(path, wb, by_norm, settings: Settings):
    """Per-customer contact details and preferences (Customers sheet), keyed like the items."""
    cols = ["customer_key", "customer", "email", "contact", "phone", "address", "language",
            "time_zone", "customer_type", "do_not_contact", "hold_until", "email_cell"]
    empty = pd.DataFrame(columns=cols).astype({"hold_until": "datetime64[s]"})
    if norm_key(CUSTOMERS) not in by_norm:
        return empty, []
    sheet = by_norm[norm_key(CUSTOMERS)]
    first_row, off, head, columns = _text_sheet(path, wb, sheet)
    found = next(((i, m) for i, r in enumerate(head[:20]) for m in [map_headers(list(r), settings.column_map)]
                  if "customer" in m or "customer_id" in m), None)
    if found is None:
        return empty, []
    hidx, mapping = found
    n = len(columns[0]) - hidx - 1
    rows = np.arange(first_row + hidx + 1, first_row + hidx + 1 + n)

    def text(f):
        return text_column(columns[mapping[f]].iloc[hidx + 1:]) if f in mapping else np.full(n, "", dtype=object)

    name, cid = text("customer"), text("customer_id")
    keep = (name != "") | (cid != "")
    problems = []
    hold = np.full(n, np.datetime64("NaT", "D"))
    if "hold_until" in mapping:
        hold, bad = parse_dates(columns[mapping["hold_until"]].iloc[hidx + 1:].reset_index(drop=True),
                                date_order(settings.locale))
        problems = [Problem(address(sheet, mapping["hold_until"] + off, rows[i]),
                            f'hold-until date "{v}" is not a date') for i, v in bad.items() if keep[i]]
    frame = pd.DataFrame({
        "customer_key": customer_keys(cid[keep], name[keep]), "customer": name[keep],
        **{f: text(f)[keep] for f in cols[2:9]},
        "do_not_contact": map_unique(text("do_not_contact")[keep],
                                     lambda v: v.lower() in ("1", "true", "yes", "y", "x")).astype(bool),
        "hold_until": pd.Series(hold[keep]).astype("datetime64[s]"),
        "email_cell": [address(sheet, mapping["email"] + off, r) for r in rows[keep]] if "email" in mapping
        else "",
    }, columns=cols)
    return frame, problems


def _read_history(path, wb, by_norm, settings: Settings):
    """History as a frame (customer_key, date, level, action, outcome, promise_date, promise_minor, ...).

    Read in bulk like Receivables: History grows by a row per contact, run after run.
    """
    cols = ["customer_key", "customer", "date", "level", "action", "outcome", "promise_date",
            "promise_minor", "amount_minor", "channel", "document", "message_id", "run_date", "row"]
    dates = {"date": "datetime64[s]", "promise_date": "datetime64[s]", "run_date": "datetime64[s]"}
    empty = pd.DataFrame(columns=cols).astype(dates)
    if norm_key(HISTORY) not in by_norm:
        return empty, []
    sheet = by_norm[norm_key(HISTORY)]
    first_row, off, head, columns = _text_sheet(path, wb, sheet)
    hidx = next((i for i, r in enumerate(head[:20])
                 if sum(norm_key(v) in HISTORY_FIELDS for v in r if isinstance(v, str)) >= 2), None)
    if hidx is None:
        return empty, []
    where = {HISTORY_FIELDS[norm_key(v)]: j for j, v in enumerate(head[hidx])
             if isinstance(v, str) and norm_key(v) in HISTORY_FIELDS}
    n = len(columns[0]) - hidx - 1 if columns else 0
    blank = pd.Series([None] * n, dtype="str")

    def col(key):
        return columns[where[key]].iloc[hidx + 1:].reset_index(drop=True) if key in where else blank

    rows = np.arange(first_row + hidx + 1, first_row + hidx + 1 + n)
    filled = np.zeros(n, bool)
    for j in where.values():
        filled |= ~blank_series(columns[j].iloc[hidx + 1:])
    problems: list[tuple[int, Problem]] = []

    def report(mask, key, message):
        for i in np.flatnonzero(mask & filled):
            problems.append((i, Problem(address(sheet, where.get(key, 0) + off, rows[i]), message(i))))

    order = date_order(settings.locale)
    stamp_text = col("timestamputc")
    when, bad = parse_dates(stamp_text.str.slice(0, 10), order)
    no_date = np.isnat(when)
    report(no_date, "timestamputc", lambda i: f'History timestamp "{stamp_text.iat[i] or ""}" is not a date; '
                                              f"row ignored")
    promise, bad_promise = parse_dates(col("promisedate"), order)
    report(_mask(bad_promise, n), "promisedate",
           lambda i: f'promise date "{bad_promise[i]}" is not a date; promise ignored')
    digits = np.full(n, minor_digits(settings.currency))
    amounts = {}
    for key, label in (("promiseamount", "promise amount"), ("amountdue", "amount")):
        minor, _, bad_amount = parse_amounts(col(key), digits)
        report(_mask(bad_amount, n), key, lambda i, b=bad_amount, lb=label: f'{lb} "{b[i]}" is not an amount')
        amounts[key] = minor
    level_text = col("level")
    level = pd.to_numeric(level_text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    bad_level = np.isnan(level) & ~blank_series(level_text)
    report(bad_level, "level", lambda i: f'level "{level_text.iat[i]}" is not a number')
    keep = filled & ~no_date
    name, cid = text_column(col("customer"))[keep], text_column(col("customerid"))[keep]
    frame = pd.DataFrame({
        "customer_key": customer_keys(cid, name), "customer": name,
        "date": pd.Series(when[keep]).astype("datetime64[s]"), "level": level[keep],
        "action": map_unique(text_column(col("action"))[keep], lambda a: " ".join(a.lower().split())),
        "outcome": text_column(col("outcome"))[keep],
        "promise_date": pd.Series(promise[keep]).astype("datetime64[s]"),
        "promise_minor": amounts["promiseamount"][keep], "amount_minor": amounts["amountdue"][keep],
        "channel": text_column(col("channel"))[keep], "document": text_column(col("document"))[keep],
        "message_id": text_column(col("messageid"))[keep],
        "run_date": pd.Series(map_unique(text_column(col("runid"))[keep], _run_date)).astype("datetime64[s]"),
        "row": rows[keep]}, columns=cols)
    problems.sort(key=lambda p: p[0])
    return frame, [p for _, p in problems]


def _mask(indexes: dict, n: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[list(indexes)] = True
    return m


def _run_date(run_id) -> pd.Timestamp:
    """The as-of date in a run id written by arcollect ('run-20261130-101500Z'), else NaT."""
    m = re.match(r"run-(\d{4})(\d{2})(\d{2})-", str(run_id or ""))
    return pd.Timestamp(int(m[1]), int(m[2]), int(m[3])) if m else pd.NaT


def _read_approvals(wb, by_norm) -> dict[tuple[str, int], bool]:
    """Approve ticks on the current Actions sheet, keyed by (customer key, level)."""
    if norm_key(ACTIONS) not in by_norm:
        return {}
    sheet = by_norm[norm_key(ACTIONS)]
    rows, off = _sheet_rows(wb, sheet)
    aliases = {"customerkey": "key", "level": "level", "approve": "approve"}
    out = {}
    for values, _, _ in _records(rows, off, sheet, aliases, header_index=0):
        try:
            out[(str(values.get("key", "")), int(float(values.get("level") or 0)))] = \
                str(values.get("approve", "")).strip().lower() in ("1", "true", "yes", "y", "x", "✓")
        except ValueError:
            continue
    return out
