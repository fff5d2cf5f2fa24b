"""Bad input campaign (short): seeded workbooks full of wrong cells, each through ``arcollect age --json``
in children under 2 GiB and 60 s. No traceback, abort or hang; exit 0 or 1; every problem names its
cell; every planted good row is aged. bench/campaign_bad_input.py runs the same over 10,000 seeds.

A failure owned by someone else's code is listed in KNOWN, with the case that shows it, until it is
fixed; the test then fails on the stale entry, so the list only ever shrinks.
"""
from __future__ import annotations

from collections import Counter

import pytest

from tests.campaigns.badinput import campaign, kind
from tests.campaigns.harness import GiB

SEEDS = range(1, 201)
KNOWN: dict[str, str] = {}  # {failure's beginning: a word in it}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return campaign(tmp_path_factory.mktemp("bad-input"), SEEDS, memory=2 * GiB, timeout=60, workers=2)


def test_every_case_ran(results):
    assert [seed for seed, _f, _o in results] == list(SEEDS)


def test_no_failures_but_the_known_ones(results):
    failures = [(seed, f) for seed, f, _o in results if f]
    unknown = [(seed, f) for seed, f in failures
               if not any(f.startswith(k) and v in f for k, v in KNOWN.items())]
    assert not unknown, Counter(kind(f) for _s, f in unknown)
    stale = [k for k, v in KNOWN.items() if not any(f.startswith(k) and v in f for _s, f in failures)]
    assert not stale, f"fixed: remove from KNOWN {stale}"
    if failures:
        pytest.xfail(f"{len(failures)} of {len(results)} cases show known failures: {Counter(kind(f) for _s, f in failures)}")
