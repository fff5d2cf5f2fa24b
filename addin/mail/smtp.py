"""Sending drafts over SMTP, exactly once.

Why smtplib and not yagmail: the messages are already complete
``EmailMessage`` objects (real text part, HTML alternative, PDF attachment,
stable Message-ID) and must go out as drafted. yagmail would rebuild them
(its text/plain part is the raw HTML), attaches any content string that
happens to name an existing file, and falls back to an interactive password
prompt when no password is found - never acceptable inside Excel. The
standard library does exactly what is needed: one connection, TLS
none/starttls/ssl, ``send_message`` (which drops Bcc), and per-recipient
errors.

What goes on the wire is the draft less ``X-Unsent``, with ``Date`` set to
the moment of sending (the caller's ``now``); the draft is not changed.

Exactly once: every message has a stable Message-ID from its communication's
identity. ``send_batch`` skips ids in ``already_sent`` (from History), ids in
the send journal (accepted by an earlier run whose History was never saved)
and ids repeated within the batch. Before each message goes on the wire its
intent is journalled and fsynced; each message the server accepts is
journalled and fsynced before the next is attempted (see ``journal``). A
per-message refusal (550 recipient, data error) is journalled as unsent and
recorded, and the batch goes on; a 421, a dropped connection or a journal
that cannot be written stops the batch and leaves the remaining messages
*pending* for a re-run.

SMTP cannot close one gap: when the connection drops (or the process dies)
after the server received the whole message but before its reply was
journalled, the server may have it. Such a message - DATA begun, no answer
journalled - is *uncertain*: it is reported, and no later batch sends it
unless the caller passes its id in ``resend`` (the clerk found it was not
delivered). A connection that drops before DATA began leaves the message
unsent, and pending.

The password is never stored in the workbook, never shown: it comes from
``ARCOLLECT_SMTP_PASSWORD`` or else the keyring (service "arcollect", the
SMTP user name) when a user is set - and never from an interactive prompt.
Error texts have it masked, with the base64 forms AUTH PLAIN and LOGIN send.
"""
from __future__ import annotations

import base64
import copy
import logging
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from typing import Callable, Collection, Iterable, Mapping

from addin.core.settings import Settings

from .journal import SENDING, UNSENT, JournalEntry, SendJournal, utc

log = logging.getLogger(__name__)

KEYRING_SERVICE = "arcollect"
TLS_MODES = ("none", "starttls", "ssl")


class SmtpConfigError(ValueError):
    pass


def _keyring_password(user: str) -> str | None:
    try:
        import keyring
        return keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # no backend, locked keyring...: no password, never a prompt
        return None


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    tls: str = "starttls"  # none | starttls | ssl
    user: str = ""
    password: str | None = field(default=None, repr=False, compare=False)
    sender: str = ""
    timeout: float = 30.0
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:
        return (f"SmtpConfig(host={self.host!r}, port={self.port}, tls={self.tls!r}, "
                f"user={self.user!r}, password={'<set>' if self.password else '<not set>'}, "
                f"sender={self.sender!r})")

    __str__ = __repr__

    @classmethod
    def from_settings(cls, settings: Settings, environ=None, *,
                      password_lookup: Callable[[str], str | None] = _keyring_password) -> "SmtpConfig":
        """Settings overridden by ARCOLLECT_SMTP_HOST/PORT/TLS/USER/PASSWORD and ARCOLLECT_FROM.

        The password comes from ARCOLLECT_SMTP_PASSWORD, else the keyring
        (service "arcollect", user name) only when a user is set.
        """
        env = os.environ if environ is None else environ
        host = (env.get("ARCOLLECT_SMTP_HOST") or settings.smtp_host or "").strip()
        port_text = env.get("ARCOLLECT_SMTP_PORT")
        tls = (env.get("ARCOLLECT_SMTP_TLS") or settings.smtp_tls or "starttls").strip().lower()
        user = (env.get("ARCOLLECT_SMTP_USER") or settings.smtp_user or "").strip()
        sender = (env.get("ARCOLLECT_FROM") or settings.mail_from or "").strip()
        if tls not in TLS_MODES:
            raise SmtpConfigError(f"ARCOLLECT_SMTP_TLS {tls!r} is not one of none, starttls, ssl")
        if port_text not in (None, ""):
            try:
                port = int(str(port_text).strip())
            except ValueError:
                raise SmtpConfigError(f"ARCOLLECT_SMTP_PORT {port_text!r} is not a port number") from None
        else:
            port = int(settings.smtp_port or (465 if tls == "ssl" else 587))
        if not 0 < port < 65536:
            raise SmtpConfigError(f"SMTP port {port} is out of range")
        password = env.get("ARCOLLECT_SMTP_PASSWORD") or None
        if password is None and user:
            password = password_lookup(user)
        return cls(host=host, port=port, tls=tls, user=user, password=password, sender=sender)


