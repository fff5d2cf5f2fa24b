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
from .bulk import HeadMismatch, SheetData
from .cells import address
from .inference import (Mapping, MissingColumn, NoReceivables, date_orders, infer, missing_field, missing_message,
                        unmatched_setting_problems)
from .schema import STRENGTH, assign, groups_found
from .statuses import closing_of, status_key, status_of
from .typed import Column, empty_column
from .values import (amount_texts, column_amounts, column_codes, column_dates, column_strings, column_text, map_text,
                     map_unique, reads_all, swapped, text_by_code)

READ_FIELDS = ("customer_id", "document", "doc_type", "invoice_date", "due_date", "paid_date", "closed_date",
               "balance", "amount", "paid", "currency", "status", "hold_until", "customer", "email", "contact", "phone",
               "address", "language", "time_zone", "customer_type")
CONTACT_FIELDS = ("email", "contact", "phone", "address", "language", "time_zone", "customer_type")
NEGATIVE_TYPES = {"creditnote", "creditmemo", "credit", "payment", "receivepayment", "receipt",
                  "unappliedpayment", "unappliedcash", "cash", "prepayment", "overpayment"}
DATE_FIELDS = ("invoice_date", "due_date", "paid_date", "closed_date", "hold_until")
MONEY_FIELDS = ("balance", "amount", "paid")
NAMES = {"invoice_date": "invoice date", "due_date": "due date", "paid_date": "paid date",
         "closed_date": "closed date", "hold_until": "hold-until date", "balance": "open balance", "amount": "amount",
         "paid": "paid amount"}


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


def customer_keys(ids, names) -> pd.Series:
    """Customer id when given, else the name folded for case and spacing (text arrays or Series)."""
    ids, names = (pd.Series(v, dtype="str").reset_index(drop=True) for v in (ids, names))
    unnamed = np.flatnonzero((ids == "").to_numpy(dtype=bool))
    if not len(unnamed):
        return ids
    folded = map_text(names.iloc[unnamed], lambda n: " ".join(str(n).casefold().split()))
    out = ids.copy()
    out.iloc[unnamed] = folded.to_numpy(dtype=object)
    return out


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
        typed = sum(1 for j in texts if j < len(below) and below[j] is not None
                    and (not isinstance(below[j], str) or _NUMBER_OR_DATE.fullmatch(below[j].strip())))
        if len(texts) >= 3 and len(set(texts.values())) == len(texts) and \
                len(texts) == sum(v is not None for v in row) and typed >= 2:
            return i
    return None


_NUMBER_OR_DATE = re.compile(r"-?[\d.,]+|\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")


def _attempts(sheets: list[SheetData], overrides) -> list[tuple[SheetData, int]]:
    """(sheet, head index) to try, best first: header rows naming two of what, when and how much (a sheet
    named Receivables first), then rows that only look like a header above data, then rows naming one."""
    scored = [(_best_header(d, overrides), k, d) for k, d in enumerate(sheets)]
    named = [(s, k, d) for s, k, d in scored if norm_key(d.name) == "receivables" and s[0][0] >= 2]
    by_words = named + sorted((x for x in scored if x[0][0][0] >= 2 and x not in named),
                              key=lambda x: (x[0][0], -x[1]), reverse=True)
    tried = {id(d) for _, _, d in by_words}
    by_content = [(d, i) for _, _, d in scored if id(d) not in tried and (i := _content_header(d)) is not None]
    tried |= {id(d) for d, _ in by_content}
    one_word = [(d, s[1]) for s, _, d in scored if id(d) not in tried and s[0][0] == 1]
    return [(d, s[1]) for s, _, d in by_words] + by_content + one_word


