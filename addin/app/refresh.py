"""Refresh: flags, Aging, Actions, Summary, Errors and Plans rewritten; reminders drafted and logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from ..core.close.behaviour import payment_risk
from ..core.dunning import WORKLIST
from ..workbook import owned
from ..workbook.closebook import RISK_ROLE, read_risk
from ..workbook.history import append_history, stamp
from ..workbook.package import TierRule
from ..workbook.plans import SCHEDULE, STATUS_HEADERS
from ..workbook.schema import FLAG_HEADERS
from .assess import Assessment, assess, item_cells, item_levels, next_actions
from .communications import build_communications
from .draft import DraftResult, draft_batch, outbox_folder, sender_address
from .send import SendResult, journal_entries, send
from .ids import run_id
from .progress import stage
from .session import workbook

@dataclass
class RunResult:
    assessment: Assessment
    written: list[str]
    drafts: DraftResult | None = None
    sent: SendResult | None = None  # when Settings' Mode is 'send'


def run(path, as_of: date | None = None, *, today: date, now: datetime, drafts: bool = True, user: str = "",
        environ=None) -> RunResult:
    """The clerk's `run`: refresh and draft; in Mode 'send', then send the approved drafts."""
    result = refresh(path, as_of, today=today, now=now, drafts=drafts, user=user, environ=environ)
    if drafts and result.assessment.book.settings.mode == "send":
        result.sent = send(path, now=now, today=today, environ=environ, user=user)
    return result


def refresh(path, as_of: date | None = None, *, today: date, now: datetime | None = None,
            drafts: bool = True, user: str = "", environ=None) -> RunResult:
    """Refresh the workbook (flags, Aging, Actions, Summary, Errors, Plans) and draft the reminders.

    Drafts (.eml, letters, call sheet, SMS) go to the outbox and are logged to
    History in the same atomic save as the refreshed sheets.
    """
    port = workbook(path)
    now = now or datetime.combine(today, datetime.min.time(), timezone.utc)
    with port.writing() as pkg:
        a = assess(port, as_of, today=today)
        result = _refresh(pkg, port.path, a, now, drafts, user, environ, action_risk(a, read_risk(
            port, pkg.marks().sheet(RISK_ROLE))))
    a = result.assessment
    sends_as_of = a.book.settings.as_of or today
    if result.drafts and result.drafts.entries and a.as_of != sends_as_of:
        a.notes.append(f"the drafts are as of {a.as_of.isoformat()}; send decides again as of "
                       f"{sends_as_of.isoformat()} and withdraws any whose amount due differs then. To send "
                       f"reminders that stand, run without --as-of")
    return result


def action_risk(a: Assessment, closed: pd.DataFrame | None) -> pd.DataFrame:
    """The score that orders Actions: the last close's (its Payment Risk sheet) when the book has one, else the
    score computed at this run's as-of date for the customers on the worklist; the Why says which."""
    if closed is not None:
        return closed.assign(why="close " + closed["period"] + ": " + closed["why"])
    todo = a.decisions.loc[a.decisions["action"].isin(WORKLIST), ["customer_key", "currency"]]
    aged = a.aged.merge(todo, on=["customer_key", "currency"])
    risks = payment_risk(aged, a.book.items, a.book.history, a.as_of, a.book.settings.paid_grace_days)
    return pd.DataFrame({"customer_key": [r.customer_key for r in risks], "currency": [r.currency for r in risks],
                         "score": [r.score for r in risks],
                         "why": [f"at this run (no close yet): {r.why}" for r in risks]})


def _refresh(pkg, path: Path, a: Assessment, now: datetime, drafts: bool, user: str, environ,
             risk: pd.DataFrame | None = None) -> RunResult:
    settings = a.book.settings
    user = user or settings.user
    outbox = outbox_folder(path, settings)
    result = RunResult(a, [])
    recovered = journal_entries(a.book, outbox, now, user)  # sent by a send that stopped before its save
    if drafts:
        comms = build_communications(a)
        result.drafts = draft_batch(comms, settings, a.book.history, outbox, now=now,
                                    run_id=run_id(now, a.as_of), user=user, base=path.parent,
                                    sender=sender_address(settings, environ))
        a.problems += result.drafts.problems
    levels = item_levels(a)
    layout = a.book.layout
    if layout is not None:
        with stage(f"Writing the flags on {layout.sheet}"):
            pkg.update_columns(layout.sheet, layout.header_row, list(FLAG_HEADERS), a.aged["row"].to_numpy(),
                               [a.aged["days_past_due"].to_numpy(),
                                a.aged["bucket"].astype(str).to_numpy(dtype=object), levels], tiers=TierRule())
    columns, rows, chart = owned.summary_sheet(a.totals, a.decisions, a.as_of, len(a.problems), a.home_currency,
                                               settings.edges, (stamp(now), run_id(now, a.as_of)))
    documents = result.drafts.documents if result.drafts else {}
    sheets = [("Summary", columns, rows, {"chart": chart}),
              ("Actions", owned.ACTIONS, owned.action_rows(a.decisions, a.contacts, a.book.approvals, documents,
                                                                   risk),
               {"table": "Actions"}),
              ("Aging", owned.AGING, owned.aging_rows(a.aged, item_cells(a), levels, next_actions(a)),
               {"table": "Aging"}),
              ("Errors", owned.ERRORS, owned.error_rows(a.problems), {})]
    if a.plans and a.plans.rows:
        pkg.update_columns(a.plans.sheet, 1, list(STATUS_HEADERS), a.plans.rows, a.plans.values)
        result.written.append(a.plans.sheet)
        sheets.append(("Plan Schedule", SCHEDULE, a.plans.schedule, {"table": "PlanSchedule"}))
    for role, cols, values, options in sheets:
        with stage(f"Writing {role}"):
            name = pkg.write_sheet(role, cols, values, **options)
        result.written.append(name)
        if name != role:
            a.notes.append(f"a sheet of yours is called {role!r}: it was left alone and arcollect wrote its "
                           f"{role} to {name!r}")
    logged = recovered + (result.drafts.entries if result.drafts else [])
    if logged:
        append_history(pkg, logged)
        result.written.append("History")
    with stage(f"Saving {path.name}"):
        pkg.save()
    return result
