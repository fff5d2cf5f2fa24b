"""`arcollect demo`: write the collections workbook with demo data and run the whole flow on it.

Draft mode, no network: refresh and draft (emails, letters, call sheet,
handover packs), then log a call with a promise to pay, as a clerk would.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from .. import app as actions
from .demo_data import demo_rows
from ..workbook.template import build_workbook

DEMO_AS_OF = date(2026, 11, 30)
DEMO_NOW = datetime(2026, 11, 30, 9, 30, tzinfo=timezone.utc)  # the demo's clock, so every run is the same


def write_demo_book(folder: Path, as_of: date = DEMO_AS_OF) -> Path:
    receivables, customers, history, plans = demo_rows(as_of)
    return build_workbook(Path(folder) / "collections-demo.xlsx", receivables, customers, history, plans,
                          {"As-of date": as_of, "User": "demo clerk"})


def run_demo(folder: Path, say=print) -> int:
    """Build the demo book, refresh it, draft the reminders and log a call."""
    book = write_demo_book(folder)
    say(f"1. Demo workbook written: {book}\n")
    result = actions.refresh(book, today=DEMO_AS_OF, now=DEMO_NOW)
    a = result.assessment
    say("2. `arcollect run`: aged, flagged and decided\n")
    say(actions.summary_text(a))
    d = result.drafts
    outbox = actions.outbox_folder(book, a.book.settings)
    say(f"\n3. Drafted {len(d.entries)} documents for {len(d.documents)} customers in {outbox}")
    kinds = sorted({p.suffix for p in d.files})
    say(f"   ({', '.join(kinds)} files: email drafts, letters, call sheet, handover packs)")
    say(f"\n4. {len(a.problems)} problems are listed on the Errors sheet, each naming its cell, e.g.:")
    for p in a.problems[:5]:
        say(f"   {p}")
    first = next(r for r in a.decisions.itertuples() if r.action == "contact")
    entry = actions.log_contact(book, first.customer_key, "promise", now=DEMO_NOW, when=date(2026, 12, 7),
                                amount=Decimal("250.00"), reason="will pay on Friday")
    say(f"\n5. `arcollect log`: {entry.customer} promised {entry.promise_amount} by {entry.promise_date} "
        "(History row added; the next refresh holds them until then)")
    say(f"\nOpen {book.name} in Excel or LibreOffice: Summary (with chart), Actions (tick Approve, then "
        "`arcollect send`), Aging, Errors, History, Plan Schedule.")
    return 0
