"""The send journal: which messages were being sent, and which the SMTP server accepted, on disk at once.

History is written only when the book is saved, after the whole batch. A
kill, a crash, a full disk or the book opened in Excel before that save
would forget every message already accepted, and the next ``send`` would
send them all again. So each message's intent and its acceptance are
appended to a JSON-lines file beside the outbox (``sent.jsonl``), flushed
and fsynced - the intent before the message goes on the wire, the
acceptance before the next message is attempted - and the folder is fsynced
when the file is created: whatever stops ``send``, the journal lists every
message the server took, or holds it as uncertain.

A record is one line and its newline. A kill or a full disk mid-write can
leave a torn last line; readers ignore it (a torn intent: its message was
not begun; a torn acceptance: its whole intent makes the message uncertain)
and the next append cuts it off first, so every other line is always a whole record.
Any other unreadable line is a ``JournalError``: sending on without knowing
what was sent could send twice.

Each message has up to two records, in one file. Before its transaction
begins, an *intent* (state ``sending``) is appended and fsynced; when the
server answers, the outcome: ``sent`` (accepted) or ``unsent`` (the server
said no, or the connection dropped before DATA: it cannot have the message).
A message whose intent has no outcome is *uncertain*: the server may have
taken it in the instant before a kill, a crash or a dropped connection, and
nothing on this side can tell. It is never sent again by default; the clerk
checks the Sent folder or the server's log and either has it sent again or
records it as sent (state ``confirmed``: sent, on the clerk's word).

Each record carries the caller's ``key`` (customer, currency, level, run
date, document...) so that the next save of the book can turn records that
History lacks into its "sent" rows; after that save they may be compacted
(an uncertain intent is kept until it is resolved).
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
SENDING, SENT, UNSENT, CONFIRMED = "sending", "sent", "unsent", "confirmed"
STATES = (SENDING, SENT, UNSENT, CONFIRMED)
ACCEPTED = (SENT, CONFIRMED)  # the message went: by the server's 250, or on the clerk's word


class JournalError(ValueError):
    """A journal line that is neither a record nor a torn last line."""


@dataclass(frozen=True)
class JournalEntry:
    """One record: a message about to be sent, accepted, not taken, or confirmed sent by the clerk.

    An accepted (or confirmed) record is what the message's History "sent" row is made from.
    """

    message_id: str
    sent_at: datetime  # UTC: when the record was written (the intent's: when sending began)
    recipients: tuple[str, ...]
    key: Mapping = field(default_factory=dict)
    state: str = SENT

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"journal state {self.state!r} is not one of {', '.join(STATES)}")

    @property
    def accepted(self) -> bool:
        return self.state in ACCEPTED

    def line(self) -> bytes:
        record = {"message_id": self.message_id, "sent_at": self.sent_at.isoformat(),
                  "recipients": list(self.recipients), "key": dict(self.key), "state": self.state}
        return (json.dumps(record, separators=(",", ":")) + "\n").encode("ascii")

    @classmethod
    def parse(cls, text: str) -> "JournalEntry":
        r = json.loads(text)  # a record without a state is an acceptance (journals before intents)
        return cls(str(r["message_id"]), datetime.fromisoformat(r["sent_at"]),
                   tuple(r["recipients"]), dict(r["key"]), str(r.get("state", SENT)))


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

    def accepted(self) -> list[JournalEntry]:
        """The records of messages that went (accepted, or confirmed by the clerk), in the order written."""
        return [e for e in self.entries() if e.accepted]

    def sent_ids(self) -> set[str]:
        return {e.message_id for e in self.accepted()}

    def uncertain(self) -> list[JournalEntry]:
        """The intents of messages that may or may not have gone: last record ``sending``, none accepted."""
        return list(_uncertain(self.entries()).values())

    def unlogged(self, logged_ids: Collection[str]) -> list[JournalEntry]:
        """The acceptance records whose message has no "sent" row in History yet."""
        return [e for e in self.accepted() if e.message_id not in logged_ids]

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
               key: Mapping, state: str = SENT) -> JournalEntry:
        """Append one record (by default: the server accepted the message) and fsync it before returning."""
        entry = JournalEntry(message_id, utc(when), tuple(recipients), dict(key), state)
        line = entry.line()
        if not self._prepared:
            self.prepare()
        with open(self.path, "ab") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        return entry

    def compact(self, logged_ids: Collection[str]) -> None:
        """Keep only what is still needed: acceptances History lacks, and uncertain intents.

        Call only after the save that wrote ``logged_ids``' "sent" rows. An
        uncertain intent is kept until it is resolved (an acceptance, or a
        "sent" row in History); messages the server did not take, and intents
        an outcome closed, are dropped. Replaced atomically: a kill leaves the
        old journal or the new one.
        """
        entries = self.entries()
        open_ = _uncertain(entries)
        keep = [e for e in entries if e.message_id not in logged_ids
                and (e.accepted or open_.get(e.message_id) is e)]
        write_atomic(self.path, b"".join(e.line() for e in keep))
        self._prepared = True


def _uncertain(entries: list[JournalEntry]) -> dict[str, JournalEntry]:
    """message id -> its open intent, for the messages whose last record is ``sending`` and none accepted."""
    last: dict[str, JournalEntry] = {}
    went = set()
    for e in entries:
        last[e.message_id] = e
        if e.accepted:
            went.add(e.message_id)
    return {mid: e for mid, e in last.items() if e.state == SENDING and mid not in went}
