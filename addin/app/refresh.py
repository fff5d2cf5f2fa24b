"""Refresh: flags, Aging, Actions, Summary, Errors and Plans rewritten; reminders drafted and logged."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from ..core.dunning import level_per_item
from ..core.model import Problem
from ..workbook import owned
from ..workbook.history import append_history
from ..workbook.package import TierRule
from ..workbook.plans import SCHEDULE, STATUS_HEADERS
from ..workbook.schema import FLAG_HEADERS
from .assess import Assessment, assess, item_cells, next_actions
from .communications import build_communications
from .draft import DraftResult, draft_batch, outbox_folder
from .session import writing

@dataclass
class RunResult:
    assessment: Assessment
    written: list[str]
    drafts: DraftResult | None = None


def as_problem(text: str) -> Problem:
    """A message from documents/mail ("Sheet!A1: ...") back into a cell-addressed Problem."""
    m = re.match(r"(\S+![A-Z]{1,3}\d+): (.*)", text, re.S)
    return Problem(m[1], m[2]) if m else Problem("", text)


def _run_id(now: datetime, as_of: date | None = None) -> str:
    """'run-20261130-101500Z': the as-of date the run worked for, then the UTC time it ran."""
    return f"run-{(as_of or now.date()):%Y%m%d}-{now.astimezone(timezone.utc):%H%M%S}Z"


def refresh(path, as_of: date | None = None, *, today: date, now: datetime | None = None,
            drafts: bool = True, user: str = "") -> RunResult:
    """Refresh the workbook (flags, Aging, Actions, Summary, Errors, Plans) and draft the reminders.

    Drafts (.eml, letters, call sheet, SMS) go to the outbox and are logged to
    History in the same atomic save as the refreshed sheets.
    """
    path = Path(path)
    now = now or datetime.combine(today, datetime.min.time(), timezone.utc)
    with writing(path) as pkg:
        return _refresh(pkg, path, assess(path, as_of, today=today), now, drafts, user)


def _refresh(pkg, path: Path, a: Assessment, now: datetime, drafts: bool, user: str) -> RunResult:
    settings = a.book.settings
    result = RunResult(a, [])
    if drafts:
        comms = build_communications(a)
        result.drafts = draft_batch(comms, settings, a.book.history, outbox_folder(path, settings), now=now,
                                    run_id=_run_id(now, a.as_of), user=user or settings.user, base=path.parent)
        a.problems += [as_problem(p) for p in result.drafts.problems]
    levels = level_per_item(a.aged, a.book.ladder)
    layout = a.book.layout
    if layout is not None:
        pkg.update_columns(layout.sheet, layout.header_row, list(FLAG_HEADERS), a.aged["row"].to_numpy(),
                           [a.aged["days_past_due"].to_numpy(), a.aged["bucket"].astype(str).to_numpy(dtype=object),
                            levels], tiers=TierRule())
    columns, rows, chart = owned.summary_sheet(a.totals, a.decisions, a.as_of, len(a.problems), a.home_currency,
                                               settings.edges)
    pkg.write_sheet("Summary", columns, rows, chart=chart)
    documents = result.drafts.documents if result.drafts else {}
    pkg.write_sheet("Actions", owned.ACTIONS, owned.action_rows(a.decisions, a.contacts, a.book.approvals,
                                                                documents), table="Actions")
    pkg.write_sheet("Aging", owned.AGING, owned.aging_rows(a.aged, item_cells(a), levels, next_actions(a)),
                    table="Aging")
    pkg.write_sheet("Errors", owned.ERRORS, owned.error_rows(a.problems))
    result.written = ["Summary", "Actions", "Aging", "Errors"]
    if a.plans and a.plans.rows:
        pkg.update_columns(a.plans.sheet, 1, list(STATUS_HEADERS), a.plans.rows, a.plans.values)
        pkg.write_sheet("Plan Schedule", SCHEDULE, a.plans.schedule, table="PlanSchedule")
        result.written += ["Plans", "Plan Schedule"]
    if result.drafts:
        append_history(pkg, result.drafts.entries)
        if result.drafts.entries:
            result.written.append("History")
    pkg.save()
    return result
