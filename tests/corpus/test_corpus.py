"""The corpus of real receivables files: arcollect must read what other software wrote.

For each file, `arcollect age FILE --as-of D --json` runs in a subprocess on a
copy of the file as it came (no Settings sheet, no mapping), and the items it
read and its totals per currency and per bucket must equal, to the cent, the
expectations computed independently by compute_expected.py (expected.json).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))["files"]
ARCOLLECT = Path(sys.executable).parent / "arcollect"
BUCKETS = ("Current", "1-30", "31-60", "61-90", "91+", "Unapplied", "Total")
ANY = "*"


def _compute_module():
    spec = importlib.util.spec_from_file_location("corpus_compute_expected", HERE / "compute_expected.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run_age(name: str, workdir: Path) -> tuple[subprocess.CompletedProcess, dict | None]:
    exp = EXPECTED[name]
    src = HERE / exp["file"]
    book = workdir / name / src.name  # a copy: the corpus stays byte-identical whatever the CLI does
    book.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, book)
    proc = subprocess.run([str(ARCOLLECT), "age", str(book), "--as-of", exp["as_of"], "--json"],
                          capture_output=True, text=True, timeout=300)
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        doc = None
    return proc, doc


@pytest.fixture(scope="module")
def age_runs(request, tmp_path_factory):
    """Every selected corpus file through the CLI at once (the runs are independent processes)."""
    names = sorted({item.callspec.params["name"] for item in request.session.items
                    if getattr(item, "originalname", "") == "test_age_reads_corpus_file"
                    and hasattr(item, "callspec")})
    workdir = tmp_path_factory.mktemp("corpus")
    with ThreadPoolExecutor(max_workers=max(2, min(6, os.cpu_count() or 2))) as pool:
        return dict(zip(names, pool.map(lambda n: _run_age(n, workdir), names)))


def _excerpt(text: str, lines: int = 6) -> str:
    rows = text.strip().splitlines()
    more = f"\n  ... ({len(rows) - lines} more lines)" if len(rows) > lines else ""
    return "\n  ".join(rows[:lines]) + more


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_is_unchanged(name):
    """The bytes are the ones other software wrote (SOURCE.md names where from)."""
    exp = EXPECTED[name]
    path = HERE / exp["file"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == exp["sha256"], f"{path} was modified"
    assert (path.parent / "SOURCE.md").exists(), f"{path.parent}/SOURCE.md is missing"


def test_expected_json_is_what_compute_expected_computes():
    """expected.json is reproducible from the files by the independent script."""
    assert _compute_module().compute_all()["files"] == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_age_reads_corpus_file(name, age_runs):
    exp = EXPECTED[name]
    proc, doc = age_runs[name]
    assert doc is not None, (
        f"arcollect age printed no JSON (exit {proc.returncode}); stderr:\n  {_excerpt(proc.stderr)}")
    errors = doc.get("errors", [])
    context = (f"exit {proc.returncode}, {len(errors)} error(s): "
               + "; ".join(f"{e.get('cell')}: {e.get('message')}" for e in errors[:3]))

    got_items = len(doc.get("invoices", []))
    assert got_items == exp["open_items"], (
        f"open items read: {got_items}, expected {exp['open_items']} "
        f"(header row {exp['header_row']}, {exp['headers']}) - {context}")

    got = doc.get("totals_by_currency") or {}
    want = exp["totals"]
    if list(want) == [ANY]:
        assert len(got) == 1, f"the file names no currency: expected one currency, got {sorted(got)}"
        got = {ANY: next(iter(got.values()))}
    assert sorted(got) == sorted(want), f"currencies {sorted(got)}, expected {sorted(want)} - {context}"
    for cur, buckets in want.items():
        for b in BUCKETS:
            have = Decimal(str(got[cur].get(b, "0")))
            assert have == Decimal(buckets[b]), (
                f"{cur} {b}: {have}, expected {buckets[b]} (as of {exp['as_of']}) - {context}")
