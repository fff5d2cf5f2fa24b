"""Sending drafts over SMTP, exactly once.

Why smtplib and not yagmail: the messages are already complete
``EmailMessage`` objects (real text part, HTML alternative, PDF attachment,
stable Message-ID) and must go out byte-for-byte as drafted. yagmail would
rebuild them (its text/plain part is the raw HTML), attaches any content
string that happens to name an existing file, and falls back to an
interactive password prompt when no password is found - never acceptable
inside Excel. The standard library does exactly what is needed: one
connection, TLS none/starttls/ssl, ``send_message`` (which drops Bcc), and
per-recipient errors.

Exactly once: every message has a stable Message-ID per customer, level and
run date. ``send_batch`` skips ids in ``already_sent`` (from History) and
ids repeated within the batch; ``on_sent`` lets the caller log each message
the moment the server accepted it. A per-message refusal (550 recipient, data
error) is recorded and the batch goes on; a dropped connection stops the
batch and leaves the current and remaining messages *pending* for a re-run.
(If the connection drops after the server received the whole message but
before it replied, that one message may arrive twice on re-run: SMTP cannot
tell us otherwise. Its Message-ID is the same, so mail clients de-duplicate.)

The password is never stored in the workbook, never shown: it comes from
``ARCOLLECT_SMTP_PASSWORD`` or else the keyring (service "arcollect", the
SMTP user name) when a user is set - and never from an interactive prompt.
"""
from __future__ import annotations

import copy
import logging
import os
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Callable, Iterable

from addin.core.settings import Settings

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
    sent: list[tuple[str, list[str]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped_duplicates: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # (id, recipient, reason)
    error: str = ""  # why the batch stopped early ("" if it ran to the end)

    @property
    def complete(self) -> bool:
        return not self.pending and not self.error


def _redact(text: str, config: SmtpConfig) -> str:
    text = str(text)
    if config.password:
        text = text.replace(config.password, "***")
    return text


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


def send_batch(messages: Iterable, config: SmtpConfig, already_sent: set[str] | frozenset = frozenset(),
               *, on_sent: Callable[[str, list[str]], None] | None = None,
               connect_fn: Callable[[SmtpConfig], smtplib.SMTP] = connect) -> SendReport:
    """Send each message once over one connection; see the module docstring.

    ``messages``: EmailMessage objects, or (path, EmailMessage) pairs as from
    ``outbox.read_outbox``. ``X-Unsent`` is stripped before sending; the drafts
    themselves are not changed.
    """
    report = SendReport()
    seen = set(already_sent)
    queue: list[tuple[str, EmailMessage]] = []
    for item in messages:
        msg = item[1] if isinstance(item, tuple) else item
        mid = str(msg.get("Message-ID", "")).strip()
        if not mid:
            report.failed.append(("", f"message {str(msg.get('Subject', ''))!r} has no Message-ID"))
            continue
        if mid in seen:
            report.skipped_duplicates.append(mid)
            continue
        seen.add(mid)
        queue.append((mid, msg))
    if not queue:
        return report

    try:
        conn = connect_fn(config)
    except (SmtpConfigError, smtplib.SMTPException, OSError) as exc:
        report.error = f"could not connect to {config.host}:{config.port}: {_reason(exc, config)}"
        report.pending = [mid for mid, _ in queue]
        log.warning("%s", report.error)
        return report

    try:
        for n, (mid, msg) in enumerate(queue):
            out = copy.deepcopy(msg)
            del out["X-Unsent"]
            rcpts = _recipient_list(out)
            try:
                refused = conn.send_message(out, from_addr=config.sender or None)
            except smtplib.SMTPRecipientsRefused as exc:
                report.failed.append((mid, _reason(exc, config)))
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError,
                    smtplib.SMTPNotSupportedError) as exc:
                if getattr(exc, "smtp_code", 0) == 421:  # server is closing the connection
                    report.error = f"server closed the connection: {_reason(exc, config)}"
                    report.pending = [m for m, _ in queue[n:]]
                    break
                report.failed.append((mid, _reason(exc, config)))
                continue
            except _DISCONNECT as exc:
                report.error = f"connection lost: {_reason(exc, config)}"
                report.pending = [m for m, _ in queue[n:]]
                break
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code == 421:
                    report.error = f"server closed the connection: {_reason(exc, config)}"
                    report.pending = [m for m, _ in queue[n:]]
                    break
                report.failed.append((mid, _reason(exc, config)))
                continue
            except OSError as exc:  # any other socket error: stop, keep the rest pending
                report.error = f"connection error: {_reason(exc, config)}"
                report.pending = [m for m, _ in queue[n:]]
                break
            accepted = [r for r in rcpts if r not in (refused or {})]
            for r, (code, text) in (refused or {}).items():
                report.refused.append((mid, r, f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"))
            report.sent.append((mid, accepted))
            if on_sent is not None:
                on_sent(mid, accepted)
    finally:
        try:
            conn.quit()
        except (smtplib.SMTPException, OSError):
            try:
                conn.close()
            except OSError:
                pass
    if report.error:
        log.warning("%s; %d message(s) left pending", report.error, len(report.pending))
    return report