@dataclass
class SendReport:
    """What happened to each message.

    ``sent``: accepted by the server and journalled - but for the last when
    its acceptance could not be written (``error`` says so); History gets a
    "sent" row for each. ``pending``: not attempted or cut off; a re-run
    sends them. ``uncertain``: may have reached the server (DATA began, no
    answer came), now or in an earlier run; not sent again unless resent.
    """

    sent: list[tuple[str, list[str]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped_duplicates: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (id, recipient, reason)
    uncertain: list[str] = field(default_factory=list)
    error: str = ""  # why the batch stopped early ("" if it ran to the end)

    @property
    def complete(self) -> bool:
        return not self.pending and not self.error


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _redact(text: str, config: SmtpConfig) -> str:
    """``text`` with the password masked, and its base64 forms as AUTH LOGIN and PLAIN send them.

    A form of 8 characters or more is masked wherever it appears (it is no
    one's word); a shorter one only where it stands whole, so that a password
    "e" or "ten" never turns "extension" into "***x***nsion".
    """
    text = str(text)
    if not config.password:
        return text
    forms = {config.password, _b64(config.password), _b64(f"\0{config.user}\0{config.password}")}
    pattern = "|".join(re.escape(f) if len(f) >= 8 else rf"(?<!\w){re.escape(f)}(?!\w)"
                       for f in sorted(forms, key=len, reverse=True))
    return re.sub(pattern, "***", text)


def _reason(exc: Exception, config: SmtpConfig) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        msg = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return _redact(f"{exc.smtp_code} {msg}", config)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _redact("; ".join(f"{r}: {c} {m.decode('utf-8', 'replace') if isinstance(m, bytes) else m}"
                                 for r, (c, m) in exc.recipients.items()), config)
    return _redact(f"{type(exc).__name__}: {exc}", config)


def connect(config: SmtpConfig) -> smtplib.SMTP:
    """An open, logged-in connection (TLS as configured)."""
    if not config.host:
        raise SmtpConfigError("no SMTP host: set 'SMTP host' in Settings or ARCOLLECT_SMTP_HOST")
    ctx = config.ssl_context or ssl.create_default_context()
    if config.tls == "ssl":
        conn = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=ctx)
    else:
        conn = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        conn.ehlo()
        if config.tls == "starttls":
            conn.starttls(context=ctx)
            conn.ehlo()
        if config.user:
            if not config.password:
                raise SmtpConfigError(
                    f"no password for SMTP user {config.user!r}: set ARCOLLECT_SMTP_PASSWORD or "
                    f"store it in the keyring (service {KEYRING_SERVICE!r}, user {config.user!r})")
            conn.login(config.user, config.password)
    except BaseException:
        try:
            conn.close()
        finally:
            raise
    return conn


_DISCONNECT = (smtplib.SMTPServerDisconnected, ConnectionError, socket.timeout, TimeoutError)


def _recipient_list(msg: EmailMessage) -> list[str]:
    fields = []
    for h in ("To", "Cc", "Bcc"):
        fields += [str(v) for v in msg.get_all(h, [])]
    return [a for _, a in getaddresses(fields) if a]


def _stop(report: SendReport, why: str, queue: list, n: int) -> None:
    report.error = why
    report.pending = [mid for mid, _, _ in queue[n:]]


class _DataWatch:
    """Whether DATA was begun for the current message: a connection lost before it cannot have delivered."""

    def __init__(self, conn: smtplib.SMTP):
        self.begun = False
        data = conn.data

        def watched(msg):
            self.begun = True
            return data(msg)

        conn.data = watched


def _not_connected(exc: Exception, config: SmtpConfig) -> str:
    """Why no message could be sent at all, in words: a refused login, or no connection."""
    where = f"{config.host}:{config.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"the mail server {where} refused the login of {config.user!r} ({_reason(exc, config)}): check the "
                f"SMTP user and the password (ARCOLLECT_SMTP_PASSWORD or the keyring)")
    return f"could not connect to {where}: {_reason(exc, config)}"


