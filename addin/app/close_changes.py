"""The parts of What Changed that are about customers, not items: levels moved, plans completed or broken since
the previous close, and what was logged since the last run (rules in core/close/changes.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from ..core.close.changes import ACCOUNT, account_levels, level_moves, plan_moves, since_last_run, worklist_moves
from ..workbook.plans import review_plans


@dataclass
class CustomerChanges:
    levels: pd.DataFrame                 # account levels at this close (the snapshot keeps them)
    moved: pd.DataFrame | None           # customer_key, currency, before, now; None: no earlier levels kept
    plans: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # row, customer, currency, was, is
    last_run: str | None = None          # the last run's id in History
    since_run: pd.DataFrame | None = None    # History rows logged after the last run's
    worklist: pd.DataFrame | None = None     # the last run's Actions against this close's decisions


def customer_changes(book, decisions: pd.DataFrame, previous: pd.DataFrame, since: date, as_of: date,
                     last_run: tuple = (None, None), worklist: pd.DataFrame | None = None) -> CustomerChanges:
    """Levels now against the previous snapshot's, plans at ``since`` against ``as_of``, History since the last
    run (``last_run``: when and which, from its Summary sheet — closebook.read_last_run) and its Actions
    ``worklist`` (closebook.read_worklist) against ``decisions``."""
    levels = account_levels(decisions, book.history, as_of)
    moved = None
    if "level" in previous and previous["level"].notna().any():
        before = previous.dropna(subset=["level"]).groupby(ACCOUNT)["level"].max().astype("int64").reset_index()
        moved = level_moves(before, levels)
    was, now = _plan_statuses(book, since), _plan_statuses(book, as_of)
    who = _plan_customers(book)
    plans = [(row, *who.get(row, ("", "")), before, status) for row, before, status in plan_moves(was, now)]
    run, rows = since_last_run(book.history, *last_run)
    return CustomerChanges(levels, moved, plans, run, rows,
                           None if worklist is None else worklist_moves(worklist, decisions))


def _plan_statuses(book, day: date) -> dict[int, str]:
    review = review_plans(book, day)
    return dict(zip(review.rows, review.values[-1]))


def _plan_customers(book) -> dict[int, tuple[str, str]]:
    """Plans sheet row -> (customer name, currency), as review_plans reads them."""
    out = {}
    for values, _, row in book.plans:
        out[row] = (str(values.get("customer") or values.get("customer_id") or ""),
                    str(values.get("currency") or book.settings.currency).strip().upper())
    return out


def item_levels(aged: pd.DataFrame, levels: pd.DataFrame) -> np.ndarray:
    """Each aged item's account level, for the snapshot."""
    return aged[ACCOUNT].merge(levels, on=ACCOUNT, how="left")["level"].fillna(0).to_numpy(dtype="int64")

