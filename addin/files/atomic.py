"""One way to replace a file so that a kill, a crash or a full disk never leaves it half-written.

The new content goes to a temporary file beside the target (same folder, so
the rename is atomic on every filesystem), is flushed and fsynced, replaces
the target, and then the folder is fsynced so the rename itself survives a
power cut. On any failure the temporary file is removed and the target is
untouched. Windows refuses to replace a file another program holds open:
that surfaces as ``FileInUse`` with words a clerk understands.

A kill -9 between creating the temporary file and the rename leaves it
behind: its name says which target it was for, so whoever next holds that
target's lock removes it (``remove_leftovers``).
"""
from __future__ import annotations

import os
import re
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .lock import BookLocked

TEMP_PREFIX = "~tmp-arcollect-"


class FileInUse(BookLocked, PermissionError):
    """The target could not be replaced because another program has it open."""


def _temp_prefix(target: Path) -> str:
    return f"{TEMP_PREFIX}{target.name}~"


def _remove_temporaries(folder: Path, mine) -> None:
    """Delete the files in ``folder`` whose name ``mine`` accepts."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if mine(name):
            try:
                os.remove(folder / name)
            except OSError:
                pass


def remove_leftovers(target) -> None:
    """Delete the temporary files a killed writer of ``target`` left beside it; call holding its lock."""
    target = Path(target)
    own = re.compile(re.escape(_temp_prefix(target)) + r"[a-z0-9_]{8}" + re.escape(target.suffix) + r"\Z")
    _remove_temporaries(target.parent, own.match)


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows: folders cannot be opened; NTFS journals the rename itself
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_writer(target, *, keep_mode: bool = True,
                  before_replace: Callable[[], None] | None = None) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it durably replaces ``target``, else nothing changes.

    ``before_replace`` runs once the new content is on disk, just before the rename: a last check
    (is the target still the one we read?) whose exception leaves the target untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=_temp_prefix(target), suffix=target.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if keep_mode:
            try:
                mode = stat.S_IMODE(os.stat(target).st_mode) if target.exists() else 0o644
                os.chmod(tmp, mode)
            except OSError:
                pass
        if before_replace is not None:
            before_replace()
        try:
            os.replace(tmp, target)
        except PermissionError as exc:
            raise FileInUse(f"{target.name} is open in another program: close it and try again") from exc
        fsync_folder(target.parent)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def write_atomic(target, data: bytes) -> Path:
    """Durably replace ``target`` with ``data``; return the path."""
    with atomic_writer(target) as fh:
        fh.write(data)
    return Path(target)


def sweep_leftovers(folder) -> None:
    """Delete every temporary file a killed writer left in ``folder`` (an outbox); call holding the book's lock.

    Only arcollect writes an outbox, always under the book's lock, so under that
    lock no temporary file there can belong to a live writer.
    """
    _remove_temporaries(Path(folder), lambda name: name.startswith(TEMP_PREFIX))
