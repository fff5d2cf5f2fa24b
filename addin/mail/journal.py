"""The send journal: which messages the SMTP server accepted, on disk the moment it said so.

History is written only when the book is saved, after the whole batch. A
kill, a crash, a full disk or the book opened in Excel before that save
would forget every message already accepted, and the next ``send`` would
send them all again. So each acceptance is appended to a JSON-lines file
beside the outbox (``sent.jsonl``), flushed and fsynced before the next
message is attempted, and the folder is fsynced when the file is created:
whatever stops ``send``, the journal lists every message the server took
except, at most, the one whose reply arrived in the instant before the stop.

A record is one line and its newline. A kill or a full disk mid-write can
leave a torn last line; readers ignore it (its message may be sent once
more, as when a connection drops before the server's reply) and the next
append cuts it off first, so every other line is always a whole record.
Any other unreadable line is a ``JournalError``: sending on without knowing
what was sent could send twice.

Each record carries the caller's ``key`` (customer, currency, level, run
date, document...) so that the next save of the book can turn records that
History lacks into its "sent" rows; after that save they may be compacted.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Collection, Iterable, Mapping

from addin.files.atomic import fsync_folder, write_atomic

JOURNAL_NAME = "sent.jsonl"


class JournalError(ValueError):
    """A journal line that is neither a record nor a torn last line."""


@dataclass(frozen=True)
class JournalEntry:
    """One message the server accepted: what its History "sent" row is made from."""

    message_id: str
    sent_at: datetime  # UTC
    recipients: tuple[str, ...]
    key: Mapping = field(default_factory=dict)

    def line(self) -> bytes:
        record = {"message_id": self.message_id, "sent_at": self.sent_at.isoformat(),
                  "recipients": list(self.recipients), "key": dict(self.key)}
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")

    @classmethod
    def parse(cls, text: str) -> "JournalEntry":
        r = json.loads(text)
        return cls(str(r["message_id"]), datetime.fromisoformat(r["sent_at"]),
                   tuple(r["recipients"]), dict(r["key"]))


def utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is a bug (whose clock would it be?)."""
    if when.tzinfo is None:
        raise ValueError(f"{when!r} has no time zone")
    return when.astimezone(timezone.utc)


class SendJournal:
    """The journal file at ``path``; ``SendJournal.beside(outbox)`` for the usual place."""

    def __init__(self, path):
        self.path = Path(path)
        self._prepared = False

    @classmethod
    def beside(cls, outbox) -> "SendJournal":
        return cls(Path(outbox) / JOURNAL_NAME)

    def __repr__(self) -> str:
        return f"SendJournal({str(self.path)!r})"

    def entries(self) -> list[JournalEntry]:
        """Every whole record, in the order written; a torn last line is left out."""
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out = []
        for number, raw in enumerate(data.split(b"\n")[:-1], 1):  # the last piece is "" or torn
            if not raw.strip():
                continue
            try:
                out.append(JournalEntry.parse(raw.decode("utf-8")))
            except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
                raise JournalError(f"{self.path} line {number} is not a send record ({exc}); "
                                   f"nothing can be sent until it is repaired") from None
        return out

    def sent_ids(self) -> set[str]:
        return {e.message_id for e in self.entries()}

    def unlogged(self, logged_ids: Collection[str]) -> list[JournalEntry]:
        """The records whose message has no "sent" row in History yet."""
        return [e for e in self.entries() if e.message_id not in logged_ids]

    def prepare(self) -> None:
        """Create the file durably, or cut a torn last line off it, before anything is sent.

        A journal that cannot be written (no folder, no permission) fails
        here, not after the server has accepted the first message.
        """
        created = not self.path.exists()
        with open(self.path, "ab+") as fh:
            fh.seek(0)
            data = fh.read()
            whole = data.rfind(b"\n") + 1
            if whole != len(data):
                fh.truncate(whole)
            fh.flush()
            os.fsync(fh.fileno())
        if created:
            fsync_folder(self.path.parent)
        self._prepared = True

    def record(self, message_id: str, recipients: Iterable[str], when: datetime,
               key: Mapping) -> JournalEntry:
        """Append one accepted message and fsync it before returning."""
        entry = JournalEntry(message_id, utc(when), tuple(recipients), dict(key))
        line = entry.line()
        if not self._prepared:
            self.prepare()
        with open(self.path, "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return entry

    def compact(self, logged_ids: Collection[str]) -> None:
        """Drop the records History now holds (call only after the save that wrote them).

        Replaced atomically: a kill leaves the old journal or the new one.
        """
        write_atomic(self.path, b"".join(e.line() for e in self.unlogged(logged_ids)))
        self._prepared = True
