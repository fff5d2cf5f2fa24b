"""Assess: read the book, age every open item and decide who is contacted, as of a date.

Nothing is written here; refresh, draft and send build on an Assessment.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..core.aging import age_items, bucket_totals, open_balances
from ..core.dunning import CONTACT, HANDED_OVER, HOLD, REVIEW, action_counts, decide, summarise_history
from ..core.model import Problem, quote
from ..core.money import format_plain, from_minor
from ..core.settings import Settings
from ..documents.sources import letters_dir
from ..refdata import unchecked_warning
from ..workbook.inference import mapping_lines
from ..workbook.plans import PlanReview, review_plans
from ..workbook.reader import Book
from .session import workbook
from ..workbook.xlsx_xml import col_letter
from .progress import stage


@dataclass
class Assessment:
    """A workbook read, aged and decided at one as-of date; nothing written yet."""

    book: Book
    as_of: date
    aged: pd.DataFrame
    decisions: pd.DataFrame
    totals: pd.DataFrame
    contacts: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    plans: PlanReview | None = None
    later_events: int = 0  # History events dated after the as-of date that were counted
    notes: list[str] = field(default_factory=list)  # what the clerk should know that is not an input error

    @property
    def home_currency(self) -> str:
        return self.book.settings.currency


def assess(path, as_of: date | None = None, *, today: date) -> Assessment:
    """Read the book (a path, or the live book), age every open item and decide who is contacted, as of a date."""
    port = workbook(path)
    with stage(f"Reading {port.path.name}"):
        book = port.read()
    return assess_book(book, as_of, today=today)


def assess_book(book: Book, as_of: date | None = None, *, today: date) -> Assessment:
    """Age and decide a book already read (as-of: the argument, else Settings, else today)."""
    settings = book.settings
    as_of = as_of or settings.as_of or today
    with stage(f"Ageing {len(book.items):,} items and deciding"):
        items = open_balances(book.items, as_of)
        aged = age_items(items, as_of, settings.basis, settings.edges)
        history = summarise_history(book.history, as_of, settings.paid_grace_days)
        plans = review_plans(book, as_of, settings.plan_formulas)
        decisions = decide(aged, book.ladder, settings, as_of, history, book.customers, plans.statuses)
    problems = list(book.problems) + plans.problems + reference_problems(settings, as_of, book.path.parent)
    layout = book.layout
    notes = ["\n".join(mapping_lines(layout.mapping))] if layout is not None and layout.inferred else []
    notes += [] if "settings" in {n.strip().lower() for n in book.sheet_names} else [
        f"{book.path.name} has no Settings sheet: the defaults are used. Run `arcollect init {_init_args(book.path)}` "
        f"to add Settings, Policy, Customers, History and Plans, then fill in your company details."]
    return Assessment(book, as_of, aged, decisions, bucket_totals(aged), book.contacts,
                      problems, plans, history.later_events, notes)


def _arg(name: str) -> str:
    """A file name as it is typed on a command line (quoted when it holds a space)."""
    return f'"{name}"' if " " in name else name


def _init_args(path) -> str:
    """What `init` takes for this file: the book itself, or a CSV export and the workbook to make from it."""
    if path.suffix.lower() == ".csv":
        return f"--from {_arg(path.name)} {_arg(path.stem + '.xlsx')}"
    return _arg(path.name)


def reference_problems(settings: Settings, as_of: date, folder) -> list[Problem]:
    """What the run's reference data cannot vouch for: a rate table checked only to an earlier date, a
    templates folder that is not there. Said once per run, naming the setting's cell."""
    out = []
    if settings.interest_rule in ("uk-1998", "eu-2011-7") and settings.interest_rate is None:
        warning = unchecked_warning(settings.interest_rule, as_of)
        if warning:
            out.append(Problem(settings.cells.get("interest_rule", "Settings"), warning))
    if settings.template_dir and not letters_dir(settings.template_dir, folder).is_dir():
        out.append(Problem(settings.cells.get("template_dir", "Settings"),
                           f"Templates folder {quote(settings.template_dir)} is not a folder; the templates "
                           f"shipped with arcollect are used"))
    return out



def item_cells(a: Assessment) -> np.ndarray:
    """The cell naming each aged item: its document cell (column A when there is no number column)."""
    return document_cells(a.book.layout, a.aged["row"])


