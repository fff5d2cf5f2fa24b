"""Benchmark of the documents layer alone: email drafts (.eml on disk) for 10,000 customers, PDF letters for 1,000.

The whole way from a refreshed book (bench_drafting.py) must stay within 20 s
for the drafts and 30 s for the letters (per-customer PDFs plus the combined
batch file) on a 2-core machine, so this layer must too. Communications are
synthetic.

    python bench/bench_documents.py [--customers 10000] [--letters 1000] [--out DIR]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from addin.documents.pdf import write_letters  # noqa: E402
from addin.documents.render import render  # noqa: E402
from addin.documents.sample import sample_communication, sample_settings  # noqa: E402
from addin.app.draft import draft_emails  # noqa: E402


def comms(n: int):
    langs = ("en", "en", "en", "de")
    return [sample_communication(i, level=1 + i % 3, language=langs[i % 4], items=1 + i % 5)
            for i in range(1, n + 1)]


def bench_drafts(n: int, out: Path) -> float:
    settings = sample_settings()
    batch = comms(n)
    best = None
    for workers in (1, 2):
        d = out / f"w{workers}"
        t0 = time.perf_counter()
        paths, problems = draft_emails(batch, settings, d, workers=workers)
        t = time.perf_counter() - t0
        assert not problems, problems[:3]
        assert len(list(d.glob("*.eml"))) == n
        print(f"email drafts: {n} customers, {workers} process(es): render (checked) + build + "
              f"write .eml = {t:.1f} s ({t / n * 1000:.2f} ms each; target <= 20 s)")
        best = t if best is None else min(best, t)
    return best


def bench_letters(n: int, out: Path) -> float:
    settings = sample_settings()
    batch = comms(n)
    t0 = time.perf_counter()
    rendered = [(c, render(c, settings, parts=("letter",))) for c in batch]
    t1 = time.perf_counter()
    paths, combined = write_letters(rendered, out, settings)
    t2 = time.perf_counter()
    assert len(paths) == n
    print(f"PDF letters: {n} customers: render {t1 - t0:.1f} s + {n} PDFs and the combined file "
          f"({combined.stat().st_size / 1e6:.1f} MB) {t2 - t1:.1f} s = {t2 - t0:.1f} s "
          f"({(t2 - t0) / n * 1000:.1f} ms each; target <= 30 s)")
    return t2 - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=10_000)
    ap.add_argument("--letters", type=int, default=1_000)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = a.out or Path(tmp)
        d = bench_drafts(a.customers, base / "outbox")
        p = bench_letters(a.letters, base / "letters")
    return 0 if d <= 20 and p <= 30 else 1


if __name__ == "__main__":
    sys.exit(main())
