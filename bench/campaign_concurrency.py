"""Concurrency campaign: every combination of two and three run/send/log processes on one book, many seeds.

    .venv/bin/python bench/campaign_concurrency.py [--seeds 20] [--workers 3]

The trials are those of tests/campaigns/test_concurrency.py (a trial is named
by its combination and seed; the seed sets the stagger of the starts), spread
over worker threads, each with its own prepared book and SMTP server on
loopback. Prints each failing trial and a summary per combination; writes
every trial to bench/out/campaign_concurrency.json. Failing trials keep their
folder under bench/out/concurrency/.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.campaigns.test_concurrency import COMBINATIONS, ConcurrencyCampaign  # noqa: E402
from tests.files.workload import run_in_workers  # noqa: E402

OUT = ROOT / "bench" / "out"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=20, help="trials per combination")
    ap.add_argument("--workers", type=int, default=3)
    args = ap.parse_args()
    work = OUT / "concurrency"
    shutil.rmtree(work, ignore_errors=True)
    todo = [(c, seed) for seed in range(1, args.seeds + 1) for c in COMBINATIONS]
    results = []
    started = time.monotonic()

    def done(t) -> None:
        results.append(t)
        if t.failures:
            print(f"FAIL {'+'.join(t.combination)} seed {t.seed}: {t.failures}", flush=True)
        if len(results) % 25 == 0:
            print(f"{len(results)} trials, {time.monotonic() - started:.0f} s", flush=True)

    run_in_workers(todo, args.workers, lambda n, server: ConcurrencyCampaign(work / f"worker-{n}", server),
                   ConcurrencyCampaign.trial, done)
    reads = sum(t.reads for t in results)
    failed = [t for t in results if t.failures]
    print(f"\n{len(results)} trials ({len(COMBINATIONS)} combinations x {args.seeds} seeds) in "
          f"{time.monotonic() - started:.0f} s; {reads} concurrent reads; {len(failed)} failed")
    for c in COMBINATIONS:
        mine = [t for t in results if t.combination == c]
        print(f"{'+'.join(c):15} trials {len(mine)}, failed {sum(bool(t.failures) for t in mine)}")
    OUT.mkdir(exist_ok=True)
    (OUT / "campaign_concurrency.json").write_text(json.dumps([asdict(t) for t in results], indent=1))


if __name__ == "__main__":
    main()
