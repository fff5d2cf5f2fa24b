"""`arcollect demo`: write the collections workbook with demo data and run the whole flow."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from . import actions
from .demo_data import demo_rows
from .template import build_workbook

DEMO_AS_OF = date(2026, 11, 30)


def write_demo_book(folder: Path, as_of: date = DEMO_AS_OF) -> Path:
    receivables, customers, history, plans = demo_rows(as_of)
    return build_workbook(Path(folder) / "collections-demo.xlsx", receivables, customers, history, plans,
                          {"As-of date": as_of})


def run_demo(folder: Path, say=print) -> int:
    """Build the demo book, refresh it, and draft the reminders: draft mode, no network."""
    book = write_demo_book(folder)
    say(f"Demo workbook: {book}")
    result = actions.refresh(book, today=DEMO_AS_OF)
    say(actions.summary_text(result.assessment))
    say(f"\n{len(result.assessment.problems)} deliberate input problems are listed on the Errors sheet, e.g.:")
    for p in result.assessment.problems[:4]:
        say(f"  {p}")
    say(f"\nOpen {book} in Excel or LibreOffice: Summary, Actions, Aging and Errors are filled in.")
    return 0