def read_receivables(path, source, candidates: list[str], settings: Settings,
                     setting_cells: dict[str, str] | None = None, currency_from_headers: bool = False,
                     owned_columns: dict | None = None) -> Receivables:
    """The receivables of the best candidate sheet; NoReceivables or MissingColumn when there are none.

    source: the book's sheets (FileSheets or ValueSheets, see reader.read_sheets).
    setting_cells: {Column setting key: its cell}, to report a setting naming no header.
    currency_from_headers: a currency an amount header names ("Balance (ILS)") is the rows' default.
    owned_columns: {sheet: (c1, r1, c2, r2)} of the header cells of arcollect's own columns (never input).
    """
    sheets = [source.sheet(name) for name in candidates]
    return read_from_sheets(path, sheets, settings, setting_cells, currency_from_headers,
                            reopen=lambda name: source.sheet(name, fast=False),
                            owned_columns=owned_columns)


def read_from_sheets(path, sheets: list[SheetData], settings: Settings, setting_cells=None,
                     currency_from_headers: bool = False, reopen=None, owned_columns=None) -> Receivables:
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
        header, inputs = _without_owned(data, hidx, columns, (owned_columns or {}).get(data.name))
        mapping, unmatched = infer(data.name, header_row, header, inputs, data.offset, overrides,
                                   settings.conventions)
        if mapping.complete:
            problems = unmatched_setting_problems(unmatched, setting_cells or {}, data.name,
                                                  list(mapping.headers.values()))
            got = build(data, columns, mapping, settings, currency_from_headers)
            if got is None:  # neither a customer column nor section headings naming the customers
                raise MissingColumn(missing_message(book, mapping, "customer"))
            got.problems[:0] = problems
            return got
        failed = failed or mapping
    if failed is None:
        names = ", ".join(f'"{d.name}"' for d in sheets) or "none"
        raise NoReceivables(f"{book}: no receivables sheet found (sheets: {names}): expected a header row with "
                            f"columns such as Customer, Invoice #, Due Date and Amount or Open Balance. "
                            f"Nothing was written.")
    raise MissingColumn(missing_message(book, failed, missing_field(failed)))


def _without_owned(data: SheetData, hidx: int, columns: list[Column], owned) -> tuple[list, list[Column]]:
    """(header row, columns) with arcollect's own columns (its flags, by their mark) left out of both."""
    header, columns = list(data.head[hidx]), list(columns)
    if owned and owned[1] == data.first_row + hidx:
        for j in range(max(owned[0] - 1 - data.offset, 0), owned[2] - data.offset):
            if j < len(header):
                header[j] = None
            if j < len(columns):
                columns[j] = empty_column(len(columns[j]))
    return header, columns


# --- rows to items ----------------------------------------------------------------------------

