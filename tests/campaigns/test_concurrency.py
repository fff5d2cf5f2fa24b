"""Two and three arcollect processes on one book, in every combination of run, send and log.

The book starts drafted (eight emails waiting); ``run`` refreshes it three
weeks later (new reminders to draft), ``send`` sends every approved draft to
an aiosmtpd server on loopback, ``log`` records a call with a reason naming
its process. They start together (seeded stagger of up to 0.3 s) while a
reader reads the book over and over as ``arcollect age`` does. Afterwards:
every process succeeded, the reader never failed to read the book, the book
is valid with nothing left beside it, no History row was lost (those before
are unchanged, every log is there once), nothing was drafted or sent twice,
the server and History agree on what was sent, each message once, and runs
drafted exactly what one run alone drafts. ``bench/campaign_concurrency.py``
repeats every combination with many seeds.
"""
from __future__ import annotations

import itertools
import json
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.files.workload import (BOOK, ROOT, SmtpServer, book_problems, command, doubled, environment, history, ids,
                                  left_behind, run, small_book, start)

LATER = "2026-12-21"
COMBINATIONS = [c for n in (2, 3) for c in itertools.combinations_with_replacement(("run", "send", "log"), n)]


@dataclass
class Trial:
    combination: tuple[str, ...]
    seed: int
    failures: list[str] = field(default_factory=list)
    reads: int = 0


class ConcurrencyCampaign:
    """A drafted book made once, what one later run drafts on it, and the trials on copies of it."""

    def __init__(self, work: Path, server: SmtpServer):
        self.work, self.server = work, server
        self.base = small_book(work / "base").parent
        done = run(command("run", str(self.base / BOOK), "--as-of", "2026-11-30"), environment(work / "tmp"))
        assert done.returncode in (0, 1), done.stderr
        alone = work / "alone"
        shutil.copytree(self.base, alone)
        done = run(self._command("run", alone / BOOK, 0), environment(work / "tmp"))
        assert done.returncode in (0, 1), done.stderr
        self.later = set(ids(history(alone / BOOK), "drafted")) - set(ids(history(self.base / BOOK), "drafted"))
        assert self.later, "the later run must have reminders to draft"
        shutil.rmtree(work / "tmp")

    @staticmethod
    def _command(kind: str, book: Path, n: int) -> list[str]:
        return {"run": command("run", str(book), "--as-of", LATER),
                "send": command("send", str(book), "--approve-all"),
                "log": command("log", str(book), "--customer", f"C00{n + 1}", "--outcome", "called",
                               "--reason", f"concurrent log {n}")}[kind]

    def trial(self, combination: tuple[str, ...], seed: int) -> Trial:
        rng = random.Random(f"{'+'.join(combination)}-{seed}")
        t = Trial(combination, seed)
        folder = self.work / f"{'+'.join(combination)}-{seed}"
        shutil.copytree(self.base, folder)
        book, tmp = folder / BOOK, folder / "tmp"
        before = history(book)
        self.server.handler.messages.clear()
        env = environment(tmp, self.server.port)
        reader = subprocess.Popen([sys.executable, "-m", "tests.files.holder", "read", str(book)], cwd=ROOT, env=env,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert reader.stdout.readline().strip() == "reading"
        procs = []
        for n, kind in enumerate(combination):
            time.sleep(rng.uniform(0, 0.3 / len(combination)))
            procs.append(start(self._command(kind, book, n), env))
        for kind, p in zip(combination, procs):
            _out, err = p.communicate(timeout=300)
            if p.returncode not in (0, 1):
                t.failures.append(f"{kind} failed ({p.returncode}): {err.strip()[-300:]}")
        out, _ = reader.communicate("", timeout=120)
        seen = json.loads(out.strip().splitlines()[-1])
        t.reads = seen["reads"]
        t.failures += [f"reader: {f}" for f in seen["failures"]]
        t.failures += book_problems(book) or self._after(combination, book, before)
        t.failures += left_behind(book, tmp)
        if not t.failures:
            shutil.rmtree(folder)
        return t

    def _after(self, combination: tuple[str, ...], book: Path, before: list[dict]) -> list[str]:
        rows = history(book)
        problems = doubled(rows)
        if rows[:len(before)] != before:
            problems.append("History rows written before were lost or changed")
        calls = [str(r["Outcome"]) for r in rows[len(before):] if r["Action"] == "called"]
        for n, kind in enumerate(combination):
            times = sum(c.endswith(f"concurrent log {n}") for c in calls)
            if kind == "log" and times != 1:
                problems.append(f"log {n} is in History {times} times")
        drafted = set(ids(rows, "drafted"))
        if "send" in combination:
            sent, delivered = ids(rows, "sent"), self.server.delivered()
            if sent != delivered or any(n != 1 for n in delivered.values()):
                problems.append(f"server got {dict(delivered)}, History says sent {dict(sent)}")
            if set(sent) - drafted:
                problems.append(f"sent without a draft: {sorted(set(sent) - drafted)}")
        elif "run" in combination and drafted - set(ids(before, "drafted")) != self.later:
            problems.append(f"runs drafted {sorted(drafted - set(ids(before, 'drafted')))}, one run alone "
                            f"drafts {sorted(self.later)}")
        return problems


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    with SmtpServer() as server:
        yield ConcurrencyCampaign(tmp_path_factory.mktemp("concurrency"), server)


@pytest.mark.parametrize("combination", COMBINATIONS, ids="+".join)
def test_processes_on_one_book_lose_double_and_break_nothing(campaign, combination):
    t = campaign.trial(combination, 1)
    assert t.reads > 0
    assert t.failures == [], f"{'+'.join(combination)}: {t.failures}"