def _outcome(exc: Exception, config: SmtpConfig) -> tuple[str, str]:
    """What a failed ``send_message`` means: ("refused", why) the server said no to this message;
    ("closed", why) it said no and is closing (421); ("lost", why) no answer came."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421:
        return "closed", f"server closed the connection: {_reason(exc, config)}"
    if isinstance(exc, (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException,
                        smtplib.SMTPNotSupportedError)):
        return "refused", _reason(exc, config)
    if isinstance(exc, _DISCONNECT):
        return "lost", f"connection lost: {_reason(exc, config)}"
    return "lost", f"connection error: {_reason(exc, config)}"  # any other socket error


def send_batch(batch: Iterable[tuple[Mapping, EmailMessage]], config: SmtpConfig, journal: SendJournal,
               *, now: datetime, already_sent: Collection[str] = frozenset(), resend: Collection[str] = frozenset(),
               connect_fn: Callable[[SmtpConfig], smtplib.SMTP] = connect) -> SendReport:
    """Send each message once over one connection, journalling each intent and acceptance; see the module
    docstring.

    ``batch``: (key, message) pairs; the key (JSON values: customer id,
    currency, level, run date, document...) is journalled with the message so
    that History can be written from the journal alone. ``now`` is the Date
    on the wire and the journal's timestamp. ``resend``: uncertain ids to send
    again (otherwise they are held in ``report.uncertain``). Raises ``OSError``
    or ``JournalError`` if the journal cannot be read or prepared: nothing has
    been sent then.
    """
    report = SendReport()
    when = utc(now)
    date = format_datetime(when)
    seen = set(already_sent) | journal.sent_ids()
    held = {e.message_id for e in journal.uncertain()} - set(resend)
    queue: list[tuple[str, EmailMessage, Mapping]] = []
    for key, msg in batch:
        mid = str(msg.get("Message-ID", "")).strip()
        if not mid:
            report.failed.append(("", f"message {str(msg.get('Subject', ''))!r} has no Message-ID"))
            continue
        if mid in seen:
            report.skipped_duplicates.append(mid)
            continue
        seen.add(mid)
        if mid in held:
            report.uncertain.append(mid)
            continue
        JournalEntry(mid, when, (), key).line()  # a key that cannot be journalled fails before sending
        queue.append((mid, msg, key))
    if not queue:
        return report
    journal.prepare()

    try:
        conn = connect_fn(config)
    except (SmtpConfigError, smtplib.SMTPException, OSError) as exc:
        _stop(report, _not_connected(exc, config), queue, 0)
        log.warning("%s", report.error)
        return report

    def unwritable(exc: OSError) -> str:
        return f"the send journal {journal.path} could not be written ({exc}); stopped so that nothing is sent twice"

    watch = _DataWatch(conn)
    try:
        for n, (mid, msg, key) in enumerate(queue):
            out = copy.deepcopy(msg)
            del out["X-Unsent"]
            del out["Date"]
            out["Date"] = date
            rcpts = _recipient_list(out)
            try:
                journal.record(mid, rcpts, when, key, SENDING)
            except OSError as exc:  # nothing of this message is on the wire yet
                _stop(report, unwritable(exc), queue, n)
                break
            watch.begun = False
            try:
                refused = conn.send_message(out, from_addr=config.sender or None)
            except (smtplib.SMTPException, OSError) as exc:
                kind, why = _outcome(exc, config)
                if kind == "lost" and watch.begun:  # the server may have it: hold it for the clerk
                    report.uncertain.append(mid)
                    _stop(report, why, queue, n + 1)
                    break
                try:
                    journal.record(mid, rcpts, when, key, UNSENT)
                except OSError as exc:  # its intent stays open: the next send holds it as uncertain
                    _stop(report, unwritable(exc), queue, n + 1)
                    report.uncertain.append(mid)
                    break
                if kind == "refused":
                    report.failed.append((mid, why))
                    continue
                _stop(report, why, queue, n)
                break
            accepted = [r for r in rcpts if r not in (refused or {})]
            for r, (code, text) in (refused or {}).items():
                text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
                report.refused.append((mid, r, _redact(f"{code} {text}", config)))
            report.sent.append((mid, accepted))
            try:
                journal.record(mid, accepted, when, key)
            except OSError as exc:
                _stop(report, unwritable(exc), queue, n + 1)
                break
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            try:
                conn.close()
            except OSError:
                pass
    if report.error:
        log.warning("%s; %d message(s) left pending, %d uncertain", report.error, len(report.pending),
                    len(report.uncertain))
    return report