def document_cells(layout, rows: pd.Series) -> np.ndarray:
    """The document cell of each of these Receivables rows (column A when there is no number column)."""
    col = layout.columns.get("document", layout.columns.get("customer", 0)) if layout else 0
    prefix = f"{layout.sheet if layout else 'Receivables'}!{col_letter(col + 1)}"
    return (prefix + rows.astype(str)).to_numpy(dtype=object)


def age_report(a: Assessment) -> dict:
    """The `arcollect age --json` document: as_of, invoices, customers, totals, errors; money as decimal strings."""
    aged = a.aged
    money = [format_plain(m, c) for m, c in zip(aged["balance_minor"].tolist(), aged["currency"].tolist())]
    days = [None if d != d else int(d) for d in aged["days_past_due"].tolist()]
    dues = [d.date().isoformat() if pd.notna(d) else None for d in aged["due_date"]]
    invoices = [{"cell": c, "customer": cu, "document": doc, "currency": cur, "due_date": due,
                 "balance": m, "days_past_due": dd, "bucket": b}
                for c, cu, doc, cur, due, m, dd, b in zip(item_cells(a), aged["customer"], aged["document"],
                                                          aged["currency"], dues, money, days,
                                                          aged["bucket"].astype(str))]
    customers = [{"customer": r.customer, "currency": r.currency,
                  "balance": format_plain(r.balance_minor, r.currency),
                  "overdue": format_plain(r.overdue_minor, r.currency),
                  "level": int(r.level) if r.level else None, "action": r.action, "reason": r.reason}
                 for r in a.decisions.itertuples(index=False)]
    by_currency = {cur: {b: format_plain(int(v), cur) for b, v in row.items()}
                   for cur, row in a.totals.to_dict("index").items()}
    home = a.home_currency if a.home_currency in by_currency else next(iter(by_currency), a.home_currency)
    return {"as_of": a.as_of.isoformat(), "currency": home, "invoices": invoices, "customers": customers,
            "totals": by_currency.get(home, {}), "totals_by_currency": by_currency,
            "errors": [{"cell": p.cell, "message": p.message} for p in a.problems]}


def summary_text(a: Assessment) -> str:
    """The bucket table a clerk reads in a terminal."""
    t = a.totals
    cur = list(t.index)
    lines = [f"Receivables aged as of {a.as_of.isoformat()} ({len(a.aged):,} open items, "
             f"{a.decisions['customer_key'].nunique():,} customers)", ""]
    head = f"{'Bucket':<12}" + "".join(f"{c:>18}" for c in cur)
    lines += [head, "-" * len(head)]
    for b in t.columns:
        if b == "Total":
            lines.append("-" * len(head))
        lines.append(f"{b:<12}" + "".join(f"{from_minor(int(t.at[c, b]), c):>18,}" for c in cur))
    counts = action_counts(a.decisions)
    lines += ["", "To contact: {:,}   To review: {:,}   On hold: {:,}   Handed over: {:,}".format(
        *(counts[k] for k in (CONTACT, REVIEW, HOLD, HANDED_OVER)))]
    if a.later_events:
        lines.append(f"Counted {a.later_events:,} History event(s) logged after the as-of date "
                     f"{a.as_of.isoformat()} (promises, disputes, cease requests, payments): they happened")
    if a.problems:
        lines.append(f"{len(a.problems):,} input problem(s), each naming its cell (the Errors sheet lists them)")
    return "\n".join(lines)


def _per_item(a: Assessment, values) -> pd.Series:
    """A per-decision value spread onto every aged item of that customer and currency."""
    lookup = pd.Series(values, index=pd.MultiIndex.from_frame(a.decisions[["customer_key", "currency"]]))
    return lookup.reindex(pd.MultiIndex.from_frame(a.aged[["customer_key", "currency"]]))


def next_actions(a: Assessment) -> np.ndarray:
    """Per aged item, the customer's decision in words ("Level 2 Friendly reminder: email")."""
    d = a.decisions
    text = np.where(d["action"] == CONTACT,
                    "Level " + d["level"].astype(str) + " " + d["level_name"] + ": "
                    + d["channels"].map(" + ".join), d["action"] + ": " + d["reason"])
    return _per_item(a, text).fillna("").to_numpy(dtype=object)


def item_levels(a: Assessment) -> np.ndarray:
    """Per aged item, the level its customer is contacted at now (0 when not contacted).

    The level an item's own age reaches would contradict the next action
    (a held customer's item is not "at level 3"), so the flags show the decision.
    """
    d = a.decisions
    level = np.where(d["action"] == CONTACT, d["level"].astype("int64"), 0)
    return _per_item(a, level).fillna(0).to_numpy(dtype="int64")
