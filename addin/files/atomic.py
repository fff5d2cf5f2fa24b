"""One way to replace a file so that a kill, a crash or a full disk never leaves it half-written.

The new content goes to a temporary file beside the target (same folder, so
the rename is atomic on every filesystem), is flushed and fsynced, replaces
the target, and then the folder is fsynced so the rename itself survives a
power cut. On any failure the temporary file is removed and the target is
untouched. Windows refuses to replace a file another program holds open:
that surfaces as ``FileInUse`` with words a clerk understands.
"""
from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

TEMP_PREFIX = "~tmp-arcollect-"


class FileInUse(PermissionError):
    """The target could not be replaced because another program has it open."""


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
def atomic_writer(target, *, keep_mode: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it durably replaces ``target``, else nothing changes."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=target.suffix)
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