def build(data: SheetData, columns: list[Column], mapping: Mapping, settings: Settings,
          currency_from_headers: bool = False) -> Receivables | None:
    """Typed items from the columns below the header; totals, sections, blanks and repeats recognised.
    None when items have no customer: no customer column and no section headings naming them."""
    n = len(columns[0]) if columns else 0
    header_row = mapping.header_row
    fields = {f: c.column - data.offset for f, c in mapping.choices.items() if f in READ_FIELDS}
    columns = list(columns) + [empty_column(n)] * (max([len(columns), *(j + 1 for j in fields.values())])
                                                   - len(columns))
    layout = Layout(data.name, header_row, {f: j + data.offset for f, j in fields.items()}, header_row + n, mapping,
                    data.offset)
    rows = np.arange(header_row + 1, header_row + 1 + n)
    col = {f: columns[j] for f, j in fields.items()}
    problems: list[tuple[int, Problem]] = []
    merged = _fill_merged(data, col, fields, rows)
    blank_text = pd.Series([""] * n, dtype="str")

    def text(f) -> pd.Series:
        return column_strings(col[f]) if f in col else blank_text

    def header_cell(f) -> str:
        return address(data.name, fields[f] + data.offset, header_row)

    conv = settings.conventions
    in_order = sorted(col, key=fields.get)
    orders, note = date_orders({f: header_cell(f) for f in col}, {f: col[f] for f in in_order if f in DATE_FIELDS},
                               conv)
    money_conv, money_note = _separators({f: c for f, c in col.items() if f in MONEY_FIELDS}, conv, header_cell)
    mapping.notes += [x for x in (note, money_note) if x]

    document, customer, cust_id, doc_type = text("document"), text("customer"), text("customer_id"), text("doc_type")
    default_currency = mapping.currency_hint if currency_from_headers and mapping.currency_hint else settings.currency
    codes, found = column_codes(col["currency"]) if "currency" in col else (np.zeros(n, np.intp), [""])
    currencies = [c.upper() or default_currency for c in found]
    currency = text_by_code(currencies, codes)
    digits = np.array([minor_digits(c) for c in currencies], dtype="int64")[codes]
    valid_currency = np.array([bool(re.fullmatch(r"[A-Z]{3}", c)) for c in currencies], dtype=bool)[codes]
    parsed_dates = {f: column_dates(col[f], orders[f]) if f in col else (np.full(n, np.datetime64("NaT", "D")), {})
                    for f in DATE_FIELDS}
    parsed_money = {f: column_amounts(col[f], digits, money_conv) for f in MONEY_FIELDS if f in col}

    has_doc = (document != "").to_numpy(dtype=bool)
    data_rows, is_section = _item_rows(parsed_dates, parsed_money, has_doc, columns[0], document, customer, cust_id,
                                       [columns[j] for j in set(fields.values()) if j != 0])
    if "customer" not in col and "customer_id" in col:
        customer = cust_id  # a customer id alone serves as the customer
    elif "customer" not in col:  # exports grouping items under a customer heading
        if data_rows.any() and not is_section.any():
            return None
        customer = column_strings(columns[0]).where(is_section).ffill().fillna("")

    def report(mask, fld, message):
        for i in np.flatnonzero(mask & data_rows):
            problems.append((i, Problem(layout.cell(fld, rows[i]), message(i))))

    skip = np.zeros(n, bool)
    for f, (_, bad) in [*parsed_dates.items(), *((f, (m, b)) for f, (m, _, b) in parsed_money.items())]:
        m = _mask(bad, n)
        what = "a date" if f in DATE_FIELDS else "an amount"
        report(m, f, lambda i, f=f, bad=bad, what=what: f"{NAMES[f]} {quote(bad[i])} is not {what}")
        skip |= m

    amount, paid, amount_field, amount_blank = _amounts(parsed_money, parsed_dates["paid_date"][0], n)
    if "doc_type" in col:  # credit notes and payments count against the customer
        flip = map_unique(doc_type, lambda t: norm_key(t) in NEGATIVE_TYPES).astype(bool) & (amount > 0)
        amount, paid = np.where(flip, -amount, amount), np.where(flip, -paid, paid)
    positive = amount - paid > 0
    inv, due = parsed_dates["invoice_date"][0], parsed_dates["due_date"][0]
    for m, fld, message in (
            (amount_blank, amount_field, lambda i: f"{NAMES[amount_field]} is empty"),
            ((customer == "").to_numpy(dtype=bool), "customer" if "customer" in col else "customer_id",
             lambda i: "customer is empty"),
            (positive & ~has_doc, "document", lambda i: "invoice number is empty"),
            (positive & np.isnat(inv) & np.isnat(due), "due_date" if "due_date" in col else "invoice_date",
             lambda i: "due date is empty (and there is no invoice date to age it by)"),
            (~valid_currency, "currency",
             lambda i: f"currency {quote(currency.iat[i])} is not a 3-letter ISO code like EUR")):
        m = m & ~skip
        report(m, fld, message)
        skip |= m
    codes, words = column_codes(col["status"]) if "status" in col else (np.zeros(n, np.intp), [""])
    status = text_by_code([status_of(w) for w in words], codes)
    closed_as = text_by_code([closing_of(w) for w in words], codes)
    m = status.isna().to_numpy(dtype=bool) & ~skip & data_rows
    problems += _unknown_statuses(m, codes, words, layout, rows)
    skip |= m
    repeats = _repeats(columns, data_rows & ~skip, document)
    if repeats.any():
        mapping.notes.append(_repeat_note(repeats, layout, rows, "document" if "document" in col else ""))

    keep = data_rows & ~skip & ~repeats
    if not has_doc[keep].all():
        document = document.where(has_doc, doc_type.where(doc_type != "", "Unapplied payment"))
    items = pd.DataFrame({
        "row": rows[keep].astype("int64"),
        "customer_key": customer_keys(cust_id.array[keep], customer.array[keep]),
        "customer": customer.array[keep], "customer_id": cust_id.array[keep], "document": document.array[keep],
        "currency": currency.array[keep], "amount_minor": amount[keep].astype("int64"),
        "paid_minor": paid[keep].astype("int64"),
        **{f: pd.Series(parsed_dates[f][0][keep]).astype("datetime64[s]")
           for f in ("paid_date", "invoice_date", "due_date", "hold_until", "closed_date")},
        "status": status.array[keep], "closed_as": closed_as.array[keep],
    })
    contacts = _first_contacts(items["customer_key"], {f: col[f] for f in CONTACT_FIELDS if f in col},
                               keep, layout, rows)
    problems.sort(key=lambda p: p[0])
    return Receivables(layout, items, contacts, merged + [p for _, p in problems], int((skip & data_rows).sum()))


