"""Send: the approved drafts, exactly once each, every outcome logged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.model import HistoryEntry
from ..mail.outbox import read_draft
from ..mail.smtp import SendReport, SmtpConfig, SmtpConfigError, send_batch
from ..workbook.history import append_history, logged_message_ids, stamp
from ..workbook.reader import Book, read_book
from .draft import outbox_folder
from .refresh import _run_id
from .session import writing

@dataclass
class SendResult:
    report: SendReport | None
    entries: list[HistoryEntry]
    not_approved: int
    problems: list[str]


def pending_drafts(book: Book, outbox: Path, approve_all: bool):
    """(approved [(path, message)], not approved count, problems) among drafted, unsent emails.

    Documents are logged relative to the workbook's folder; only files inside the outbox are sent.
    """
    h = book.history
    sent = logged_message_ids(h, "sent")
    drafted = h.loc[(h["action"] == "drafted") & (h["channel"] == "email") & (h["message_id"] != "")
                    & ~h["message_id"].isin(sent)].drop_duplicates("message_id")
    approved, waiting, problems = [], 0, []
    root = outbox.resolve()
    for r in drafted.itertuples(index=False):
        if not (approve_all or book.approvals.get((r.customer_key, int(r.level) if r.level == r.level else 0))):
            waiting += 1
            continue
        file = (book.path.parent / r.document).resolve() if r.document else None
        if file is None or root not in file.parents or not file.is_file():
            problems.append(f"History!O{r.row}: draft {r.document!r} is not a file in the outbox {outbox}; "
                            f"not sent")
            continue
        approved.append((file, read_draft(file), r))
    return approved, waiting, problems


def send(path, *, approve_all: bool = False, now: datetime, environ=None, user: str = "") -> SendResult:
    """Send the approved drafts once each over SMTP and log every outcome to History."""
    path = Path(path)
    with writing(path) as pkg:
        return _send(pkg, path, read_book(path), approve_all, now, environ, user)


def _send(pkg, path: Path, book: Book, approve_all: bool, now: datetime, environ, user: str) -> SendResult:
    outbox = outbox_folder(path, book.settings)
    approved, waiting, problems = pending_drafts(book, outbox, approve_all)
    if not approved:
        return SendResult(None, [], waiting, problems)
    config = SmtpConfig.from_settings(book.settings, environ)
    if not config.host:
        raise SmtpConfigError("no SMTP host: set 'SMTP host' in Settings or ARCOLLECT_SMTP_HOST; nothing was sent")
    report = send_batch([(p, m) for p, m, _ in approved], config, logged_message_ids(book.history, "sent"))
    by_id = {m["Message-ID"]: (p, r) for p, m, r in approved}
    run_id, who = _run_id(now), user or book.settings.user
    entries = []
    outcomes = [(mid, "sent", ", ".join(to)) for mid, to in report.sent] + \
               [(mid, "failed", reason) for mid, reason in report.failed]
    for mid, action, outcome in outcomes:
        file, r = by_id[mid]
        entries.append(HistoryEntry(timestamp=stamp(now), run_id=run_id, customer_id=r.customer_key,
                                    customer=r.customer, level=int(r.level), channel="email", action=action,
                                    outcome=outcome, user=who, document=r.document, message_id=mid))
    append_history(pkg, entries)
    pkg.save()
    return SendResult(report, entries, waiting, problems)
