"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what arrives, and real drafts to send.

``handler.refuse`` holds recipients answered with 550; ``handler.drop_on``
holds the 1-based DATA count at which the server drops the connection
without accepting the message (once each); ``handler.take_then_drop_on``
the same, but the server keeps the message first: it has it, the sender
never hears so. ``handler.hold_reply = k``: once k messages are taken, the
250 for the k-th waits for ``handler.release`` (``handler.reply_held`` is
set) - the server has the message and the sender has not heard, the window
a kill test must hit. ``handler.hold_after = k``: once
k messages are accepted, the next MAIL FROM sets ``handler.held`` and waits
for ``handler.release`` - the sender has then journalled message k and not
yet sent k + 1, the moment a kill test needs. ``handler.delay`` slows every
MAIL FROM so that a kill at a random time can land anywhere in a batch.
"""
from __future__ import annotations

import asyncio
import socket
import subprocess
import threading
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller

from addin.documents.render import render
from addin.documents.sample import sample_communication, sample_settings
from addin.mail.message import build_message

SETTINGS = sample_settings()
NOW = datetime(2026, 12, 1, 9, 15, tzinfo=timezone.utc)


def communications(n, **kw):
    return [sample_communication(i, level=2, **kw) for i in range(1, n + 1)]


def draft(comm):
    return build_message(comm, render(comm, SETTINGS), SETTINGS, draft=True)


def drafts(n, **kw):
    return [draft(c) for c in communications(n, **kw)]


def key_of(msg) -> dict:
    """What a caller journals with a message (here from its headers)."""
    return {"customer_id": str(msg["X-Arcollect-Customer"]), "level": int(msg["X-Arcollect-Level"])}


def keyed(msgs):
    return [(key_of(m), m) for m in msgs]


class Recorder:
    def __init__(self):
        self.messages = []  # (mail_from, rcpt_tos, EmailMessage)
        self.refuse: set[str] = set()
        self.drop_on: set[int] = set()
        self.take_then_drop_on: set[int] = set()
        self.data_count = 0
        self.hold_after: int | None = None
        self.hold_reply: int | None = None
        self.held, self.release, self.reply_held = threading.Event(), threading.Event(), threading.Event()
        self.delay = 0.0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            self.held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count in self.drop_on:
            self.drop_on.discard(self.data_count)
            server.transport.close()  # connection dropped before the message is accepted
            return "421 4.3.0 going away"
        msg = BytesParser(policy=policy.default).parsebytes(envelope.content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        if self.data_count in self.take_then_drop_on:
            self.take_then_drop_on.discard(self.data_count)
            server.transport.close()  # taken, and the connection dropped before the 250 reaches the sender
        if self.hold_reply is not None and len(self.messages) >= self.hold_reply:
            self.reply_held.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return "250 Message accepted for delivery"

    def ids(self):
        return [m["Message-ID"] for _, _, m in self.messages]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Recorder()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, cert = d / "key.pem", d / "cert.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("openssl not available to make a test certificate")
    return key, cert


@pytest.fixture
def smtp_env(smtp_server, monkeypatch):
    """The real server, with arcollect's environment pointing at it (no TLS on loopback)."""
    monkeypatch.setenv("ARCOLLECT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ARCOLLECT_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("ARCOLLECT_SMTP_TLS", "none")
    return smtp_server.handler
