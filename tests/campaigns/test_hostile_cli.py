"""Hostile files through the real ``arcollect`` executable: a file of each family through ``age`` or
``run`` (both for the far cell), each process limited to 2 GiB of address space and 60 s, its peak
memory measured by the kernel. Every file through both commands is test_hostile_files.py."""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.campaigns.harness import ROOT, GiB
from tests.campaigns.hostile import AS_OF, hostile_files
from tests.campaigns.test_hostile_files import snapshot

ARCOLLECT = Path(sys.executable).parent / "arcollect"
FAMILIES = [("sheet-bomb.xlsx", "run"), ("workbook-bomb.xlsx", "age"), ("laughs-xl-worksheets-sheet1.xml.xlsx", "age"),
            ("xxe-xl-_rels-workbook.xml.rels.xlsx", "run"), ("far-cell.xlsx", "age"), ("far-cell.xlsx", "run"),
            ("corrupt-deflate.xlsx", "run"), ("encrypted.xlsx", "age")]


def _arcollect(args: list[str], memory: int = 2 * GiB, timeout: float = 60) -> tuple[int, str, str, float, float]:
    """(exit status, stdout, stderr, seconds, peak MiB) of the real executable under RLIMIT_AS."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    start = time.monotonic()
    proc = subprocess.Popen([str(ARCOLLECT), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), preexec_fn=limit)  # noqa: PLW1509
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return -1, out.decode(), err.decode() + "\n(timed out)", timeout, 0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - start, peak


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return {h.path.name: h for h in hostile_files(tmp_path_factory.mktemp("hostile-cli"))}


@pytest.mark.parametrize(("name", "command"), FAMILIES)
def test_the_real_cli_refuses_in_one_line_within_bounds(files, tmp_path, name, command):
    h = files[name]
    book = tmp_path / name
    shutil.copyfile(h.path, book)
    before = snapshot(tmp_path)
    code, out, err, seconds, peak = _arcollect([command, str(book), "--as-of", AS_OF.isoformat()])
    assert code == 2 and out == "" and "Traceback" not in err, (code, err)
    assert err.splitlines() == [err.strip()] and err.startswith(f"arcollect: {name} ") and h.says in err
    assert snapshot(tmp_path) == before
    assert seconds < 30 and peak < 2048
