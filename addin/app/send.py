"""Send: the approved drafts, each exactly once, after deciding again whether it still applies.

A draft was right when it was written; by the time the clerk sends, the
customer may have promised to pay, disputed, paid, asked not to be contacted
or been put on a plan. So ``send`` reads the book as it is now and decides
again for every pending draft: one that no longer applies is withdrawn with
its reason (History action ``withdrawn``) and never sent. Under regF an email
goes only 08:00-21:00 at the customer's local time: outside it (or with no
known time zone) the draft is held, still pending, and the result says when it
may go.

Exactly once: each message's intent and each acceptance are journalled on
disk at once (``mail/journal``); journalled ids count as sent, and every save
of the book copies journal records History lacks into "sent" rows — so a
kill, a crash or a book held open in Excel between two messages never sends
one twice. A message whose send was stopped while the server was taking it
is *uncertain*: it is held, not sent again, and reported in words naming the
customer and the message until the clerk, having checked the Sent folder or
the server's log, either has it sent again (``resend_uncertain``) or records
it as sent (``mark_uncertain_sent``: a "sent" row whose outcome says the
clerk confirmed it).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from ..core.dunning import CONTACT, STATEMENT, THANK_YOU
from ..core.model import HistoryEntry, Problem, quote
from ..core.money import format_plain, to_minor
from ..documents.hours import local_time, regf_not_now, window_opens
from ..mail.journal import CONFIRMED, JournalEntry, SendJournal
from ..mail.outbox import read_draft
from ..mail.smtp import SendReport, SmtpConfig, SmtpConfigError, send_batch
from ..workbook.history import (append_history, logged_message_ids, pending_email_drafts, settled_message_ids,
                                stamp)
from ..workbook.reader import Book
from .assess import assess_book
from .communications import barred_accounts, build_communications
from .draft import outbox_folder
from .errors import UsageError
from .ids import run_id
from .session import workbook


@dataclass(frozen=True)
class Withdrawn:
    """A draft not sent because it no longer applies, and why (in the clerk's words)."""

    customer: str
    currency: str
    level: int
    reason: str


@dataclass(frozen=True)
class Held:
    """An approved draft kept for later: under regF, outside 08:00-21:00 at the customer's local time now."""

    customer: str
    currency: str
    level: int
    reason: str  # why, and when it may go, in the clerk's words
    not_before: datetime | None  # when the window opens (UTC); None while the time zone is unknown


ALL_UNCERTAIN = "all"  # in resend_uncertain / mark_uncertain_sent: every uncertain message


@dataclass(frozen=True)
class Uncertain:
    """A message that may already have gone: the send was stopped while the mail server was taking it."""

    customer: str
    currency: str
    level: int
    message_id: str
    since: datetime  # when its sending began (UTC)

    @property
    def what(self) -> str:
        """The message in words: "the level 2 reminder in GBP"."""
        return f"the level {self.level} reminder" + (f" in {self.currency}" if self.currency else "")

    @property
    def reason(self) -> str:
        """What happened and what to check, in the clerk's words (each interface says how to resolve it)."""
        return (f"{self.customer}: {self.what} of {self.since:%Y-%m-%d} may already have gone — send was stopped "
                f"at {self.since:%H:%M} UTC while the mail server was taking it. Check your Sent folder or the "
                f"mail server's log for {self.message_id}")


@dataclass
class SendResult:
    report: SendReport | None
    entries: list[HistoryEntry]
    not_approved: int
    problems: list[Problem]
    withdrawn: list[Withdrawn] = field(default_factory=list)
    recovered: int = 0  # messages journalled by an earlier send that History now records
    held: list[Held] = field(default_factory=list)  # still pending: sent by a later send
    uncertain: list[Uncertain] = field(default_factory=list)  # held until the clerk says what happened
    confirmed: list[str] = field(default_factory=list)  # uncertain ids the clerk recorded as sent, now


def journal_entries(book: Book, outbox: Path, now: datetime, user: str) -> list[HistoryEntry]:
    """History "sent" rows for the messages the journal holds and History does not (after a kill)."""
    journal = SendJournal.beside(outbox)
    logged = logged_message_ids(book.history, "sent")
    return [_sent_row(e, user) for e in journal.unlogged(logged)]


def _sent_row(e: JournalEntry, user: str) -> HistoryEntry:
    k = e.key
    level = k.get("level")
    outcome = ", ".join(e.recipients)
    if e.state == CONFIRMED:
        outcome = (f"confirmed as sent by the clerk after an interrupted send (not sent again)"
                   + (f"; to {outcome}" if outcome else ""))
    return HistoryEntry(timestamp=stamp(e.sent_at), run_id=str(k.get("run_id", "")),
                        customer_id=str(k.get("customer_id", "")),
                        customer=str(k.get("customer", "")), currency=str(k.get("currency", "")),
                        invoices=str(k.get("invoices", "")), level=int(level) if level is not None else None,
                        channel="email", template=str(k.get("template", "")), action="sent",
                        outcome=outcome, user=user, document=str(k.get("document", "")),
                        message_id=e.message_id)


def _uncertain(e: JournalEntry) -> Uncertain:
    k = e.key
    customer = str(k.get("customer") or k.get("customer_id") or "a customer")
    return Uncertain(customer, str(k.get("currency", "")), int(k.get("level") or 0), e.message_id, e.sent_at)


def _open_uncertain(journal: SendJournal, closed: set[str]) -> dict[str, JournalEntry]:
    """The journal's uncertain messages that History does not settle, by Message-ID."""
    return {e.message_id: e for e in journal.uncertain() if e.message_id not in closed}


def uncertain_messages(path) -> list[Uncertain]:
    """The messages held as uncertain now, in the order their sending began: what the clerk is asked about.

    Nothing is sent or written.
    """
    port = workbook(path)
    book = port.read()
    journal = SendJournal.beside(outbox_folder(port.path, book.settings))
    open_ = _open_uncertain(journal, settled_message_ids(book.history))
    return [_uncertain(e) for e in open_.values()]


def message_id(text: str) -> str:
    """A Message-ID as the clerk may type it (with or without its angle brackets) as it is journalled."""
    text = text.strip()
    return text if text.startswith("<") else f"<{text}>"


def _chosen(asked, open_: dict[str, JournalEntry], option: str) -> set[str]:
    """The uncertain ids ``asked`` names (ALL_UNCERTAIN: every one); naming any other id is a usage error."""
    asked = set(asked or ())
    if ALL_UNCERTAIN in asked:
        return set(open_)
    ids = {message_id(m) for m in asked}
    unknown = sorted(ids - set(open_))
    if unknown:
        held = f"the uncertain ones are {', '.join(sorted(open_))}" if open_ else "no message is uncertain"
        raise UsageError(f"{option} {', '.join(unknown)}: not a message held as uncertain ({held}); nothing was sent")
    return ids


NOT_LADDER = (STATEMENT, THANK_YOU)  # not reminders: only the holds on every contact withdraw them


def _approved(r, book: Book) -> bool:
    """A reminder is approved on its Actions row (customer, currency, level); a statement or a thank-you note,
    which has none, on its own row of Close Emails (its Message-ID)."""
    if getattr(r, "template", "") in NOT_LADDER:
        return r.message_id in book.approved_messages
    return bool(book.approvals.get((r.customer_key, r.currency, _level(r))))


def _logged_level(r) -> int | None:
    """The level a History row of this draft carries: none for a statement (not a rung of the ladder)."""
    return int(r.level) if r.level == r.level else None


def _level(r) -> int:
    return _logged_level(r) or 0


def _still_applies(r, decisions: dict, due_now: dict) -> str:
    """'' when the draft in History row ``r`` may go; otherwise why not, in words."""
    d = decisions.get((r.customer_key, r.currency))
    if d is None:
        return "nothing is open for this customer in this currency any more"
    if d.action != CONTACT:
        return f"{d.action}: {d.reason}"
    now = due_now.get((r.customer_key, r.currency))
    if now is not None and r.amount_minor and now != r.amount_minor:
        return (f"the amount due changed from {format_plain(r.amount_minor, r.currency)} to "
                f"{format_plain(now, r.currency)} {r.currency}: run arcollect again for a new draft")
    return ""


def _outside_hours(r, zone: str, now: datetime) -> Held | None:
    """None when the customer may be emailed now under regF; else the draft held, and until when."""
    why = regf_not_now(zone, now)
    if not why:
        return None
    local = local_time(zone, now)
    if local is None:
        return Held(r.customer, r.currency, _level(r), f"{why}; set their time zone, then send again", None)
    opens = window_opens(local)
    utc = opens.astimezone(timezone.utc)
    return Held(r.customer, r.currency, _level(r),
                f"{why}; it may go from {opens:%Y-%m-%d %H:%M} local ({utc:%Y-%m-%d %H:%M} UTC): send again then",
                utc)


def send(path, *, approve_all: bool = False, now: datetime, today: date | None = None, environ=None,
         user: str = "", resend_uncertain=(), mark_uncertain_sent=(), only_uncertain: bool = False) -> SendResult:
    """Decide again, withdraw what no longer applies, send the rest once each; log every outcome.

    ``resend_uncertain`` / ``mark_uncertain_sent``: Message-IDs of uncertain
    messages (or ``ALL_UNCERTAIN``) to send again / to record as sent without
    sending; any other uncertain message is held and reported. ``only_uncertain``:
    resolve those and send nothing else (the ribbon's buttons for them).
    """
    port = workbook(path)
    path = port.path
    with port.writing() as pkg:
        book = port.read()
        result = _send(book, path, approve_all, now, today or now.date(), environ, user or book.settings.user,
                       resend_uncertain, mark_uncertain_sent, only_uncertain)
        if result.entries:
            append_history(pkg, result.entries)
            pkg.save()
            if port.saves_durably:      # History now holds what the journal recorded: keep only the rest
                sent = {e.message_id for e in result.entries if e.action == "sent"}
                SendJournal.beside(outbox_folder(path, book.settings)).compact(
                    logged_message_ids(book.history, "sent") | sent)
        return result


def _send(book: Book, path: Path, approve_all: bool, now: datetime, today: date, environ, user: str,
          resend_uncertain, mark_uncertain_sent, only_uncertain: bool = False) -> SendResult:
    outbox = outbox_folder(path, book.settings)
    journal = SendJournal.beside(outbox)
    recovered = journal_entries(book, outbox, now, user)
    closed = settled_message_ids(book.history)
    open_ = _open_uncertain(journal, closed)
    resend = _chosen(resend_uncertain, open_, "--resend-uncertain")
    mark = _chosen(mark_uncertain_sent, open_, "--mark-uncertain-sent")
    if resend & mark:
        raise UsageError(f"{', '.join(sorted(resend & mark))}: either send it again or record it as sent, not both; "
                         f"nothing was sent")
    result = SendResult(None, list(recovered), 0, [], recovered=len(recovered))
    for mid in sorted(mark):
        e = open_[mid]
        result.entries.append(_sent_row(journal.record(mid, e.recipients, now, e.key, CONFIRMED), user))
        result.confirmed.append(mid)
    held = set(open_) - resend - mark
    _send_drafts(book, journal, result, approve_all, now, today, environ, user, closed | held, resend,
                 resend if only_uncertain else None)
    closed |= {e.message_id for e in result.entries if e.action in ("sent", "withdrawn")}
    result.uncertain = [_uncertain(e) for e in _open_uncertain(journal, closed).values()]
    return result


def _send_drafts(book: Book, journal: SendJournal, result: SendResult, approve_all: bool, now: datetime,
                 today: date, environ, user: str, closed: set[str], resend: set[str], only: set[str] | None) -> None:
    """Send the approved drafts that still apply (not ``closed``, not journalled as sent; of ``only``, when
    given) into ``result``."""
    outbox = journal.path.parent
    done = closed | journal.sent_ids()
    drafts = pending_email_drafts(book.history, done)
    if only is not None:
        drafts = drafts.loc[drafts["message_id"].isin(only)]
    if drafts.empty:
        return
    approved = [r for r in drafts.itertuples(index=False) if approve_all or _approved(r, book)]
    result.not_approved = len(drafts) - len(approved)
    if not approved:
        return
    # Decide again on the book as it is now, the pending drafts themselves not counting as contacts.
    pending = set(drafts["message_id"])
    book.history = book.history.loc[~book.history["message_id"].isin(pending)]
    a = assess_book(book, None, today=today)
    decisions = {(d.customer_key, d.currency): d for d in a.decisions.itertuples(index=False)}
    comms = {(c.customer_id, c.currency): c for c in build_communications(a, {r.customer_key for r in approved})}
    due_now = {k: to_minor(c.total_due, c.currency) for k, c in comms.items()}
    # A statement or a thank-you note is not a reminder: the ladder's decision does not withdraw it, only the
    # holds on every contact do (do not contact, cease, handed over; a dispute under regF).
    other = [r for r in approved if getattr(r, "template", "") in NOT_LADDER]
    barred = barred_accounts(book, a.aged, {(r.customer_key, r.currency) for r in other}, a.as_of) if other else {}
    zones = dict(zip(a.contacts["customer_key"], a.contacts["time_zone"])) if "time_zone" in a.contacts else {}
    regf = book.settings.regulation == "regF"
    rid, root = run_id(now), outbox.resolve()
    batch = []
    for r in approved:
        why = (barred.get((r.customer_key, r.currency), "") if getattr(r, "template", "") in NOT_LADDER
               else _still_applies(r, decisions, due_now))
        if why:
            result.withdrawn.append(Withdrawn(r.customer, r.currency, _level(r), why))
            result.entries.append(HistoryEntry(timestamp=stamp(now), run_id=rid, customer_id=r.customer_key,
                                               customer=r.customer, currency=r.currency, level=_logged_level(r),
                                               channel="email", action="withdrawn", outcome=why, user=user,
                                               document=r.document, message_id=r.message_id))
            continue
        comm = comms.get((r.customer_key, r.currency))
        zone = comm.time_zone if comm is not None else str(zones.get(r.customer_key, "") or "")
        if regf and (held := _outside_hours(r, zone, now)):
            result.held.append(held)
            continue
        file = (book.path.parent / r.document).resolve() if r.document else None
        if file is None or root not in file.parents or not file.is_file():
            result.problems.append(Problem(f"History!{book.history.attrs.get('document', 'A')}{r.row}",
                                           f"draft {quote(r.document)} is not a file in the outbox {outbox}; "
                                           f"not sent"))
            continue
        key = {"customer_id": r.customer_key, "customer": r.customer, "currency": r.currency,
               "level": _logged_level(r),
               "run_id": rid, "document": r.document, "template": getattr(r, "template", "")}
        batch.append((key, read_draft(file)))
    if batch:
        config = SmtpConfig.from_settings(book.settings, environ)
        if not config.host:
            raise SmtpConfigError("no SMTP host: set 'SMTP host' in Settings or ARCOLLECT_SMTP_HOST; nothing was sent")
        for _, m in batch:  # a draft may have gone without From (Outlook fills it in); the wire needs one
            if not m.get("From"):
                if not config.sender:
                    raise SmtpConfigError("no sender address: set 'From' in Settings or ARCOLLECT_FROM; "
                                          "nothing was sent")
                m["From"] = config.sender
        result.report = send_batch(batch, config, journal, now=now, already_sent=done, resend=resend)
        keys = {str(m["Message-ID"]).strip(): k for k, m in batch}
        # from the report, not the journal: a message accepted when its acceptance could not be journalled
        # still gets its row (its intent would otherwise hold it as uncertain)
        result.entries += [_sent_row(JournalEntry(mid, now, tuple(rcpts), keys[mid]), user)
                           for mid, rcpts in result.report.sent]
        result.entries += [HistoryEntry(timestamp=stamp(now), run_id=rid, customer_id=keys[mid]["customer_id"],
                                        customer=keys[mid]["customer"], currency=keys[mid]["currency"],
                                        level=keys[mid]["level"], channel="email", action="failed",
                                        outcome=reason, user=user, document=keys[mid]["document"], message_id=mid)
                           for mid, reason in result.report.failed if mid in keys]
