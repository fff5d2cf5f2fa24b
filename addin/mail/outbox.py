"""The outbox: drafts as .eml files in a folder, one per communication.

File names come from the communication's identity (customer id, currency,
level, run date) with safe characters only (``C00042_GBP_L2_2026-11-30.eml``),
so a re-run overwrites the same draft rather than adding a second one. Files are written atomically (temp file + rename).
Reading back parses them with the standard library's modern policy.
"""
from __future__ import annotations

import os
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from addin.core.model import Communication

from ..documents.pdf import safe_filename


def draft_filename(comm: Communication) -> str:
    return safe_filename(*comm.key.parts, suffix=".eml")


def write_draft(msg: EmailMessage | bytes, comm: Communication, folder) -> Path:
    """Write one draft as .eml (CRLF line endings, as mail clients expect); return its path.

    ``msg`` is an ``EmailMessage`` or the bytes from ``message_bytes`` (written as they are).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / draft_filename(comm)
    data = bytes(msg) if isinstance(msg, (bytes, bytearray)) else msg.as_bytes(policy=policy.SMTP)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return path


def read_draft(path) -> EmailMessage:
    with open(path, "rb") as fh:
        return BytesParser(policy=policy.default).parse(fh)


def read_outbox(folder) -> list[tuple[Path, EmailMessage]]:
    """All drafts in the outbox, sorted by file name, for sending."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return [(p, read_draft(p)) for p in sorted(folder.glob("*.eml"))]


# --------------------------------------------------------------------------- batch drafting

def _draft_chunk(args) -> tuple[list[str], list[str]]:
    comms, settings, folder, template_dir, sender = args
    from ..documents.render import render_batch
    from .message import AddressProblem, message_bytes
    rendered, problems = render_batch(comms, settings, template_dir, parts=("subject", "text", "html"))
    paths = []
    for comm, r in zip(comms, rendered):
        if r is None:
            paths.append("")
            continue
        try:
            msg = message_bytes(comm, r, settings, sender=sender, draft=True)
        except AddressProblem as exc:
            problems.append(str(exc))
            paths.append("")
            continue
        paths.append(str(write_draft(msg, comm, folder)))
    return paths, problems


def draft_emails(comms, settings, folder, *, template_dir=None, sender=None,
                 workers: int = 1) -> tuple[list[Path | None], list[str]]:
    """Render and write one .eml draft per communication (no letters attached).

    Returns the draft path per communication (None where it could not be
    drafted) and the problems (template problems, bad addresses naming their
    cell). ``workers`` > 1 spreads the batch over that many processes.
    """
    comms = list(comms)
    Path(folder).mkdir(parents=True, exist_ok=True)
    if workers <= 1 or len(comms) < 200:
        paths, problems = _draft_chunk((comms, settings, str(folder), template_dir, sender))
    else:
        from concurrent.futures import ProcessPoolExecutor
        size = -(-len(comms) // (workers * 4))
        chunks = [(comms[i:i + size], settings, str(folder), template_dir, sender)
                  for i in range(0, len(comms), size)]
        paths, problems = [], []
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for p, probs in pool.map(_draft_chunk, chunks):
                paths += p
                problems += [x for x in probs if x not in problems]
    return [Path(p) if p else None for p in paths], problems
