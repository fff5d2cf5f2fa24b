"""The receivables sheet: which sheet and header row, which column is which, and its rows as typed items.

Totals, section headings, blank rows and exact repeats of a row in exports
are recognised; each bad cell becomes a problem naming it, and its row is
skipped. A book with no receivables, or whose receivables lack a required
column, raises (nothing is then written) with one sentence saying what to do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.model import Problem, quote
from ..core.money import minor_digits
from ..core.parse import Conventions
from ..core.settings import Settings, norm_key
from . import bulk
from .bulk import HeadMismatch, SheetData
from .cells import address
from .inference import (Mapping, MissingColumn, NoReceivables, date_note, infer, missing_message,
                        unmatched_setting_problems)
from .schema import STRENGTH, assign, groups_found
from .statuses import status_key, status_of
from .typed import Column, empty_column
from .values import amount_texts, column_amounts, column_dates, column_text, map_unique, reads_all, swapped

READ_FIELDS = ("customer_id", "document", "doc_type", "invoice_date", "due_date", "paid_date", "balance",
               "amount", "paid", "currency", "status", "hold_until", "customer", "email", "contact", "phone",
               "address", "language", "time_zone", "customer_type")
CONTACT_FIELDS = ("email", "contact", "phone", "address", "language", "time_zone", "customer_type")
NEGATIVE_TYPES = {"creditnote", "creditmemo", "credit", "payment", "receivepayment", "receipt",
                  "unappliedpayment", "unappliedcash", "cash", "prepayment", "overpayment"}
NAMES = {"invoice_date": "invoice date", "due_date": "due date", "paid_date": "paid date",
         "hold_until": "hold-until date", "balance": "open balance", "amount": "amount", "paid": "paid amount"}


@dataclass
class Layout:
    """Where the receivables are: which sheet, which header row, which column is which, and why."""

    sheet: str
    header_row: int  # 1-based
    columns: dict[str, int]  # field -> 0-based absolute column
    last_row: int = 0
    mapping: Mapping | None = None
    first_column: int = 0  # where section headings and totals are read

    def cell(self, fld: str, row: int) -> str:
        """The cell of a field in a row; the first column's for a field with no column."""
        return address(self.sheet, self.columns.get(fld, self.first_column), row)

    @property
    def inferred(self) -> bool:
        """True when the columns were recognised rather than matched exactly: worth printing once."""
        return bool(self.mapping and self.mapping.inferred)


@dataclass
class Receivables:
    """The receivables read from one sheet (or CSV)."""

    layout: Layout
    items: pd.DataFrame
    contacts: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0

    @property
    def notes(self) -> list[Problem]:
        return self.layout.mapping.notes if self.layout.mapping else []


def customer_keys(ids, names) -> np.ndarray:
    """Customer id when given, else the name folded for case and spacing."""
    folded = map_unique(names, lambda n: " ".join(str(n).casefold().split()))
    return np.where(np.asarray(ids, dtype=object) != "", ids, folded)


def empty_items() -> pd.DataFrame:
    dates = pd.Series([], dtype="datetime64[s]")
    return pd.DataFrame({
        "row": pd.Series([], dtype="int64"), "customer_key": [], "customer": [], "customer_id": [],
        "document": [], "currency": [], "amount_minor": pd.Series([], dtype="int64"),
        "paid_minor": pd.Series([], dtype="int64"), "paid_date": dates, "invoice_date": dates,
        "due_date": dates, "status": [], "hold_until": dates})


def empty_contacts() -> pd.DataFrame:
    return pd.DataFrame(columns=["customer_key", *CONTACT_FIELDS, "email_cell"])


# --- which sheet, which header row ----------------------------------------------------------

def _header_score(row: list, overrides) -> tuple:
    chosen = assign(row, overrides)
    return (groups_found(chosen), len(chosen), sum(STRENGTH[c.reason] for c in chosen.values()))


def _best_header(data: SheetData, overrides) -> tuple[tuple, int]:
    """(score, head index) of the head row that names the most of what a receivables header has."""
    scored = [(_header_score(r, overrides), i) for i, r in enumerate(data.head)]
    return max(scored, key=lambda s: (s[0], -s[1]), default=((0, 0, 0), 0))