def _item_rows(parsed_dates, parsed_money, has_doc, first: Column, document, customer, cust_id, others):
    """(rows that are items, rows that are section headings): not blank, not a total, not a heading.

    A total ("Total for Current", "TOTAL") has no number and no date; a section
    heading ("Acme Ltd", "1 - 30 days past due") is text in the first column alone,
    and so is a note under the table (a sentence, even in the document column).
    """
    n = len(has_doc)
    money_given = np.zeros(n, bool)
    for _, blank, bad in parsed_money.values():
        money_given |= ~blank
        money_given[list(bad)] = True
    dated = np.zeros(n, bool)
    for arr, bad in parsed_dates.values():
        dated |= ~np.isnat(arr)
        dated[list(bad)] = True
    is_total = np.zeros(n, bool)
    maybe = np.flatnonzero(~(has_doc & dated))
    if len(maybe):
        for a in (column_strings(first.take(maybe)), document.iloc[maybe], customer.iloc[maybe]):
            is_total[maybe] |= (a.str[:5].str.lower() == "total").to_numpy(dtype=bool)
    named = ((customer != "") | (cust_id != "")).to_numpy(dtype=bool)
    is_blank_row = ~(has_doc | money_given | dated | named)
    is_section = np.zeros(n, bool)
    candidates = np.flatnonzero(first.filled() & ~is_total & (~has_doc | (~money_given & ~dated)))
    if len(candidates):
        label = column_strings(first.take(candidates))
        alone = pd.to_numeric(label, errors="coerce").isna().to_numpy(dtype=bool, copy=True) & (label != "").to_numpy(
            dtype=bool)
        prose = ((label.str.len() > 40) | (label.str.count(" ") >= 4)).to_numpy(dtype=bool)
        alone &= ~has_doc[candidates] | prose
        for c in others:
            alone &= ~c.filled()[candidates]
        is_section[candidates[alone]] = True
    return ~is_blank_row & ~is_total & ~is_section, is_section


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


