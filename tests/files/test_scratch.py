"""Nothing outlives a run: spill folders of killed processes, temporary files of killed saves."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from addin.files.atomic import remove_leftovers, write_atomic
from addin.files.lock import SCRATCH_PREFIX, ScratchFolder
from addin.workbook.package import Column, XlsxPackage

from .workload import ROOT, command, environment, run, small_book


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """A temp folder of our own, for this process and the ones it starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def spiller(book: Path, tmp: Path) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-m", "tests.files.holder", "spill", str(book)], cwd=ROOT,
                            env=environment(tmp), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    word, folder = proc.stdout.readline().split()
    assert word == "spilled" and Path(folder).parent == tmp and any(Path(folder).iterdir())
    return proc, Path(folder)


def test_the_spill_folder_of_a_killed_process_goes_with_the_next_open_and_a_live_one_stays(tmp_path, tmp):
    book = small_book(tmp_path / "books", customers=3)
    dead, dead_folder = spiller(book, tmp)
    dead.kill()
    dead.wait(10)
    assert dead_folder.exists()
    live, live_folder = spiller(book, tmp)
    try:
        assert not dead_folder.exists()
        with XlsxPackage.open(book) as pkg:
            pkg.write_sheet("Aging", [Column("n")], [[1]])
            mine = Path(pkg._tmpdir.name)
            assert live_folder.exists() and mine.exists()
        assert not mine.exists()
    finally:
        live.communicate("")
    assert list(tmp.iterdir()) == []


def test_live_scratch_folders_survive_sweeps_from_other_processes(tmp):
    procs = [subprocess.Popen([sys.executable, "-m", "tests.files.holder", "scratch", "-", "150"], cwd=ROOT,
                              env=environment(tmp)) for _ in range(4)]
    assert [p.wait(120) for p in procs] == [0, 0, 0, 0]
    assert list(tmp.iterdir()) == []


def test_a_folder_without_an_owner_file_is_left_until_it_is_a_day_old(tmp):
    fresh = tmp / f"{SCRATCH_PREFIX}fresh"
    old = tmp / f"{SCRATCH_PREFIX}old"
    for d in (fresh, old):
        d.mkdir()
        (d / "x.sheet").write_bytes(b"spill")
    os.utime(old, (0, 0))
    ScratchFolder().cleanup()
    assert fresh.exists() and not old.exists()


def test_a_run_leaves_nothing_in_the_temp_folder_or_beside_the_book(tmp_path):
    book = small_book(tmp_path / "books", customers=3)
    done = run(command("run", str(book), "--as-of", "2026-11-30"), environment(tmp_path / "tmp"))
    assert done.returncode in (0, 1), done.stderr
    assert list((tmp_path / "tmp").iterdir()) == []
    assert sorted(p.name for p in book.parent.iterdir()) == ["book outbox", "book.xlsx"]


def test_leftovers_of_a_killed_save_are_removed_for_that_book_only(tmp_path):
    folder = tmp_path / "books"
    folder.mkdir()
    book = write_atomic(folder / "a.xlsx", b"book")
    mine = [tempfile.mkstemp(dir=folder, prefix="~tmp-arcollect-a.xlsx~", suffix=".xlsx") for _ in range(2)]
    others = [tempfile.mkstemp(dir=folder, prefix=f"~tmp-arcollect-{name}~", suffix=suffix)
              for name, suffix in (("a.xlsx.b.xlsx", ".xlsx"), ("b.xlsx", ".xlsx"), ("a.xlsx", ".eml"))]
    for fd, _ in mine + others:
        os.close(fd)
    remove_leftovers(book)
    assert sorted(p.name for p in folder.iterdir()) == sorted(["a.xlsx"] + [Path(p).name for _, p in others])
