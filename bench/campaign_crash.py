"""Crash campaign: kill -9 at random moments during run, send, log and init, by the hundred.

    .venv/bin/python bench/campaign_crash.py [--trials 200] [--kinds run,send,log,init] [--workers 4]

The trials are those of tests/campaigns/test_crash.py (seeded: a trial is
named by its kind and seed), spread over worker threads, each with its own
prepared books and its own SMTP server on loopback. Prints one line per
failing trial and a summary per kind; writes every trial to
bench/out/campaign_crash.json. Failing trials keep their folder under
bench/out/crash/ for inspection. For ``send`` the summary counts the messages
a re-run held as uncertain, how the clerk (the trial) resolved them - marked
sent when the loopback mailbox had them, resent when not - and the messages
the server got twice (which must be 0).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.campaigns.test_crash import KINDS, CrashCampaign  # noqa: E402
from tests.files.workload import run_in_workers  # noqa: E402

OUT = ROOT / "bench" / "out"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200, help="trials per kind")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    kinds = args.kinds.split(",")
    work = OUT / "crash"
    shutil.rmtree(work, ignore_errors=True)
    todo = [(k, seed) for seed in range(1, args.trials + 1) for k in kinds]
    results = []
    started = time.monotonic()

    def done(t) -> None:
        results.append(t)
        if t.failures:
            print(f"FAIL {t.kind} seed {t.seed} aimed {t.moment} ({t.delay} s), landed {t.phase}: {t.failures}",
                  flush=True)
        if len(results) % 50 == 0:
            print(f"{len(results)} trials, {time.monotonic() - started:.0f} s", flush=True)

    run_in_workers(todo, args.workers, lambda n, server: CrashCampaign(work / f"worker-{n}", server),
                   CrashCampaign.trial, done)
    summary = defaultdict(lambda: defaultdict(int))
    for t in results:
        s = summary[t.kind]
        s["trials"] += 1
        s["killed"] += t.killed
        s["failed"] += bool(t.failures)
        s[f"aimed {t.moment}"] += 1
        s[f"landed {t.phase}"] += 1
        if t.kind == "send":
            s["uncertain found"] += t.uncertain
            s["marked sent (in the mailbox)"] += t.marked
            s["resent (not in the mailbox)"] += t.resent
            s["doubled"] += t.doubled
    print(f"\n{len(results)} trials in {time.monotonic() - started:.0f} s")
    for kind in kinds:
        print(f"{kind:5} " + ", ".join(f"{k}: {v}" for k, v in summary[kind].items()))
    OUT.mkdir(exist_ok=True)
    (OUT / "campaign_crash.json").write_text(json.dumps({"summary": summary, "trials": [asdict(t) for t in results]},
                                                        indent=1))


if __name__ == "__main__":
    main()
