"""Read benchmark: `arcollect age` against fastexcel reading the same sheet to Arrow, in one run.

    .venv/bin/python bench/bench_read.py [--rows 1048575] [--runs 3]

Uses bench_engine's book (bench/out/receivables-<rows>.xlsx, built once: a
full-height Receivables table, no Settings, so the mapping is found by the
reader). Each command runs in its own process, alternating, ``--runs`` times;
wall time, CPU time and peak RSS (the child's, from wait4) are its own. Prints
each run, the medians, their ratios (the issue's target: age <= 1.3x the bare
read; on a shared machine CPU time is the fair measure) and the worst peak
(target: <= 1.5 GiB). Then one more process
says where ``age``'s time goes: the file check, the reader past fastexcel's
own read, the aging and decisions.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from bench_engine import AS_OF, BARE_READ, build, measure  # noqa: E402

TARGET_RATIO, TARGET_PEAK_MIB = 1.3, 1.5 * 1024
PHASES = """\
import sys, time
from datetime import date
t = time.process_time()
from addin.app.assess import assess_book
from addin.workbook import guard
from addin.workbook.reader import read_book
import fastexcel
spent = {"imports": time.process_time() - t}
def timed(name, f):
    t = time.process_time(); out = f(); spent[name] = time.process_time() - t; return out
timed("fastexcel to Arrow (bare)", lambda: fastexcel.read_excel(sys.argv[1]).load_sheet(0).to_arrow())
timed("guard.check (file check)", lambda: guard.check(sys.argv[1]))
book = timed("read_book (check cached)", lambda: read_book(sys.argv[1]))
timed("assess_book (age, decide)", lambda: assess_book(book, date.fromisoformat(sys.argv[2]), today=date.today()))
for name, s in spent.items():
    print(f"  {name:30}{s:8.2f} s CPU{s / spent['fastexcel to Arrow (bare)']:7.2f}x")
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_048_575)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    book = build(args.rows)
    commands = {"fastexcel to Arrow (bare)": [sys.executable, "-c", BARE_READ, str(book)],
                "arcollect age": [sys.executable, "-m", "addin.cli", "age", str(book), "--as-of", AS_OF]}
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands}
    for k in range(args.runs):
        for name, cmd in commands.items():
            runs[name].append(measure(cmd))
            wall, cpu, rss = runs[name][-1]
            print(f"run {k + 1}: {name:28}{wall:8.2f} s wall{cpu:8.2f} s CPU{rss:8.0f} MiB", flush=True)
    print(f"\nrows: {args.rows:,}  book: {book.stat().st_size / 2**20:.0f} MiB  runs: {args.runs}  "
          f"(ratios of medians; on a shared machine the CPU ratio is the one to trust)")
    print(f"{'':28}{'wall s':>8}{'ratio':>7}{'CPU s':>8}{'ratio':>7}{'peak MiB':>10}")
    medians = {name: [statistics.median(r[k] for r in results) for k in range(2)] for name, results in runs.items()}
    bare = medians["fastexcel to Arrow (bare)"]
    for name, (wall, cpu) in medians.items():
        print(f"{name:28}{wall:8.2f}{wall / bare[0]:7.2f}{cpu:8.2f}{cpu / bare[1]:7.2f}"
              f"{max(r[2] for r in runs[name]):10.0f}")
    age = medians["arcollect age"][1] / bare[1]
    peak = max(r[2] for r in runs["arcollect age"])
    print(f"\ntargets: age <= {TARGET_RATIO}x ({'met' if age <= TARGET_RATIO else 'NOT met'}: {age:.2f}x CPU), "
          f"peak <= {TARGET_PEAK_MIB:.0f} MiB ({'met' if peak <= TARGET_PEAK_MIB else 'NOT met'}: {peak:.0f})")
    print("\nwhere age's time goes (one process; x = share of the bare read in the same process):", flush=True)
    subprocess.run([sys.executable, "-c", PHASES, str(book), AS_OF], check=True)


if __name__ == "__main__":
    main()
