"""Where a close's time and memory go: each progress stage's start, length and peak memory, in one process.

    .venv/bin/python bench/timeline_close.py [BOOK]

Runs `addin.app.close.close` on a copy of BOOK (default: bench_close's book with
eleven closes kept, built by bench/bench_close.py) as of 2026-11-30, listening to
its progress like the terminal does, and prints a line per stage: when it began
(seconds from the start), how long it lasted, the CPU seconds it took (both cores), the resident memory at its end and
the peak so far. The stages are the ones the CLI's bar shows, nested ones indented.
"""
from __future__ import annotations

import os
import shutil
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _cpu() -> float:
    """CPU seconds of this process so far, every thread's (user + system)."""
    t = os.times()
    return t.user + t.system


def _memory() -> tuple[int, int]:
    """(resident, peak resident) in MiB, from /proc."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


class Timeline:
    """A progress watcher that keeps (depth, label, began, ended, memory) for every stage."""

    def __init__(self):
        self.t0, self.open, self.rows = time.perf_counter(), [], []

    def begin(self, label, total):
        self.open.append((label, time.perf_counter(), _cpu()))

    def advance(self, done):
        pass

    def end(self):
        label, began, cpu = self.open.pop()
        self.rows.append((len(self.open), label, began - self.t0, time.perf_counter() - began, _cpu() - cpu,
                          *_memory()))


def main() -> None:
    from addin.app.close import CloseOptions, close
    from addin.app.progress import reporting
    from bench_close import KEPT
    from bench_engine import OUT

    book = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT / f"close-receivables-1048575-{KEPT}.xlsx"
    copy = OUT / "timeline-copy.xlsx"
    shutil.copyfile(book, copy)
    watcher = Timeline()
    with reporting(watcher):
        close(copy, date(2026, 11, 30), CloseOptions(loss_rates="0.3,1.6,3.6,6.6,10.6"), today=date(2026, 12, 1),
              now=datetime(2026, 12, 1, 6, tzinfo=timezone.utc))
    total = time.perf_counter() - watcher.t0
    print(f"{'stage':52} {'start s':>8} {'length s':>8} {'CPU s':>8} {'RSS MiB':>8} {'peak MiB':>8}")
    for depth, label, began, length, cpu, rss, peak in sorted(watcher.rows, key=lambda r: r[2]):
        print(f"{'  ' * depth + label:52} {began:8.1f} {length:8.1f} {cpu:8.1f} {rss:8,} {peak:8,}")
    print(f"{'total':52} {'':8} {total:8.1f}")


if __name__ == "__main__":
    main()