def _unknown_statuses(mask: np.ndarray, codes: np.ndarray, words: list[str], layout: Layout,
                      rows: np.ndarray) -> list[tuple]:
    """One problem per distinct unknown status, at its first cell, with how many rows have it."""
    idx = np.flatnonzero(mask)
    keys = pd.Series(np.array([status_key(w) for w in words], dtype=object)[codes[idx]])
    out = []
    for _, group in keys.groupby(keys, sort=False):
        first = idx[group.index[0]]
        rows_text = f"{len(group)} rows like it are skipped" if len(group) > 1 else "the row is skipped"
        out.append((int(first), Problem(layout.cell("status", rows[first]),
                                        f"status {quote(words[codes[first]])} is not one of open, disputed, promise, "
                                        f"plan, legal, closed ({rows_text})")))
    return out


def _repeats(columns: list[Column], candidates: np.ndarray, document: pd.Series) -> np.ndarray:
    """Rows identical in every cell to an earlier row: an export listing one invoice twice."""
    out = np.zeros(len(candidates), bool)
    idx = np.flatnonzero(candidates)
    if len(idx) < 2:
        return out
    codes, distinct = pd.factorize(document.iloc[idx])
    if len(distinct) == len(idx):
        return out
    idx = idx[np.bincount(codes)[codes] > 1]
    if len(idx):
        whole = pd.DataFrame({j: column_text(c.take(idx)) for j, c in enumerate(columns)})
        out[idx[whole.duplicated(keep="first").to_numpy()]] = True
    return out


def _repeat_note(repeats: np.ndarray, layout: Layout, rows: np.ndarray, fld: str) -> Problem:
    at = rows[np.flatnonzero(repeats)]
    listed = ", ".join(str(r) for r in at[:5]) + (f" and {len(at) - 5} more" if len(at) > 5 else "")
    what = f"row {listed} repeats" if len(at) == 1 else f"rows {listed} repeat"
    return Problem(layout.cell(fld, int(at[0])), f"{what} an earlier row in every cell: read once")


def _fill_merged(data: SheetData, col: dict[str, Column], fields: dict[str, int], rows: np.ndarray) -> list[Problem]:
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


def _first_contacts(keys: pd.Series, raw: dict[str, Column], keep: np.ndarray, layout: Layout,
                    rows: np.ndarray) -> pd.DataFrame:
    """Per customer, the first non-empty contact detail on its items (and the email's cell).

    Most customers have it on their first item: only the others are looked for further down.
    """
    codes, uniques = pd.factorize(keys)
    out = pd.DataFrame({"customer_key": uniques})
    kept = np.flatnonzero(keep)
    where = kept[_first_of(codes, len(uniques))]  # each customer's first item
    email_rows = rows[where].copy()
    for f in CONTACT_FIELDS:
        values = np.full(len(uniques), "", dtype=object)
        if f in raw and raw[f].kind != "empty":
            values[:] = column_text(raw[f].take(where))
            missing = np.flatnonzero(values == "")
            if len(missing):
                text = column_strings(raw[f])[keep].reset_index(drop=True)
                idx = np.flatnonzero((text != "").to_numpy(dtype=bool) & np.isin(codes, missing))
                first = _first_of(codes[idx], len(uniques))
                found = first >= 0
                values[found] = text.iloc[idx[first[found]]].to_numpy(dtype=object)
                if f == "email":  # the cell to name: the email used, else where it is missing
                    email_rows[found] = rows[kept[idx[first[found]]]]
        out[f] = values
    out["email_cell"] = _cells(layout, "email", email_rows) if "email" in raw else ""
    return out


def _cells(layout: Layout, fld: str, rows: np.ndarray) -> np.ndarray:
    """The cells of a field in many rows, at once."""
    prefix = layout.cell(fld, 1)[:-1]
    return np.char.add(prefix, rows.astype(str)).astype(object)


def _first_of(codes: np.ndarray, k: int) -> np.ndarray:
    """For each of k codes, the position of its first occurrence (-1 when absent), without sorting."""
    first = np.full(k, -1, dtype=np.int64)
    seen = pd.Series(codes).drop_duplicates()
    first[seen.to_numpy()] = seen.index.to_numpy()
    return first
