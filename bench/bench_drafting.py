"""Drafting benchmark, from a refreshed workbook to files on disk.

    .venv/bin/python bench/bench_drafting.py [--emails 10000] [--letters 1000]

Builds a book with `emails` customers each owing one overdue invoice; the last
`letters` of them are at the Final demand level (email + PDF letter attached,
plus the combined print file). Refreshes it without drafting, then times what
`arcollect run` adds: building the communications and drafting every file.
"""
from __future__ import annotations

import argparse
import shutil
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from addin.actions import assess, refresh
from addin.communications import build_communications
from addin.drafting import draft_batch, outbox_folder
from addin.template import build_workbook

OUT = Path(__file__).with_name("out")
AS_OF = date(2026, 11, 30)


def build(emails: int, letters: int) -> Path:
    rows = []
    for i in range(emails):
        late = 45 if i >= emails - letters else 5
        due = AS_OF - timedelta(days=late)
        rows.append([f"C{i:05d}", f"Customer {i} Ltd", "Sam Patel", f"ap{i}@customer{i}.example", "",
                     f"INV-{i:05d}", due - timedelta(days=30), due, 100 + i % 900 + 0.25, 0, None, "GBP",
                     "open", None, "business", "de" if i % 4 == 0 else "en", ""])
    path = OUT / f"drafting-{emails}.xlsx"
    OUT.mkdir(exist_ok=True)
    return build_workbook(path, rows, settings={"Escalate one level per run": "no"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--emails", type=int, default=10_000)
    ap.add_argument("--letters", type=int, default=1_000)
    args = ap.parse_args()
    book = build(args.emails, args.letters)
    refresh(book, AS_OF, today=AS_OF, drafts=False)
    a = assess(book, AS_OF, today=AS_OF)
    outbox = outbox_folder(book, a.book.settings)
    shutil.rmtree(outbox, ignore_errors=True)
    t0 = time.perf_counter()
    comms = build_communications(a)
    result = draft_batch(comms, a.book.settings, a.book.history, outbox,
                         now=datetime(2026, 11, 30, 9, tzinfo=timezone.utc), run_id="bench", user="bench")
    seconds = time.perf_counter() - t0
    emls = len(list(outbox.glob("*.eml")))
    pdfs = len([p for p in outbox.glob("*.pdf") if not p.name.startswith("letters")])
    assert not result.problems, result.problems[:3]
    print(f"{len(comms):,} communications -> {emls:,} .eml drafts and {pdfs:,} PDF letters "
          f"(+ combined print file) in {seconds:.1f} s")


if __name__ == "__main__":
    main()
