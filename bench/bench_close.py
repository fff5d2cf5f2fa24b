"""Close benchmark: `arcollect close` on a full-height book with eleven closes kept, against a bare fastexcel read.

    .venv/bin/python bench/bench_close.py [--rows 1048575]

Uses bench_engine's book (bench/out/receivables-<rows>.xlsx, built once), and
once more a copy holding the eleven month-end closes before November 2026
(December 2025 to October 2026: each a snapshot sheet of that month's open
items, and their rows in Close Periods), written in one session through the
lossless writer. Then, each in its own process: (1) fastexcel reading the
Receivables sheet to Arrow and nothing else, (2) `arcollect close BOOK --as-of
2026-11-30` on a fresh copy of that book — the twelfth snapshot — reading the
October snapshot to roll forward from, (3) the same close again (a re-close,
which replaces the November sheets). Prints wall and CPU seconds (user + sys of
the child), their ratios to the bare read, and the peak RSS; the issue's
targets are ≤ 3 × the bare read and ≤ 1.5 GiB.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import date
from pathlib import Path

from dateutil.relativedelta import relativedelta

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_engine import AS_OF, BARE_READ, OUT, build, measure  # noqa: E402

KEPT = 11


def with_closes(book: Path) -> Path:
    """A copy of the book with the eleven month-end closes before the as-of month kept in it."""
    import numpy as np

    from addin.app.assess import document_cells
    from addin.core.aging import age_items, bucket_totals, open_balances
    from addin.core.close.period import period_ending
    from addin.core.close.rollforward import with_occurrence
    from addin.workbook.closebook import LEDGER, LEDGER_ROLE, SNAPSHOT, Closed, snapshot_role, snapshot_rows
    from addin.workbook.closepack import _kept_row
    from addin.workbook.package import XlsxPackage
    from addin.workbook.reader import read_book

    path = OUT / f"close-{book.stem}-{KEPT}.xlsx"
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.xlsx")
    shutil.copyfile(book, tmp)
    b = read_book(tmp)
    items = with_occurrence(b.items)
    first = date.fromisoformat(AS_OF).replace(day=1)
    kept = []
    with XlsxPackage.open(tmp) as pkg:
        for k in range(KEPT, 0, -1):
            month_end = first - relativedelta(months=k - 1) - relativedelta(days=1)
            period = period_ending(month_end)
            aged = age_items(open_balances(items, month_end), month_end, "due", b.settings.edges)
            levels = np.zeros(len(aged), dtype="int64")     # no History in the bench book: no one contacted yet
            pkg.write_sheet(snapshot_role(period), SNAPSHOT,
                            snapshot_rows(aged, document_cells(b.layout, aged["row"]), levels))
            totals = bucket_totals(aged)
            for cur in totals.index:
                kept.append(Closed(period.label, period.start, month_end, cur, snapshot_role(period),
                                   {"Closing": int(totals.at[cur, "Total"])}))
            print(f"  kept the close of {period.label}: {len(aged):,} open items", flush=True)
        pkg.write_sheet(LEDGER_ROLE, LEDGER, [_kept_row(c) for c in sorted(kept, key=lambda c: c.currency)],
                        table="ClosePeriods")
        pkg.save()
    os.replace(tmp, path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_048_575)
    rows = ap.parse_args().rows
    book = build(rows)
    prepared = with_closes(book)
    copy = OUT / "close-copy.xlsx"
    shutil.copyfile(prepared, copy)
    cli = [sys.executable, "-m", "addin.cli"]
    close = [*cli, "close", str(copy), "--as-of", AS_OF, "--loss-rates", "0.3,1.6,3.6,6.6,10.6", "--json"]
    load = os.getloadavg()
    bare = measure([sys.executable, "-c", BARE_READ, str(book)])
    first = measure(close)
    again = measure(close)
    print(f"rows: {rows:,}  book with {KEPT} closes: {prepared.stat().st_size / 2**20:.0f} MiB, "
          f"after the close: {copy.stat().st_size / 2**20:.0f} MiB")
    print(f"load average before: {load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    print("| | wall s | × bare | CPU s | × bare | peak MiB |\n|---|---|---|---|---|---|")   # the README's table
    for name, (wall, cpu, rss) in (("fastexcel to Arrow (bare)", bare), ("`arcollect close` (12th close)", first),
                                   ("`arcollect close` again (re-close)", again)):
        print(f"| {name} | {wall:.1f} | **{wall / bare[0]:.2f}** | {cpu:.1f} | **{cpu / bare[1]:.2f}** | {rss:,.0f} |")


if __name__ == "__main__":
    main()
