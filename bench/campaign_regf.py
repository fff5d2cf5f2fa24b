"""Reg F compliance simulation: 90 simulated days of collections on a consumer book, several seeds.

    .venv/bin/python bench/campaign_regf.py [--days 90] [--seeds 4] [--workers 4]

Each seed is the simulation of tests/campaigns/test_regf.py (daily refresh at a
random hour, the clerk's calls and their outcomes logged, disputes resolved,
approved emails sent to an SMTP server on loopback), checked by its
independent checker. Prints what was done and the breaches per rule, with
the first few of each; writes everything to bench/out/campaign_regf.json and
keeps each seed's book under bench/out/regf/.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.campaigns.test_regf import RULES, simulate  # noqa: E402
from tests.files.workload import SmtpServer  # noqa: E402

OUT = ROOT / "bench" / "out"


def one(days: int, seed: int) -> dict:
    folder = OUT / "regf" / f"seed-{seed}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.monotonic()
    with SmtpServer() as server:
        sim = simulate(folder, days=days, seed=seed, customers=9, smtp_port=server.port)
    return {"seed": seed, "days": days, "seconds": round(time.monotonic() - started), "counts": dict(sim.counts),
            "breaches": sim.breaches}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(one, [args.days] * args.seeds, range(1, args.seeds + 1)))
    done, by_rule = Counter(), defaultdict(list)
    peak = "most call attempts in 7 days"
    for r in results:
        done.update({k: v for k, v in r["counts"].items() if k != peak})
        done[peak] = max(done[peak], r["counts"].get(peak, 0))
        for rule, text in r["breaches"]:
            by_rule[rule].append(f"seed {r['seed']}: {text}")
    print(f"{args.seeds} simulations of {args.days} days: " + ", ".join(f"{k} {v}" for k, v in sorted(done.items())))
    for rule in RULES:
        found = by_rule.get(rule, [])
        print(f"\n{rule}: {len(found)} breach(es)")
        for text in found[:5]:
            print(f"  {text}")
    OUT.mkdir(exist_ok=True)
    (OUT / "campaign_regf.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
