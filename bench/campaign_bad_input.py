"""Bad input campaign (long): seeded workbooks full of wrong cells through ``arcollect age --json``.

    .venv/bin/python bench/campaign_bad_input.py [--cases 10000] [--first-seed 1] [--workers 2] [--out DIR]

Each case is tests/campaigns/badinput.py's book for one seed, aged in a child process limited to
2 GiB of address space and 60 s (tests/campaigns/harness.py). Books are made and aged a batch at a
time, so the disk holds one batch. Prints one line per failure kind with a case to reproduce it
(``python -c "from tests.campaigns.badinput import book; book(Path('x.xlsx'), SEED)"``, then
``arcollect age x.xlsx --as-of 2026-11-30 --json``), then the summary line: cases tried, failures
by kind.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.campaigns.badinput import campaign, kind
from tests.campaigns.harness import GiB

BATCH = 500


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", help="keep the failing books here")
    a = ap.parse_args()
    start = time.perf_counter()
    kinds: Counter = Counter()
    example: dict[str, tuple[int, str]] = {}
    tried = 0
    seeds = range(a.first_seed, a.first_seed + a.cases)
    for at in range(0, len(seeds), BATCH):
        folder = Path(tempfile.mkdtemp(prefix="arcollect-bad-input-"))
        try:
            for seed, failure, _outcome in campaign(folder, seeds[at:at + BATCH], memory=2 * GiB, timeout=60,
                                                    workers=a.workers):
                tried += 1
                if failure:
                    kinds[kind(failure)] += 1
                    example.setdefault(kind(failure), (seed, failure))
                    if a.out:
                        Path(a.out).mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(folder / f"case-{seed}.xlsx", Path(a.out) / f"case-{seed}.xlsx")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"... {tried} cases, {sum(kinds.values())} failures, {time.perf_counter() - start:.0f} s", flush=True)
    for k, (seed, failure) in sorted(example.items()):
        print(f"{kinds[k]:6d} x {k}: e.g. seed {seed}: {failure[:300]}")
    by_kind = ", ".join(f"{k}: {n}" for k, n in kinds.most_common()) or "none"
    print(f"bad input: {tried} cases tried in {time.perf_counter() - start:.0f} s; "
          f"{sum(kinds.values())} failures ({by_kind})")


if __name__ == "__main__":
    main()
