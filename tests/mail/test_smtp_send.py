import ssl
from dataclasses import replace
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from addin.documents.pdf import letter_pdf
from addin.documents.render import render
from addin.documents.sample import sample_communication, sample_settings
from addin.mail.message import build_message
from addin.mail.outbox import read_outbox, write_draft
from addin.mail.smtp import SmtpConfig, SmtpConfigError, send_batch

from .conftest import Recorder, _free_port

SETTINGS = sample_settings()


def config_for(server, **kw):
    return SmtpConfig(host=server.hostname, port=server.port, tls="none",
                      sender="accounts@northwind.example", **kw)


def drafts(n, **kw):
    out = []
    for i in range(1, n + 1):
        c = sample_communication(i, level=2, **kw)
        r = render(c, SETTINGS)
        out.append(build_message(c, r, SETTINGS, draft=True))
    return out


def test_sent_message_arrives_whole(smtp_server, tmp_path):
    c = sample_communication(1, level=2)
    r = render(c, SETTINGS)
    pdf = letter_pdf(c, r, SETTINGS)
    msg = build_message(c, r, SETTINGS, letter_pdf=pdf)
    write_draft(msg, c, tmp_path)
    report = send_batch(read_outbox(tmp_path), config_for(smtp_server), set())
    assert report.complete and len(report.sent) == 1
    assert report.sent[0][1] == ["ap1@customer1.example"]
    (mail_from, rcpts, got), = smtp_server.handler.messages
    assert mail_from == "accounts@northwind.example" and rcpts == ["ap1@customer1.example"]
    assert got["X-Unsent"] is None
    assert got["Message-ID"] == msg["Message-ID"]
    assert got["Subject"].startswith("Second notice")
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "£4,079.68" in text and "<table" not in text
    assert "<table" in html and "£4,079.68" in html
    att, = list(got.iter_attachments())
    assert att.get_content_type() == "application/pdf"
    reader = PdfReader(BytesIO(att.get_content()))
    pdf_text = "".join(p.extract_text() for p in reader.pages)
    assert "Acme Trading 1 Ltd" in pdf_text and "£4,079.68" in pdf_text


def test_refused_recipient_is_recorded_and_batch_continues(smtp_server):
    msgs = drafts(4)
    smtp_server.handler.refuse.add("ap2@customer2.example")
    report = send_batch(msgs, config_for(smtp_server), set())
    ids = [m["Message-ID"] for m in msgs]
    assert [mid for mid, _ in report.sent] == [ids[0], ids[2], ids[3]]
    assert [mid for mid, _ in report.failed] == [ids[1]]
    assert "550" in report.failed[0][1]
    assert not report.pending and not report.error
    # re-run with what History logged: nothing doubled; the fixed address gets its mail
    smtp_server.handler.refuse.clear()
    again = send_batch(msgs, config_for(smtp_server), {mid for mid, _ in report.sent})
    assert [mid for mid, _ in again.sent] == [ids[1]]
    assert sorted(again.skipped_duplicates) == sorted([ids[0], ids[2], ids[3]])
    assert sorted(smtp_server.handler.ids()) == sorted(ids)


def test_dropped_connection_leaves_rest_pending_and_rerun_completes(smtp_server):
    msgs = drafts(5)
    ids = [m["Message-ID"] for m in msgs]
    smtp_server.handler.drop_on.add(3)
    logged = set()
    report = send_batch(msgs, config_for(smtp_server), set(), on_sent=lambda mid, r: logged.add(mid))
    assert [mid for mid, _ in report.sent] == ids[:2]
    assert report.pending == ids[2:]
    assert report.error and not report.complete
    assert logged == set(ids[:2])
    again = send_batch(msgs, config_for(smtp_server), logged)
    assert [mid for mid, _ in again.sent] == ids[2:]
    got = smtp_server.handler.ids()
    assert sorted(got) == sorted(ids) and len(got) == len(set(got))  # nothing lost or doubled


def test_duplicates_within_batch_are_skipped(smtp_server):
    msgs = drafts(2)
    report = send_batch(msgs + msgs, config_for(smtp_server), set())
    assert len(report.sent) == 2 and len(report.skipped_duplicates) == 2
    assert len(smtp_server.handler.messages) == 2