def _content_header(data: SheetData) -> int | None:
    """A row of three or more distinct texts above a row of numbers or dates: a header no word matched."""
    for i, row in enumerate(data.head[:-1]):
        texts = {j: v.strip() for j, v in enumerate(row) if isinstance(v, str) and v.strip()}
        below = data.head[i + 1]
        typed = sum(1 for j in texts if j < len(below) and below[j] is not None and not isinstance(below[j], str))
        dated = sum(1 for j in texts if j < len(below) and isinstance(below[j], str)
                    and re.match(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", below[j]))
        if len(texts) >= 3 and len(set(texts.values())) == len(texts) and \
                len(texts) == sum(v is not None for v in row) and typed + dated >= 2:
            return i
    return None


def _attempts(sheets: list[SheetData], overrides) -> list[tuple[SheetData, int]]:
    """(sheet, head index) to try, best first: header rows naming two of what, when and how much (a sheet
    named Receivables first), then rows that only look like a header above data."""
    scored = [(_best_header(d, overrides), k, d) for k, d in enumerate(sheets)]
    named = [(s, k, d) for s, k, d in scored if norm_key(d.name) == "receivables" and s[0][0] >= 2]
    by_words = named + sorted((x for x in scored if x[0][0][0] >= 2 and x not in named),
                              key=lambda x: (x[0][0], -x[1]), reverse=True)
    by_content = [(d, i) for _, _, d in scored if (i := _content_header(d)) is not None
                  and all(d is not w[2] for w in by_words)]
    return [(d, s[1]) for s, _, d in by_words] + by_content


def read_receivables(path, wb, candidates: list[str], settings: Settings, setting_cells: dict[str, str] | None = None,
                     currency_from_headers: bool = False) -> Receivables:
    """The receivables of the best candidate sheet; NoReceivables or MissingColumn when there are none."""
    sheets = [bulk.open_sheet(path, wb, name) for name in candidates]
    return read_from_sheets(path, sheets, settings, setting_cells, currency_from_headers,
                            reopen=lambda name: bulk.open_sheet(path, wb, name, fast=False))


def read_from_sheets(path, sheets: list[SheetData], settings: Settings, setting_cells=None,
                     currency_from_headers: bool = False, reopen=None) -> Receivables:
    """The receivables of the first sheet whose columns are complete (see read_receivables)."""
    book = getattr(path, "name", str(path))
    overrides = settings.column_map
    failed = None
    for data, hidx in _attempts(sheets, overrides):
        try:
            columns = data.load(hidx)
        except HeadMismatch:
            data = reopen(data.name)
            score, hidx = _best_header(data, overrides)
            hidx = hidx if score[0] >= 2 else _content_header(data)
            if hidx is None:
                continue
            columns = data.load(hidx)
        header_row = data.first_row + hidx
        mapping, unmatched = infer(data.name, header_row, data.head[hidx], columns, data.offset, overrides,
                                   settings.conventions)
        if mapping.complete:
            problems = unmatched_setting_problems(unmatched, setting_cells or {}, data.name,
                                                  list(mapping.headers.values()))
            got = build(data, columns, mapping, settings, currency_from_headers)
            got.problems[:0] = problems
            return got
        failed = failed or (data, mapping)
    if failed is None:
        names = ", ".join(f'"{d.name}"' for d in sheets) or "none"
        raise NoReceivables(f"{book}: no receivables sheet found (sheets: {names}): expected a header row with "
                            f"columns such as Customer, Invoice #, Due Date and Amount or Open Balance. "
                            f"Nothing was written.")
    data, mapping = failed
    raise MissingColumn(missing_message(book, data.name, mapping.header_row, mapping,
                                        list(mapping.headers.values())))


# --- rows to items ----------------------------------------------------------------------------

def build(data: SheetData, columns: list[Column], mapping: Mapping, settings: Settings,
          currency_from_headers: bool = False) -> Receivables:
    """Typed items from the columns below the header; totals, sections, blanks and repeats recognised."""
    n = len(columns[0]) if columns else 0
    header_row = mapping.header_row
    fields = {f: c.column - data.offset for f, c in mapping.choices.items() if f in READ_FIELDS}
    width = max([len(columns), *(j + 1 for j in fields.values())])
    columns = list(columns) + [empty_column(n)] * (width - len(columns))
    layout = Layout(data.name, header_row, {f: j + data.offset for f, j in fields.items()}, header_row + n, mapping,
                    data.offset)
    rows = np.arange(header_row + 1, header_row + 1 + n)
    problems: list[tuple[int, Problem]] = []
    col = {f: columns[j] for f, j in fields.items()}
    merged = _fill_merged(data, col, fields, rows, problems)
    blank_text = np.full(n, "", dtype=object)

    def text(f):
        return column_text(col[f]) if f in col else blank_text

    conv = settings.conventions
    order, note = date_note(data.name, {f: address(data.name, fields[f] + data.offset, header_row)
                                        for f in col}, {f: c for f, c in col.items() if f in NAMES and
                                                        f not in ("balance", "amount", "paid")}, conv)
    if note:
        mapping.notes.append(note)
    money_conv, note = _separators({f: c for f, c in col.items() if f in ("balance", "amount", "paid")}, conv,
                                   lambda f: address(data.name, fields[f] + data.offset, header_row))
    if note:
        mapping.notes.append(note)

    document, customer, cust_id = text("document"), text("customer"), text("customer_id")
    doc_type = text("doc_type")
    default_currency = (mapping.currency_hint if currency_from_headers and mapping.currency_hint
                        else settings.currency)
    currency = map_unique(text("currency"), lambda c: c.upper() or default_currency)
    digits = map_unique(currency, minor_digits).astype("int64")

    parsed_dates = {f: column_dates(col[f], order) if f in col else (np.full(n, np.datetime64("NaT", "D")), {})
                    for f in ("invoice_date", "due_date", "paid_date", "hold_until")}
    parsed_money = {f: column_amounts(col[f], digits, money_conv) for f in ("balance", "amount", "paid")
                    if f in col}

    money_given = np.zeros(n, bool)
    for minor, blank, bad in parsed_money.values():
        money_given |= ~blank
        money_given[list(bad)] = True
    dated = np.zeros(n, bool)
    for arr, bad in parsed_dates.values():
        dated |= ~np.isnat(arr)
        dated[list(bad)] = True
    has_doc = document != ""
    label = column_text(columns[0])
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
        for j in {j for j in fields.values() if j != 0}:
            alone &= ~columns[j].filled()[candidates]
        is_section[candidates[alone]] = True
    data_rows = ~is_blank_row & ~is_total & ~is_section
    if "customer" not in col and "customer_id" in col:
        customer = cust_id  # a customer id alone serves as the customer
    elif "customer" not in col:  # exports grouping items under a customer heading
        heading = pd.Series(np.where(is_section, label, None), dtype=object).ffill()
        customer = heading.fillna("").to_numpy(dtype=object)

    def report(mask, fld, message):
        for i in np.flatnonzero(mask & data_rows):
            problems.append((i, Problem(layout.cell(fld, rows[i]), message(i))))

    skip = np.zeros(n, bool)
    for f, (arr, bad) in parsed_dates.items():
        m = _mask(bad, n)
        report(m, f, lambda i, f=f, bad=bad: f"{NAMES[f]} {quote(bad[i])} is not a date")
        skip |= m
    for f, (minor, blank, bad) in parsed_money.items():
        m = _mask(bad, n)
        report(m, f, lambda i, f=f, bad=bad: f"{NAMES[f]} {quote(bad[i])} is not an amount")
        skip |= m

    amount, paid, amount_field, amount_blank = _amounts(parsed_money, parsed_dates["paid_date"][0], n)
    negative_type = map_unique(doc_type, lambda t: norm_key(t) in NEGATIVE_TYPES).astype(bool)
    flip = negative_type & (amount > 0)
    amount = np.where(flip, -amount, amount)
    paid = np.where(flip, -paid, paid)

    m = amount_blank & ~skip
    report(m, amount_field, lambda i: f"{NAMES[amount_field]} is empty")
    skip |= m
    m = (customer == "") & ~skip
    report(m, "customer" if "customer" in col else "customer_id", lambda i: "customer is empty")
    skip |= m
    positive = amount - paid > 0
    m = positive & ~has_doc & ~skip
    report(m, "document", lambda i: "invoice number is empty")
    skip |= m
    inv, due = parsed_dates["invoice_date"][0], parsed_dates["due_date"][0]
    m = positive & np.isnat(inv) & np.isnat(due) & ~skip
    report(m, "due_date" if "due_date" in col else "invoice_date",
           lambda i: "due date is empty (and there is no invoice date to age it by)")
    skip |= m
    bad_cur = ~map_unique(currency, lambda c: bool(re.fullmatch(r"[A-Z]{3}", c))).astype(bool) & ~skip
    report(bad_cur, "currency", lambda i: f"currency {quote(currency[i])} is not a 3-letter ISO code like EUR")
    skip |= bad_cur
    status_raw = text("status")
    status = map_unique(status_raw, status_of)
    m = pd.isna(status) & ~skip & data_rows
    problems += _unknown_statuses(m, status_raw, layout, rows)
    skip |= m
    repeats = _repeats(columns, data_rows & ~skip, document)
    if repeats.any():
        mapping.notes.append(_repeat_note(repeats, layout, rows, "document" if "document" in col else None))
        skip |= repeats

    keep = data_rows & ~skip
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
    contacts = _first_contacts(items["customer_key"].to_numpy(), {f: col[f] for f in CONTACT_FIELDS if f in col},
                               keep, layout, rows)
    problems.sort(key=lambda p: p[0])
    skipped = int((skip & data_rows & ~repeats).sum())
    return Receivables(layout, items, contacts, merged + [p for _, p in problems], skipped)


def _mask(indexes: dict, n: int) -> np.ndarray:
    m = np.zeros(n, bool)
    m[list(indexes)] = True
    return m


def _amounts(parsed_money: dict, paid_date: np.ndarray, n: int):
    """(amount, paid, the field the amount is from, amount blank): the balance where given, else the amount
    less what was paid; a paid date with neither a balance nor a paid amount means paid in full then."""
    if "balance" in parsed_money:
        amount, amount_blank, _ = parsed_money["balance"]
        paid = np.zeros(n, "int64")
        if "amount" in parsed_money:  # fall back to amount where the balance cell is empty
            a, a_blank, _ = parsed_money["amount"]
            amount = np.where(amount_blank, a, amount)
            amount_blank = amount_blank & a_blank
        return amount, paid, "balance", amount_blank
    amount, amount_blank, _ = parsed_money["amount"]
    if "paid" in parsed_money:
        paid = parsed_money["paid"][0]
    else:
        paid = np.where(np.isnat(paid_date), 0, amount)
    return amount, paid, "amount", amount_blank


def _separators(columns: dict[str, Column], conv: Conventions, cell) -> tuple[Conventions, Problem | None]:
    """(the conventions to read text amounts with, a note when they are not the locale's): the locale's
    separators unless some text amount is impossible with them and the other convention reads them all."""
    texts = {f: t for f, c in columns.items() if (t := amount_texts(c))}
    every = [t for ts in texts.values() for t in ts]
    other = swapped(conv)
    if reads_all(every, conv) or not reads_all(every, other):
        return conv, None
    sample = next(t for t in every if not reads_all([t], conv))
    name = "comma" if other.decimal == "," else "point"
    return other, Problem(", ".join(cell(f) for f in texts),
                          f"amounts read with a decimal {name} ({quote(sample)}): the locale's separators do not "
                          f"fit them")


def _unknown_statuses(mask: np.ndarray, raw: np.ndarray, layout: Layout, rows: np.ndarray) -> list[tuple]:
    """One problem per distinct unknown status, at its first cell, with how many rows have it."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return []
    keys = pd.Series(map_unique(raw[idx], status_key))
    out = []
    for _, group in keys.groupby(keys, sort=False):
        first = idx[group.index[0]]
        count = len(group)
        rows_text = f"{count} rows like it are skipped" if count > 1 else "the row is skipped"
        out.append((int(first), Problem(layout.cell("status", rows[first]),
                                        f"status {quote(raw[first])} is not one of open, disputed, promise, plan, "
                                        f"legal, closed ({rows_text})")))
    return out


def _repeats(columns: list[Column], candidates: np.ndarray, document: np.ndarray) -> np.ndarray:
    """Rows identical in every cell to an earlier row: an export listing one invoice twice."""
    out = np.zeros(len(candidates), bool)
    idx = np.flatnonzero(candidates)
    if len(idx) < 2:
        return out
    same_doc = pd.Series(document[idx]).duplicated(keep=False).to_numpy()
    idx = idx[same_doc]
    if not len(idx):
        return out
    whole = pd.DataFrame({j: column_text(c.take(idx)) for j, c in enumerate(columns)})
    out[idx[whole.duplicated(keep="first").to_numpy()]] = True
    return out


def _repeat_note(repeats: np.ndarray, layout: Layout, rows: np.ndarray, fld: str | None) -> Problem:
    at = rows[np.flatnonzero(repeats)]
    listed = ", ".join(str(r) for r in at[:5]) + (f" and {len(at) - 5} more" if len(at) > 5 else "")
    return Problem(layout.cell(fld or "", int(at[0])),
                   f"{len(at)} row(s) repeat an earlier row in every cell (rows {listed}): each is read once")


def _fill_merged(data: SheetData, col: dict[str, Column], fields: dict[str, int], rows: np.ndarray,
                 problems: list) -> list[Problem]:
    """Cells a vertically merged range covers take its value (Excel shows it there; readers see blanks),
    and each such range over the items is reported once. Looked for only when an item row has blank
    required cells: the merged ranges are listed at the end of the sheet."""
    required = [f for f in ("customer", "customer_id", "document", "due_date", "invoice_date", "balance", "amount")
                if f in col]
    if not required or not len(rows):
        return []
    filled = np.column_stack([col[f].filled() for f in required])
    some, every = filled.any(axis=1), filled.all(axis=1)
    inside = np.zeros(len(rows), bool)
    if some.any():
        first, last = np.flatnonzero(some)[[0, -1]]
        inside[first:last + 1] = True
    if not ((some & ~every) | (inside & ~some)).any():
        return []
    by_col = {j: f for f, j in fields.items()}
    first_row = rows[0]
    out = []
    for r1, c1, r2, c2 in data.merges():
        f = by_col.get(c1 - data.offset)
        if f is None or r2 <= r1 or r2 < first_row or r1 < first_row or r1 > rows[-1]:
            continue
        anchor = r1 - first_row
        value = col[f].cell(anchor)
        if value is None:
            continue
        for r in range(r1 + 1, min(r2, rows[-1]) + 1):
            col[f].other[r - first_row] = value
        ref = f"{address(data.name, c1, r1)}:{address(data.name, c2, r2).split('!')[1]}"
        out.append(Problem(ref, f"merged cells: {quote(value)} is read for each of rows {r1}-{r2}; "
                                f"unmerge them and fill the value in each row"))
    return out


def _first_contacts(keys: np.ndarray, raw: dict[str, Column], keep: np.ndarray, layout: Layout,
                    rows: np.ndarray) -> pd.DataFrame:
    """Per customer, the first non-empty contact detail on its items (and the email's cell)."""
    codes, uniques = pd.factorize(keys)
    out = pd.DataFrame({"customer_key": uniques})
    out["email_cell"] = ""
    kept_rows = rows[keep]
    for f in CONTACT_FIELDS:
        values = np.full(len(uniques), "", dtype=object)
        if f in raw:
            text = column_text(raw[f])[keep]
            idx = np.flatnonzero(text != "")
            found, first = np.unique(codes[idx], return_index=True)
            values[found] = text[idx[first]]
            if f == "email":  # the cell to name: the email used, else where it is missing
                _, first_any = np.unique(codes, return_index=True)
                cell_rows = kept_rows[first_any].copy()
                cell_rows[found] = kept_rows[idx[first]]
                out["email_cell"] = [layout.cell("email", r) for r in cell_rows]
        out[f] = values
    return out
