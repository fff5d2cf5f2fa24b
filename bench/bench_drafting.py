"""Drafting benchmark, from a refreshed workbook to files on disk.

    .venv/bin/python bench/bench_drafting.py [--emails 10000] [--letters 1000]

Two books: one where `emails` customers each owe an invoice 5 days overdue
(Friendly reminder: one .eml draft each), one where `letters` customers are 45
days overdue (Final demand: a PDF letter each, attached to its .eml draft,
plus the combined file to print). Each book is refreshed without drafting;
then what `arcollect run` adds is timed: building the communications and
writing every file.
"""
from __future__ import annotations

import argparse
import resource
import shutil
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from addin.app import assess, refresh
from addin.app.communications import build_communications
from addin.app.draft import draft_batch, outbox_folder
from addin.workbook.template import build_workbook

OUT = Path(__file__).with_name("out")
AS_OF = date(2026, 11, 30)


def build(name: str, customers: int, days_late: int) -> Path:
    due = AS_OF - timedelta(days=days_late)
    rows = [[f"C{i:05d}", f"Customer {i} Ltd", "Sam Patel", f"ap{i}@customer{i}.example", "", f"INV-{i:05d}",
             due - timedelta(days=30), due, 100 + i % 900 + 0.25, 0, None, "GBP", "open", None, "business",
             "de" if i % 4 == 0 else "en", ""] for i in range(customers)]
    OUT.mkdir(exist_ok=True)
    return build_workbook(OUT / f"drafting-{name}-{customers}.xlsx", rows,
                          settings={"Escalate one level per run": "no"})


def cpu_seconds() -> tuple[float, float]:
    """CPU time of this process and of its finished children (the drafting worker processes)."""
    return tuple(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
                 for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def draft(book: Path) -> tuple[float, str, int, int]:
    """(wall seconds, CPU time in words, .eml drafts, letters).

    The CPU time, split between this process and the workers, tells what an idle
    machine would do when other work shares this one.
    """
    refresh(book, AS_OF, today=AS_OF, drafts=False)
    a = assess(book, AS_OF, today=AS_OF)
    outbox = outbox_folder(book, a.book.settings)
    shutil.rmtree(outbox, ignore_errors=True)
    t0, (own0, workers0) = time.perf_counter(), cpu_seconds()
    result = draft_batch(build_communications(a), a.book.settings, a.book.history, outbox,
                         now=datetime(2026, 11, 30, 9, tzinfo=timezone.utc), run_id="bench", user="bench")
    seconds, (own, workers) = time.perf_counter() - t0, cpu_seconds()
    assert not result.problems, result.problems[:3]
    letters = [p for p in outbox.glob("*.pdf") if not p.name.startswith("letters")]
    cpu = f"CPU {own - own0:.1f} s here + {workers - workers0:.1f} s in worker processes"
    return seconds, cpu, len(list(outbox.glob("*.eml"))), len(letters)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emails", type=int, default=10_000)
    ap.add_argument("--letters", type=int, default=1_000)
    args = ap.parse_args()
    seconds, cpu, emls, _ = draft(build("emails", args.emails, 5))
    print(f"email drafts: {emls:,} .eml in {seconds:.1f} s ({cpu}; target 20 s for 10,000)")
    seconds, cpu, emls, pdfs = draft(build("letters", args.letters, 45))
    print(f"final demands: {pdfs:,} PDF letters (+ combined print file), each attached to one of "
          f"{emls:,} .eml drafts, in {seconds:.1f} s ({cpu}; target 30 s for 1,000 letters)")

if __name__ == "__main__":
    main()
