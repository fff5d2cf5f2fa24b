"""Nothing outlives a run: spill files have no name, temporary files of killed saves are removed."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from addin.files.atomic import remove_leftovers, write_atomic
from addin.workbook.package import Column, XlsxPackage

from .workload import ROOT, command, environment, run, small_book


@pytest.fixture
def tmp(tmp_path, monkeypatch):
    """A temp folder of our own, for this process and the ones it starts."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def open_spills(pid: int) -> list[str]:
    """The deleted files process ``pid`` holds open (Linux: /proc/PID/fd links ending in "(deleted)")."""
    fds = Path(f"/proc/{pid}/fd")
    return [t for t in (os.readlink(f) for f in fds.iterdir() if f.is_symlink()) if t.endswith("(deleted)")]


def test_spill_files_have_no_name_so_a_killed_writer_leaves_nothing(tmp_path, tmp):
    """kill -9 while the package holds a sheet in its spill files: nothing to sweep, no next run needed."""
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to see the spill files a process holds")
    book = small_book(tmp_path / "books", customers=3)
    proc = subprocess.Popen([sys.executable, "-m", "tests.files.holder", "spill", str(book)], cwd=ROOT,
                            env=environment(tmp), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "spilled"
        assert [t for t in open_spills(proc.pid) if t.startswith(str(tmp))]   # in the temp folder, no name
        assert list(tmp.iterdir()) == []
    finally:
        proc.kill()
        proc.wait(10)
    assert list(tmp.iterdir()) == [] and sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


def test_a_package_closes_its_spill_files_when_it_saves_and_when_it_closes(tmp_path, tmp):
    book = small_book(tmp_path / "books", customers=3)
    with XlsxPackage.open(book) as pkg:
        pkg.write_sheet("Aging", [Column("n")], [[1]])
        spills = list(pkg._spills)
        assert spills and not any(f.closed for f in spills)
        pkg.save()
        assert all(f.closed for f in spills)
        pkg.write_sheet("Aging", [Column("n")], [[2]])
        spills = list(pkg._spills)
    assert spills and all(f.closed for f in spills)
    assert list(tmp.iterdir()) == []


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
