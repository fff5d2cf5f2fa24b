"""One arcollect at a time per book, with real processes holding, waiting for and dying with the lock."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta

import pytest

from addin.files.lock import BookBusy, BookChanged, book_lock, lock_path
from addin.workbook.package import BookLocked, Column, XlsxPackage

from .workload import ROOT, command, environment, history, run, small_book


def busy(pid: int, since: str) -> str:
    return f"book.xlsx is being updated by another arcollect (pid {pid} since {since}): try again in a minute"


def minutes() -> set[str]:
    """This minute and the next: a message naming 'since 10:15' may straddle a minute's end."""
    now = datetime.now()
    return {f"{now:%H:%M}", f"{now + timedelta(seconds=60):%H:%M}"}


def holder(*args) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.files.holder", *map(str, args)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().split()[0] in ("held", "spilled")
    return proc


@pytest.fixture
def book(tmp_path):
    return small_book(tmp_path / "books", customers=3)


def test_a_second_arcollect_waits_a_bounded_time_then_refuses_naming_the_holder(book):
    since = minutes()
    proc = holder("lock", book)
    try:
        started = time.monotonic()
        with pytest.raises(BookBusy) as e:
            with book_lock(book, wait=0.5):
                pass
        assert 0.5 <= time.monotonic() - started < 5
        assert str(e.value) in {busy(proc.pid, m) for m in since}
        assert isinstance(e.value, BookLocked)
    finally:
        proc.communicate("")
    with book_lock(book, wait=0):            # released: taken at once
        assert lock_path(book).exists()
    assert not lock_path(book).exists()      # and its file removed


def test_the_waiter_gets_the_book_as_soon_as_the_holder_is_done(book):
    proc = holder("lock", book)
    time.sleep(0.3)
    proc.stdin.close()                       # the holder finishes while we wait
    started = time.monotonic()
    with book_lock(book, wait=30):
        assert time.monotonic() - started < 10
    proc.wait(10)


def test_a_book_reached_through_a_symlink_has_the_same_lock(book, tmp_path):
    link = tmp_path / "shortcut.xlsx"
    link.symlink_to(book)
    proc = holder("lock", link)
    try:
        with pytest.raises(BookBusy):
            with book_lock(book, wait=0):
                pass
    finally:
        proc.communicate("")


def test_a_lock_left_by_a_killed_process_never_blocks(book):
    proc = holder("lock", book)
    proc.kill()
    proc.wait(10)
    assert lock_path(book).exists()          # kill -9: the file stays, the OS lock went with the process
    with book_lock(book, wait=0):
        pass
    assert not lock_path(book).exists()


def test_processes_never_hold_the_book_together(book, tmp_path):
    """Read-increment-write under the lock from four processes: no increment is ever lost."""
    counter = tmp_path / "counter"
    counter.write_text("0")
    procs = [subprocess.Popen([sys.executable, "-m", "tests.files.holder", "count", str(book), str(counter), "40"],
                              cwd=ROOT) for _ in range(4)]
    for p in procs:
        assert p.wait(120) == 0
    assert counter.read_text() == "160"
    assert not lock_path(book).exists()


def test_the_cli_refuses_with_exit_2_and_one_line_while_another_arcollect_has_the_book(book, tmp_path):
    before = book.read_bytes()
    since = minutes()
    proc = holder("lock", book)
    try:
        done = run(command("log", str(book), "--customer", "C001", "--outcome", "called"),
                   environment(tmp_path / "tmp", lock_wait=0.2))
    finally:
        proc.communicate("")
    assert done.returncode == 2
    assert done.stderr in {f"arcollect: {busy(proc.pid, m)}\n" for m in since}
    assert book.read_bytes() == before


@pytest.mark.parametrize("lock, program", [("~$book.xlsx", "Excel"), (".~lock.book.xlsx#", "LibreOffice")])
@pytest.mark.parametrize("what", [["run"], ["log", "--customer", "C001", "--outcome", "called"]])
def test_a_book_open_in_excel_or_libreoffice_is_refused(book, tmp_path, lock, program, what):
    before = book.read_bytes()
    (book.parent / lock).write_text("clerk,PC-1,...")
    done = run(command(what[0], str(book), *what[1:]), environment(tmp_path / "tmp"))
    assert done.returncode == 2
    assert done.stderr == (f"arcollect: book.xlsx is open in {program} (lock file {lock}): "
                           "close it and try again\n")
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == sorted([lock, "book.xlsx"])


def test_a_book_saved_by_another_program_meanwhile_is_not_overwritten(book, tmp_path):
    pkg = XlsxPackage.open(book)
    pkg.write_sheet("Aging", [Column("n")], [[1]])
    theirs = tmp_path / "theirs.xlsx"
    shutil.copy(book, theirs)
    with zipfile.ZipFile(theirs, "a") as z:      # another program adds a part and saves
        z.writestr("docProps/custom.xml", "<x/>")
    os.replace(theirs, book)
    saved = book.read_bytes()
    with pytest.raises(BookChanged, match="book.xlsx was changed by another program while arcollect was "
                                          "updating it: nothing was saved to it; run arcollect again"):
        pkg.save()
    assert book.read_bytes() == saved
    pkg.close()


def test_a_change_keeping_size_and_mtime_is_still_seen(book):
    """A filesystem with coarse timestamps: same size, same mtime, different bytes (the zip comment)."""
    with zipfile.ZipFile(book, "a") as z:
        z.comment = b"aaaaaaaaaa"
    pkg = XlsxPackage.open(book)
    st = book.stat()
    data = book.read_bytes()
    book.write_bytes(data[:-10] + b"bbbbbbbbbb")
    os.utime(book, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(BookChanged):
        pkg.save()
    assert book.read_bytes().endswith(b"bbbbbbbbbb")
    pkg.close()


def test_a_replace_the_system_refuses_is_reported_as_open_in_another_program(book, tmp_path):
    """Windows refuses to replace a book Excel holds; here an immutable file refuses the same way."""
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(book)]).returncode:
        pytest.skip("no immutable files here (chattr +i needs root on ext4/xfs/btrfs)")
    try:
        before = book.read_bytes()
        done = run(command("log", str(book), "--customer", "C001", "--outcome", "called"),
                   environment(tmp_path / "tmp"))
    finally:
        subprocess.run(["chattr", "-i", str(book)], check=True)
    assert done.returncode == 2
    assert done.stderr == "arcollect: book.xlsx is open in another program: close it and try again\n"
    assert book.read_bytes() == before
    assert sorted(p.name for p in book.parent.iterdir()) == ["book.xlsx"]


def test_a_book_written_under_the_lock_logs_every_contact(book, tmp_path):
    """Three clerks log at once: all three rows are there (the lost update the lock prevents)."""
    env = environment(tmp_path / "tmp")
    procs = [subprocess.Popen(command("log", str(book), "--customer", f"C00{i}", "--outcome", "called"), cwd=ROOT,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in (1, 2, 3)]
    assert [p.wait(120) for p in procs] == [0, 0, 0]
    assert sorted(r["Customer ID"] for r in history(book) if r["Action"] == "called") == ["C001", "C002", "C003"]

