"""What each column is: header matches checked against the content, and content where headers say nothing.

A header candidate (schema.py) is kept only when its column's content fits
the field: a due date holds dates, an amount numbers, a document mostly
distinct values. What no header names, content decides: a column of dates on
or after the invoice date is the due date; a text that is unique per row is
the document; of two amount columns, the one never larger is the open
balance; a column whose every value is a status word is the status; a
customer id alone serves as the customer. The result, a Mapping, says for
each field which column, which header, why, and what else was considered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..core.model import Problem
from ..core.parse import Conventions
from .package import BookUnreadable
from .schema import (LABELS, Candidate, assign, concepts, header_candidates, setting_candidates,
                     unit_hint)
from .statuses import status_of
from .typed import Column, empty_column
from .values import (column_amounts, column_dates, column_strings, column_text, feasible_orders, plausible_serials,
                     read_text_date, swapped, text_date_values)
from .xlsx_xml import col_letter

SAMPLE = 5000
DATE_FIELDS = ("invoice_date", "due_date", "paid_date", "closed_date", "hold_until")
MONEY_FIELDS = ("balance", "amount", "paid")
WHEN, HOW_MUCH = ("due_date", "invoice_date"), ("balance", "amount")


class MissingColumn(BookUnreadable):
    """A required field has no column: one message naming the field, the headers, the Settings line."""


class NoReceivables(BookUnreadable):
    """No sheet of the book holds receivables: nothing is read, nothing written."""


@dataclass(frozen=True)
class Choice:
    """The column chosen for a field, and why."""

    field: str
    column: int  # 0-based sheet column
    header: str
    reason: str  # exact | synonym | token | content | setting
    alternatives: tuple[str, ...] = ()  # "Header (why not)" of other columns considered

    @property
    def letter(self) -> str:
        return col_letter(self.column + 1)


@dataclass
class Mapping:
    """Which column is which field on the receivables sheet, and what reading it decided."""

    sheet: str
    header_row: int  # 1-based
    choices: dict[str, Choice]
    headers: dict[int, str]  # sheet column -> header text, every non-blank header
    currency_hint: str = ""  # a currency the amount headers name ("Balance Due (₹)")
    notes: list[Problem] = field(default_factory=list)  # decisions said once ("read month first")

    @property
    def columns(self) -> dict[str, int]:
        return {f: c.column for f, c in self.choices.items()}

    @property
    def inferred(self) -> bool:
        """True when anything was recognised rather than matched exactly (or set in Settings)."""
        return bool(self.notes) or any(c.reason not in ("exact", "setting") for c in self.choices.values())

    @property
    def complete(self) -> bool:
        """A document, a date and an amount are there (the customer may come from section headings)."""
        return missing_field(self) is None


MISSING = {"amount": ("open balance or amount", "open balance"), "date": ("due date (or invoice date)", "due date"),
           "document": ("document (invoice number)", "document"), "customer": ("customer (or customer id)", "customer")}


def missing_field(mapping: Mapping) -> str | None:
    """Which required field no column was found for ("amount", "date", "document"), or None."""
    found = set(mapping.choices)
    return next((f for f, group in (("amount", HOW_MUCH), ("date", WHEN), ("document", ("document",)))
                 if not found & set(group)), None)


def mapping_lines(mapping: Mapping) -> list[str]:
    """What was understood, a line per field ('  due date      Z  "pduedate"  (token)'), then the notes."""
    lines = [f'Receivables read from sheet "{mapping.sheet}", header on row {mapping.header_row}:']
    width = max((len(LABELS[f]) for f in mapping.choices), default=8)
    for f in sorted(mapping.choices, key=lambda f: mapping.choices[f].column):
        c = mapping.choices[f]
        also = f"; also considered {', '.join(c.alternatives)}" if c.alternatives else ""
        lines.append(f"  {LABELS[f]:<{width}}  {c.letter:>3}  \"{c.header}\"  ({c.reason}{also})")
    if mapping.currency_hint and "currency" not in mapping.choices:
        lines.append(f"  currency: {mapping.currency_hint}, as the amount header says")
    lines += [f"  note: {p}" for p in mapping.notes]
    return lines


class Profiles:
    """Facts about each column's content, computed when asked: shares on a sample, uniqueness on all rows."""

    def __init__(self, columns: list[Column], conv: Conventions):
        self.columns, self.conv = columns, conv
        self._cache: dict[tuple, object] = {}

    def _memo(self, key, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def sample(self, j: int) -> Column:
        col = self.columns[j]
        return self._memo(("sample", j), lambda: col if len(col) <= SAMPLE else col.take(np.arange(SAMPLE)))

    def filled(self, j: int) -> int:
        return self._memo(("filled", j), lambda: int(self.sample(j).filled().sum()))

    def date_share(self, j: int) -> float:
        def compute():
            col, n = self.sample(j), self.filled(j)
            if not n:
                return 0.0
            if col.kind == "number":
                return int(plausible_serials(col.values).sum()) / n
            good = ~np.isnat(_dates_in_order(col))
            if col.kind == "text":  # numbers as text are dates only as serials of this era
                nums = pd.to_numeric(col.values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
                good &= np.isnan(nums) | plausible_serials(nums)
            return int(good.sum()) / n
        return self._memo(("dates", j), compute)

    def number_share(self, j: int) -> float:
        def compute():
            col, n = self.sample(j), self.filled(j)
            if not n or col.kind == "date":
                return 0.0
            _, blank, bad = column_amounts(col, np.full(len(col), 2), self.conv)
            good = int((~blank).sum())
            if col.kind == "text" and good < n:  # the other decimal convention may read the rest
                good = max(good, int((~column_amounts(col, np.full(len(col), 2), swapped(self.conv))[1]).sum()))
            return good / n
        return self._memo(("numbers", j), compute)

    def unique(self, j: int) -> float:
        """Distinct values per filled cell over all rows (1.0: every row its own value)."""
        def compute():
            t = column_strings(self.columns[j])
            t = t[(t != "").to_numpy(dtype=bool)]
            return len(pd.unique(t)) / len(t) if len(t) else 0.0
        return self._memo(("unique", j), compute)

    def values(self, j: int) -> list[str]:
        """The distinct non-blank texts of the sample."""
        def compute():
            t = column_text(self.sample(j))
            return sorted(set(t[t != ""].tolist()))
        return self._memo(("values", j), compute)

    def distinct(self, j: int, limit: int = 50) -> list[str] | None:
        """The distinct non-blank texts of the sample, or None when there are more than ``limit``."""
        values = self.values(j)
        return values if len(values) <= limit else None

    def dates(self, j: int) -> np.ndarray:
        """The column's dates over all rows, its text read in a day/month order that fits it."""
        return self._memo(("all dates", j), lambda: _dates_in_order(self.columns[j]))

    def share_of(self, j: int, test) -> float:
        values = self.distinct(j)
        return sum(1 for v in values if test(v)) / len(values) if values else 0.0

    @cached_property
    def currencies(self) -> frozenset:
        from babel.numbers import list_currencies

        return frozenset(list_currencies())


def _fits(profiles: Profiles, c: Candidate, j: int) -> str:
    """'' when the column's content fits the field, else why not (for the alternatives)."""
    weak = c.reason == "token"
    if profiles.filled(j) == 0:
        return "" if not weak or c.field not in ("document", "customer", "customer_id") else "empty"
    if c.field in DATE_FIELDS:
        share = profiles.date_share(j)
        return "" if share >= (0.8 if weak else 0.5) else "not dates"
    if c.field in MONEY_FIELDS:
        share = profiles.number_share(j)
        return "" if share >= (0.8 if weak else 0.5) else "not amounts"
    if c.field == "document" and weak:
        if profiles.unique(j) < 0.5 or profiles.date_share(j) >= 0.8:
            return "not one value per invoice"
    if c.field in ("customer", "customer_id") and weak and profiles.date_share(j) >= 0.5:
        return "dates"
    if c.field == "status" and c.reason != "setting" and profiles.share_of(j, lambda v: status_of(v)) < 0.5:
        return "not status words"
    if c.field == "currency" and profiles.share_of(j, lambda v: v.upper() in profiles.currencies) < 0.8:
        return "not currency codes"
    if c.field == "email" and weak and profiles.share_of(j, lambda v: "@" in v) < 0.5:
        return "not email addresses"
    return ""


def infer(sheet: str, header_row: int, header: list, columns: list[Column], offset: int,
          overrides: dict[str, str] | None, conv: Conventions) -> tuple[Mapping, list[tuple]]:
    """(the Mapping of one header row over its columns, the Column settings that match nothing here
    (see setting_candidates)). ``offset`` is the sheet column of position 0."""
    width = max(len(header), len(columns))
    header = list(header) + [None] * (width - len(header))
    columns = list(columns) + [empty_column(len(columns[0]) if columns else 0)] * (width - len(columns))
    profiles = Profiles(columns, conv)
    exact = {"setting", "exact"}
    rejected: dict[str, dict[int, str]] = {}

    def accept(c: Candidate) -> bool:
        if c.reason in exact:
            return True
        why = _fits(profiles, c, c.column)
        if why:
            rejected.setdefault(c.field, {})[c.column] = f'"{header[c.column]}" ({c.reason}; {why})'
        return not why

    chosen = dict(assign(header, overrides, accept))
    _, unmatched = setting_candidates(header, overrides)
    _drop_empty(chosen, columns, header, rejected)
    _by_content(chosen, header, profiles)
    labels = {j: str(h).strip() for j, h in enumerate(header) if isinstance(h, (str, int, float)) and str(h).strip()}
    pool = [c for j, h in enumerate(header) for c in header_candidates(h, j)]
    choices = {}
    for f, c in chosen.items():
        no = rejected.get(f, {})
        others = [f'"{labels[o.column]}" ({o.reason})' for o in pool
                  if o.field == f and o.column not in (c.column, *no) and o.column in labels]
        choices[f] = Choice(f, c.column + offset, labels.get(c.column, ""), c.reason,
                            tuple(dict.fromkeys(others[:3] + list(no.values())[:2])))
    hint = next((unit_hint(header[chosen[f].column]) for f in ("balance", "amount") if f in chosen
                 and unit_hint(header[chosen[f].column])), "")
    mapping = Mapping(sheet, header_row, choices, {j + offset: h for j, h in labels.items()},
                      hint if hint in profiles.currencies else "")
    return mapping, unmatched


def _drop_empty(chosen: dict[str, Candidate], columns: list[Column], header: list, rejected: dict) -> None:
    """A required column with nothing in it, beside others that hold items, is as good as missing
    (so it is found elsewhere or named once, never reported empty on every row)."""
    required = [f for f in ("customer", "customer_id", "document", "due_date", "invoice_date", "balance", "amount")
                if f in chosen and chosen[f].reason != "setting"]
    filled = {f: bool(columns[chosen[f].column].filled().any()) for f in required}
    if any(filled.values()):
        for f in required:
            if not filled[f]:
                c = chosen.pop(f)
                rejected.setdefault(f, {})[c.column] = f'"{header[c.column]}" ({c.reason}; empty)'


def _free(chosen: dict[str, Candidate], width: int) -> list[int]:
    used = {c.column for c in chosen.values()}
    return [j for j in range(width) if j not in used]


def _content(field_: str, j: int) -> Candidate:
    return Candidate(field_, j, "content", 0.0)


def _by_content(chosen: dict[str, Candidate], header: list, p: Profiles) -> None:
    """Fill what headers left out, from the columns no header claimed."""
    width = len(header)
    said_not = {j: concepts(h)[0] if isinstance(h, str) else frozenset() for j, h in enumerate(header)}
    free = [j for j in _free(chosen, width) if p.filled(j)]
    if "document" not in chosen:
        cid = chosen.get("customer_id")
        if cid is not None and "customer" in chosen and p.unique(cid.column) >= 0.98:
            chosen["document"] = _content("document", cid.column)  # an id per row is the item's, not the customer's
            del chosen["customer_id"]
        else:
            docs = [j for j in free if p.unique(j) >= 0.98 and p.date_share(j) < 0.5
                    and (p.columns[j].kind == "text" or _whole(p.columns[j]))
                    and p.share_of(j, lambda v: "@" in v) < 0.5]
            docs.sort(key=lambda j: p.columns[j].kind != "text")
            if docs:
                chosen["document"] = _content("document", docs[0])
    free = [j for j in _free(chosen, width) if p.filled(j)]
    texts = [j for j in free if p.columns[j].kind == "text" and p.date_share(j) < 0.5
             and p.number_share(j) < 0.5]
    if not chosen.keys() & {"customer", "customer_id"}:
        names = [j for j in texts if p.share_of(j, lambda v: status_of(v)) < 0.5 and p.unique(j) < 0.98
                 and p.share_of(j, lambda v: v.upper() in p.currencies) < 0.5 and len(p.values(j)) > 1]
        if names:
            chosen["customer"] = _content("customer", max(names, key=lambda j: len(p.values(j))))
    _dates_by_content(chosen, [j for j in _free(chosen, width) if p.filled(j) and p.date_share(j) >= 0.8], p)
    if not chosen.keys() & {"balance", "amount"}:
        money = [j for j in _free(chosen, width) if p.filled(j) and p.number_share(j) >= 0.9
                 and not said_not[j] & {"days", "percent", "limit", "number", "tax", "date"}
                 and len(p.values(j)) > 1]
        _money_by_content(chosen, money, p)
    free = [j for j in _free(chosen, width) if p.filled(j) and p.columns[j].kind == "text"]
    for f, test in (("status", lambda v: status_of(v) is not None), ("currency", lambda v: v in p.currencies)):
        if f not in chosen:
            hit = next((j for j in free if p.distinct(j, 30) and p.share_of(j, test) == 1.0), None)
            if hit is not None:
                chosen[f] = _content(f, hit)
                free.remove(hit)


def _whole(col: Column) -> bool:
    v = col.values[~np.isnan(col.values)] if col.kind == "number" else None
    return v is not None and bool(np.all(v == np.floor(v)))


def _dates_in_order(col: Column) -> np.ndarray:
    """The column's dates, its text read in a day/month order that fits it."""
    return column_dates(col, "DMY" if "DMY" in _orders(col) else "MDY")[0]


def _orders(col: Column) -> set:
    return feasible_orders(text_date_values(col)) or {"DMY"}


def _on_or_after(later: np.ndarray, earlier: np.ndarray) -> bool:
    both = ~np.isnat(later) & ~np.isnat(earlier)
    return bool(both.any()) and (later[both] >= earlier[both]).mean() >= 0.9 and bool((later[both] > earlier[both]).any())


def _dates_by_content(chosen: dict[str, Candidate], dated: list[int], p: Profiles) -> None:
    """A column of dates on or after the invoice date is the due date; of two, the earlier is the invoice date."""
    if not dated:
        return
    if "due_date" in chosen:
        if "invoice_date" not in chosen:
            due = p.dates(chosen["due_date"].column)
            hit = next((j for j in dated if _on_or_after(due, p.dates(j))), None)
            if hit is not None:
                chosen["invoice_date"] = _content("invoice_date", hit)
        return
    if "invoice_date" in chosen:
        inv = p.dates(chosen["invoice_date"].column)
        hit = next((j for j in dated if _on_or_after(p.dates(j), inv)), None)
        if hit is not None:
            chosen["due_date"] = _content("due_date", hit)
        return
    for a in dated:
        for b in dated:
            if a != b and _on_or_after(p.dates(b), p.dates(a)):
                chosen["invoice_date"], chosen["due_date"] = _content("invoice_date", a), _content("due_date", b)
                return
    chosen["due_date"] = _content("due_date", dated[0])


def _money_by_content(chosen: dict[str, Candidate], money: list[int], p: Profiles) -> None:
    """Of two amount columns the one never larger is the open balance; a lone one is the balance
    (the amount when a paid column says what was paid)."""
    if not money:
        return
    if "paid" in chosen or len(money) == 1:
        lone = "amount" if "paid" in chosen else "balance"
        chosen[lone] = _content(lone, money[0])
        return
    a, b = money[0], money[1]
    x, y = (np.abs(np.nan_to_num(column_amounts(p.columns[j], np.full(len(p.columns[j]), 2), p.conv)[0]))
            for j in (a, b))
    if (y <= x).all():
        chosen["amount"], chosen["balance"] = _content("amount", a), _content("balance", b)
    elif (x <= y).all():
        chosen["amount"], chosen["balance"] = _content("amount", b), _content("balance", a)
    else:
        chosen["balance"] = _content("balance", a)


def missing_message(book: str, mapping: Mapping, missing: str) -> str:
    """The one sentence for a required field (a key of MISSING) no column was found for."""
    what, key = MISSING[missing]
    listed = ", ".join(f'"{h}"' for h in mapping.headers.values()) or "none"
    return (f"{book}: no {what} column found on sheet \"{mapping.sheet}\" (headers on row {mapping.header_row}: "
            f"{listed}). If one of these is the {key}, add the line `Column: {key} = <that header>` to the Settings "
            f"sheet (the key in column A, the header in column B). Nothing was written.")


def unmatched_setting_problems(unmatched: list[tuple], cells: dict[str, str], sheet: str,
                               headers: list[str]) -> list[Problem]:
    """A ``Column:`` setting naming a header the sheet does not have, or no field arcollect reads."""
    listed = ", ".join(f'"{h}"' for h in headers)
    out = []
    for key, f, wanted in unmatched:
        cell = cells.get(key, "Settings!A1")
        if f is None:
            out.append(Problem(cell, f"Column: {key} is not a field arcollect reads (fields: "
                                     f"{', '.join(LABELS[x] for x in LABELS)}); the setting is ignored"))
        else:
            out.append(Problem(cell, f'Column: {LABELS[f]} names "{wanted}", but sheet "{sheet}" has no such '
                                     f"header (its headers: {listed}); the setting is ignored"))
    return out


def date_orders(cell_for: dict[str, str], columns: dict[str, Column], conv: Conventions
                ) -> tuple[dict[str, str], Problem | None]:
    """({field: the day/month order to read its text dates in}, a note when one is not the locale's);
    ``columns`` in sheet order.

    A column whose text dates are impossible in the locale's order while the
    other fits every one is read the other way; so are the sheet's other date
    columns when the other order fits them too (one system wrote them all).
    """
    own = conv.date_order
    other = "MDY" if own == "DMY" else "DMY"
    feasible = {f: _orders(c) for f, c in columns.items() if text_date_values(c)}
    flipped = {f for f, o in feasible.items() if own not in o and other in o}
    if flipped and all(other in o for o in feasible.values()):
        flipped = set(feasible)
    orders = {f: other if f in flipped else own for f in columns}
    if not flipped:
        return orders, None
    sample = next(t for f in columns if f in flipped for t in text_date_values(columns[f])
                  if own not in feasible_orders([t]))
    first = "month" if other == "MDY" else "day"
    where = ", ".join(cell_for[f] for f in columns if f in flipped)
    read = read_text_date(sample, other)
    return orders, Problem(where, f"text dates read {first} first ({sample} is {read:%d %B %Y}): the locale's "
                                  f"order does not fit them")