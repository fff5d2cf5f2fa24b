"""The outbox: drafts as .eml files in a folder, one per communication.

File names come from the communication's identity (customer id, currency,
level, run date) with safe characters only (``C00042_GBP_L2_2026-11-30.eml``),
so a re-run overwrites the same draft rather than adding a second one. Files are written durably
and atomically (``files.atomic``).
Reading back parses them with the standard library's modern policy.
"""
from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from addin.core.model import Communication, safe_filename
from addin.files.atomic import write_atomic


def draft_filename(comm: Communication) -> str:
    return safe_filename(*comm.key.parts, suffix=".eml")


def write_draft(msg: EmailMessage | bytes, comm: Communication, folder) -> Path:
    """Write one draft as .eml (CRLF line endings, as mail clients expect); return its path.

    ``msg`` is an ``EmailMessage`` or the bytes from ``message_bytes`` (written as they are).
    """
    data = bytes(msg) if isinstance(msg, (bytes, bytearray)) else msg.as_bytes(policy=policy.SMTP)
    return write_atomic(Path(folder) / draft_filename(comm), data)


def read_draft(path) -> EmailMessage:
    with open(path, "rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def read_outbox(folder) -> list[tuple[Path, EmailMessage]]:
    """All drafts in the outbox, sorted by file name, for sending."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [(p, read_draft(p)) for p in sorted(folder.glob("*.eml"))]