def test_draft_in_memory_keeps_x_unsent(smtp_server):
    msgs = drafts(1)
    send_batch(msgs, config_for(smtp_server), set())
    assert msgs[0]["X-Unsent"] == "1"


def test_unreachable_server_leaves_everything_pending():
    msgs = drafts(2)
    cfg = SmtpConfig(host="127.0.0.1", port=_free_port(), tls="none", timeout=2)
    report = send_batch(msgs, cfg, set())
    assert report.pending == [m["Message-ID"] for m in msgs] and "could not connect" in report.error


def test_config_from_settings_and_environment():
    s = replace(SETTINGS, smtp_host="mail.example", smtp_port=25, smtp_tls="none", smtp_user="")
    looked_up = []
    cfg = SmtpConfig.from_settings(s, {}, password_lookup=lambda u: looked_up.append(u) or "x")
    assert (cfg.host, cfg.port, cfg.tls, cfg.password) == ("mail.example", 25, "none", None)
    assert looked_up == []  # no user: the keyring is not consulted
    env = {"ARCOLLECT_SMTP_HOST": "smtp.corp", "ARCOLLECT_SMTP_PORT": "465",
           "ARCOLLECT_SMTP_TLS": "ssl", "ARCOLLECT_SMTP_USER": "clerk",
           "ARCOLLECT_SMTP_PASSWORD": "s3cret-pw", "ARCOLLECT_FROM": "ar@corp.example"}
    cfg = SmtpConfig.from_settings(s, env, password_lookup=lambda u: pytest.fail("keyring used"))
    assert (cfg.host, cfg.port, cfg.tls, cfg.user, cfg.sender) == ("smtp.corp", 465, "ssl", "clerk",
                                                                   "ar@corp.example")
    assert cfg.password == "s3cret-pw"
    assert "s3cret-pw" not in repr(cfg) and "s3cret-pw" not in str(cfg)
    cfg = SmtpConfig.from_settings(s, {"ARCOLLECT_SMTP_USER": "clerk"}, password_lookup=lambda u: "from-keyring")
    assert cfg.password == "from-keyring"
    with pytest.raises(SmtpConfigError, match="ARCOLLECT_SMTP_TLS"):
        SmtpConfig.from_settings(s, {"ARCOLLECT_SMTP_TLS": "maybe"})
    with pytest.raises(SmtpConfigError, match="ARCOLLECT_SMTP_PORT"):
        SmtpConfig.from_settings(s, {"ARCOLLECT_SMTP_PORT": "abc"})


def test_missing_password_never_prompts(smtp_server, monkeypatch):
    import getpass
    monkeypatch.setattr(getpass, "getpass", lambda *a, **k: pytest.fail("prompted"))
    monkeypatch.setattr("builtins.input", lambda *a, **k: pytest.fail("prompted"))
    s = replace(SETTINGS, smtp_host=smtp_server.hostname, smtp_port=smtp_server.port,
                smtp_tls="none", smtp_user="clerk")
    cfg = SmtpConfig.from_settings(s, {}, password_lookup=lambda u: None)
    report = send_batch(drafts(1), cfg, set())
    assert "no password" in report.error and report.pending


def test_auth_error_does_not_reveal_password():
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    ctl = Controller(Recorder(), hostname="127.0.0.1", port=_free_port(), authenticator=authenticator,
                     auth_require_tls=False)
    ctl.start()
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=ctl.port, tls="none", user="clerk", password="hunter2-xyz")
        report = send_batch(drafts(1), cfg, set())
    finally:
        ctl.stop()
    assert report.error and "hunter2-xyz" not in report.error and report.pending


def test_starttls(tls_cert):
    key, cert = tls_cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(cert), str(key))
    handler = Recorder()
    ctl = Controller(handler, hostname="127.0.0.1", port=_free_port(), tls_context=server_ctx,
                     require_starttls=True)
    ctl.start()
    try:
        client_ctx = ssl.create_default_context(cafile=str(cert))
        cfg = SmtpConfig(host="127.0.0.1", port=ctl.port, tls="starttls", ssl_context=client_ctx)
        report = send_batch(drafts(2), cfg, set())
        assert len(report.sent) == 2 and len(handler.messages) == 2
        # plain connection to a server that requires STARTTLS is refused, not sent in clear
        plain = send_batch(drafts(3)[2:], replace(cfg, tls="none"), set())
        assert not plain.sent
    finally:
        ctl.stop()
