"""History benchmark: History grows by a row per contact; every run reads and summarises it.

    .venv/bin/python bench/bench_history.py [--rows 50000] [--customers 20000]

Builds a book whose History has `rows` contact rows over `customers` customers,
then times reading the History sheet and summarising it per customer.
"""
from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from addin.core.dunning import summarise_history
from addin.workbook.template import build_workbook
from addin.workbook.reader import read_book

OUT = Path(__file__).with_name("out")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--customers", type=int, default=20_000)
    args = ap.parse_args()
    history = [[f"2026-11-{1 + i % 28:02d}T10:00:00Z", "run-20261101-100000Z", f"C{i % args.customers:05d}",
                f"Customer {i % args.customers}", "INV-1", 1 + i % 4, "email", "reminder", "sent", "", None, None,
                100.5, "clerk", "outbox/x.eml", f"<m{i}@example.com>"] for i in range(args.rows)]
    OUT.mkdir(exist_ok=True)
    book = build_workbook(OUT / f"history-{args.rows}.xlsx", [], history=history)
    t0 = time.perf_counter()
    frame = read_book(book).history
    t1 = time.perf_counter()
    summary = summarise_history(frame, date(2026, 11, 30))
    t2 = time.perf_counter()
    print(f"History of {len(frame):,} rows: read {t1 - t0:.2f} s, summarised for {len(summary):,} customers "
          f"in {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
