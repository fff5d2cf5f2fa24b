"""Engine benchmark: `arcollect age` and `arcollect run` against a bare fastexcel read.

    .venv/bin/python bench/bench_engine.py [--rows 1048575]

Builds bench/out/receivables-<rows>.xlsx once (a full-height Receivables
table, no Settings: the mapping is inferred), then runs, each in its own
process so wall time and peak memory are the command's own:
(1) fastexcel reading the sheet to Arrow and nothing else (the floor of the
xlsx parse), (2) `arcollect age BOOK`, (3) a first `arcollect run BOOK
--no-drafts` on a copy, which adds the owned sheets, (4) a second one on the
same copy, as a clerk's daily refresh finds the book: its 1,048,575-row Aging
is replaced, its flags rewritten. Drafting is measured by bench_drafting.py.
Prints wall and CPU seconds (user + sys of the child), their ratios to the bare
read, the peak RSS and the load average; the issue's targets are age <= 1.3x,
the second run <= 3x, every peak <= 1.5 GiB.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("out")
AS_OF = "2026-11-30"
BARE_READ = ("import sys, fastexcel\n"
             "fastexcel.read_excel(sys.argv[1]).load_sheet(0).to_arrow()\n")


def build(rows: int) -> Path:
    """A full-height book as Excel writes one: shared strings, date-formatted cells, an Excel Table."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet.filters import AutoFilter
    from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

    from addin.workbook.template import RECEIVABLES_COLUMNS

    path = OUT / f"receivables-{rows}.xlsx"
    if path.exists():
        return path
    OUT.mkdir(exist_ok=True)
    rnd = random.Random(1)
    as_of = date.fromisoformat(AS_OF)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Receivables")
    ws.append(list(RECEIVABLES_COLUMNS))

    def dated(d):
        cell = WriteOnlyCell(ws, d)
        cell.number_format = "yyyy-mm-dd"
        return cell

    for i in range(rows):
        c = rnd.randrange(50_000)
        due = as_of - timedelta(days=rnd.randrange(-40, 200))
        amount = rnd.randrange(1_000, 1_000_000) / 100
        paid = round(amount / 2, 2) if i % 10 == 0 else 0
        ws.append([f"C{c:05d}", f"Customer {c}", f"Contact {c % 997}", f"ar{c}@example.com", "",
                   f"INV-{i:07d}", dated(due - timedelta(days=30)), dated(due), amount, paid, None,
                   "GBP" if c % 5 else "EUR", "disputed" if i % 97 == 0 else "open", None, "business", "en", ""])
    table = Table(displayName="Receivables", ref=f"A1:Q{rows + 1}")
    table.tableColumns = [TableColumn(id=i + 1, name=h) for i, h in enumerate(RECEIVABLES_COLUMNS)]
    table.autoFilter = AutoFilter(ref=table.ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    wb.save(path)
    return path


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds (user + sys), peak RSS in MiB) of one child process.

    On a machine shared with other work wall time says little; CPU time is the child's own. The page
    cache is written out first, so a child does not pay for the writing of the copy or the run before it.
    """
    if hasattr(os, "sync"):
        os.sync()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{cmd} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_048_575)
    rows = ap.parse_args().rows
    book = build(rows)
    cli = [sys.executable, "-m", "addin.cli"]
    load = os.getloadavg()
    bare = measure([sys.executable, "-c", BARE_READ, str(book)])
    age = measure([*cli, "age", str(book), "--as-of", AS_OF])
    copy = OUT / "run-copy.xlsx"
    shutil.copyfile(book, copy)
    run = [*cli, "run", str(copy), "--as-of", AS_OF, "--no-drafts"]
    first = measure(run)
    second = measure(run)
    print(f"rows: {rows:,}  book: {book.stat().st_size / 2**20:.0f} MiB, "
          f"after the runs: {copy.stat().st_size / 2**20:.0f} MiB")
    print(f"load average before: {load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(f"{'':28}{'wall s':>9}{'ratio':>8}{'CPU s':>9}{'ratio':>8}{'peak MiB':>10}")
    for name, (wall, cpu, rss) in (("fastexcel to Arrow (bare)", bare), ("arcollect age", age),
                                   ("arcollect run (first)", first), ("arcollect run (second)", second)):
        print(f"{name:28}{wall:9.2f}{wall / bare[0]:8.2f}{cpu:9.2f}{cpu / bare[1]:8.2f}{rss:10.0f}")


if __name__ == "__main__":
    main()
