"""One arcollect at a time per book, and a check that the book is still the one read.

The book's lock is a file beside it, ``.~arcollect.NAME.lock``, whose content
says who holds it (pid, host, since when) for the message another process
prints. What locks is an OS lock on that file (``flock`` on POSIX,
``msvcrt.locking`` on Windows), not the file's existence: the kernel drops it
when its process dies, even by kill -9, so a lock file left by a killed run
never blocks anyone - the next run simply takes it. (A lock by existence alone,
O_CREAT|O_EXCL, cannot tell a dead holder from a live one on another host or
after pid reuse; it would need a stale-lock heuristic that sometimes breaks a
live lock.) The holder deletes the file when done; a waiter that won the OS
lock on a file deleted meanwhile starts again, so two processes never both
hold it. A second process waits up to ``ARCOLLECT_LOCK_WAIT`` seconds
(default 30), then refuses with words a clerk understands.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Iterator

WAIT_ENV = "ARCOLLECT_LOCK_WAIT"
DEFAULT_WAIT = 30.0
POLL = 0.05
TAIL = 1 << 20      # bytes hashed from the end of a book: the zip's central directory (every part's CRC-32)


class BookLocked(Exception):
    """The book cannot be written now: another program or another arcollect has it."""


class BookBusy(BookLocked):
    """Another arcollect still held the book's lock when the wait ran out."""


class BookChanged(BookLocked):
    """The book on disk is no longer the one this run read: saving would lose the other change."""


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _LOCK_AT = 1 << 30   # Windows byte locks are mandatory: lock a byte past the note so it stays readable

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_AT, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def lock_path(book) -> Path:
    """Beside the file itself: a book reached through a symlink and by its own path has one lock."""
    book = Path(book).resolve()
    return book.with_name(f".~arcollect.{book.name}.lock")


def wait_seconds(environ=None) -> float:
    """How long a second arcollect waits for the lock: ``ARCOLLECT_LOCK_WAIT`` seconds, else 30."""
    text = (os.environ if environ is None else environ).get(WAIT_ENV, "")
    try:
        return max(0.0, float(text)) if text.strip() else DEFAULT_WAIT
    except ValueError:
        return DEFAULT_WAIT


def _same_file(fd: int, path: Path) -> bool:
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


def _read_note(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        note = json.loads(os.read(fd, 4096) or b"{}")
        return note if isinstance(note, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_note(fd: int) -> None:
    note = {"program": "arcollect", "pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now().astimezone().isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(note).encode())


def busy_message(book: Path, note: dict) -> str:
    """'book.xlsx is being updated by another arcollect (pid 1234 since 10:15): try again in a minute'."""
    who = []
    if note.get("pid"):
        who.append(f"pid {note['pid']}")
    if note.get("host") and note["host"] != socket.gethostname():
        who.append(f"on {note['host']}")
    try:
        since = datetime.fromisoformat(str(note["since"])).astimezone()
        today = datetime.now().astimezone().date()
        who.append(f"since {since:%H:%M}" if since.date() == today else f"since {since:%Y-%m-%d %H:%M}")
    except (KeyError, ValueError):
        pass
    detail = " ".join(who) or f"lock file {lock_path(book).name}"
    return f"{book.name} is being updated by another arcollect ({detail}): try again in a minute"


@contextmanager
def book_lock(book, wait: float | None = None) -> Iterator[Path]:
    """Hold ``book``'s lock for the block, after waiting at most ``wait`` seconds; else ``BookBusy``."""
    book = Path(book)
    path = lock_path(book)
    deadline = time.monotonic() + (wait_seconds() if wait is None else wait)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if _try_lock(fd):
                if _same_file(fd, path):
                    break
                os.close(fd)       # won a file its holder deleted on release: start again at once
                continue
            note = _read_note(fd)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if time.monotonic() >= deadline:
            raise BookBusy(busy_message(book, note))
        time.sleep(POLL)
    try:
        _write_note(fd)
        yield path
    finally:
        _release(fd, path)


def _release(fd: int, path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - an open file cannot be deleted on Windows: close, then try
        os.close(fd)
        with suppress(OSError):
            os.unlink(path)
        return
    with suppress(OSError):
        os.unlink(path)    # while still held: a waiter that opened it sees it is gone and starts again
    os.close(fd)


# --------------------------------------------------------------------------- the book as read


@dataclass(frozen=True)
class Fingerprint:
    """One version of a file: size, mtime_ns and a SHA-256 of its last MiB.

    For a zip the last MiB holds the central directory - every part's CRC-32,
    sizes and offsets - so a change of any part changes the hash even on a
    filesystem whose mtime is coarse.
    """
    size: int
    mtime_ns: int
    tail: bytes

    @classmethod
    def of(cls, f: BinaryIO) -> Fingerprint:
        st = os.fstat(f.fileno())
        pos = f.tell()
        try:
            f.seek(max(0, st.st_size - TAIL))
            tail = hashlib.sha256(f.read(TAIL)).digest()
        finally:
            f.seek(pos)
        return cls(st.st_size, st.st_mtime_ns, tail)

    def verify(self, path: Path) -> None:
        """``BookChanged`` unless ``path`` still holds exactly this version."""
        try:
            with open(path, "rb") as f:
                now = Fingerprint.of(f)
        except FileNotFoundError:
            now = None
        if now != self:
            raise BookChanged(f"{path.name} was changed by another program while arcollect was updating it: "
                              "nothing was saved to it; run arcollect again")
