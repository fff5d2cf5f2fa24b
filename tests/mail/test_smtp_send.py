import base64
import ssl
from dataclasses import replace
from email.utils import format_datetime
from io import BytesIO

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pypdf import PdfReader

from addin.documents.pdf import letter_pdf
from addin.documents.render import render
from addin.documents.sample import sample_communication
from addin.mail.journal import SENDING, SENT, UNSENT, SendJournal
from addin.mail.message import build_message
from addin.mail.outbox import read_outbox, write_draft
from addin.mail.smtp import SmtpConfig, SmtpConfigError, send_batch

from .conftest import NOW, SETTINGS, Recorder, _free_port, draft, drafts, key_of, keyed


def config_for(server, **kw):
    return SmtpConfig(host=server.hostname, port=server.port, tls="none",
                      sender="accounts@northwind.example", **kw)


@pytest.fixture
def journal(tmp_path):
    return SendJournal(tmp_path / "sent.jsonl")


def send(msgs, cfg, journal, already_sent=frozenset(), resend=frozenset()):
    return send_batch(keyed(msgs), cfg, journal, now=NOW, already_sent=already_sent, resend=resend)


def test_sent_message_arrives_whole(smtp_server, tmp_path):
    c = sample_communication(1, level=2)
    r = render(c, SETTINGS)
    pdf = letter_pdf(c, r, SETTINGS)
    msg = build_message(c, r, SETTINGS, letter_pdf=pdf)
    path = write_draft(msg, c, tmp_path)
    on_disk = path.read_bytes()
    report = send([m for _, m in read_outbox(tmp_path)], config_for(smtp_server), SendJournal.beside(tmp_path))
    assert report.complete and len(report.sent) == 1
    assert report.sent[0][1] == ["ap1@customer1.example"]
    (mail_from, rcpts, got), = smtp_server.handler.messages
    assert mail_from == "accounts@northwind.example" and rcpts == ["ap1@customer1.example"]
    assert got["X-Unsent"] is None
    assert got["Message-ID"] == msg["Message-ID"]
    assert got["Date"] == format_datetime(NOW) != msg["Date"]  # sent now, not on the run date
    assert len(got.get_all("Date")) == 1
    assert path.read_bytes() == on_disk  # the draft is not changed
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


def test_refused_recipient_is_recorded_not_journalled_and_batch_continues(smtp_server, journal):
    msgs = drafts(4)
    smtp_server.handler.refuse.add("ap2@customer2.example")
    report = send(msgs, config_for(smtp_server), journal)
    ids = [m["Message-ID"] for m in msgs]
    assert [mid for mid, _ in report.sent] == [ids[0], ids[2], ids[3]]
    assert [mid for mid, _ in report.failed] == [ids[1]]
    assert "550" in report.failed[0][1]
    assert not report.pending and not report.error
    assert [e.message_id for e in journal.accepted()] == [ids[0], ids[2], ids[3]]
    assert journal.accepted()[0].key == key_of(msgs[0])
    assert journal.accepted()[0].sent_at == NOW
    assert [(e.message_id, e.state) for e in journal.entries()][2:4] == [(ids[1], SENDING), (ids[1], UNSENT)]
    assert journal.uncertain() == []  # the server said no: certain, and sent again once the address is fixed
    # re-run, History lost (nothing passed): the journal keeps it single; the fixed address gets its mail
    smtp_server.handler.refuse.clear()
    again = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in again.sent] == [ids[1]]
    assert sorted(again.skipped_duplicates) == sorted([ids[0], ids[2], ids[3]])
    assert sorted(smtp_server.handler.ids()) == sorted(ids)


def test_partly_refused_message_is_journalled_with_the_accepted_recipients(smtp_server, journal):
    msg = draft(sample_communication(1, level=2, email="ap@one.example; ap@two.example"))
    smtp_server.handler.refuse.add("ap@two.example")
    report = send([msg], config_for(smtp_server), journal)
    assert report.sent == [(msg["Message-ID"], ["ap@one.example"])]
    assert [(mid, r) for mid, r, _ in report.refused] == [(msg["Message-ID"], "ap@two.example")]
    intent, entry = journal.entries()
    assert intent.recipients == ("ap@one.example", "ap@two.example") and intent.state == SENDING
    assert entry.recipients == ("ap@one.example",) and entry.state == SENT


def test_history_ids_are_skipped_without_a_journal_entry(smtp_server, journal):
    msgs = drafts(3)
    report = send(msgs, config_for(smtp_server), journal, already_sent={msgs[1]["Message-ID"]})
    assert report.skipped_duplicates == [msgs[1]["Message-ID"]]
    assert journal.sent_ids() == {msgs[0]["Message-ID"], msgs[2]["Message-ID"]}


def test_dropped_connection_during_data_holds_that_message_as_uncertain_until_resent(smtp_server, journal):
    msgs = drafts(5)
    ids = [m["Message-ID"] for m in msgs]
    smtp_server.handler.drop_on.add(3)  # the server drops it during DATA: this side cannot know it was not taken
    report = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in report.sent] == ids[:2]
    assert report.uncertain == [ids[2]] and report.pending == ids[3:]
    assert "connection lost" in report.error and not report.complete
    assert journal.sent_ids() == set(ids[:2]) and [e.message_id for e in journal.uncertain()] == [ids[2]]
    again = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in again.sent] == ids[3:] and again.uncertain == [ids[2]]  # held, not sent again
    assert ids[2] not in smtp_server.handler.ids()
    resent = send(msgs, config_for(smtp_server), journal, resend={ids[2]})  # the clerk found it missing
    assert [mid for mid, _ in resent.sent] == [ids[2]] and resent.uncertain == [] and resent.complete
    got = smtp_server.handler.ids()
    assert sorted(got) == sorted(ids) and len(got) == len(set(got))  # nothing lost or doubled
    assert journal.uncertain() == []


def test_a_message_the_server_took_before_the_connection_dropped_is_held_not_doubled(smtp_server, journal):
    msgs = drafts(3)
    ids = [m["Message-ID"] for m in msgs]
    smtp_server.handler.take_then_drop_on.add(2)  # accepted, and the 250 never reaches the sender
    report = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in report.sent] == ids[:1] and report.uncertain == [ids[1]] and report.pending == ids[2:]
    again = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in again.sent] == ids[2:] and again.uncertain == [ids[1]]
    assert sorted(smtp_server.handler.ids()) == sorted(ids)  # each once: the uncertain one was not sent again


def test_a_connection_dropped_before_data_leaves_the_message_unsent_and_pending(smtp_server, journal):
    msgs = drafts(3)
    ids = [m["Message-ID"] for m in msgs]
    smtp_server.handler.refuse.add("ap2@customer2.example")

    class Dropper(Recorder):
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address == "ap2@customer2.example":
                server.transport.close()
            return await super().handle_RCPT(server, session, envelope, address, rcpt_options)

    controller = Controller(Dropper(), hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        report = send(msgs, config_for(controller), journal)
    finally:
        controller.stop()
    assert [mid for mid, _ in report.sent] == ids[:1] and report.pending == ids[1:] and report.uncertain == []
    assert journal.uncertain() == [] and journal.entries()[-1].state == UNSENT
    again = send(msgs, config_for(smtp_server), journal)
    assert [mid for mid, _ in again.sent] == [ids[2]] and [mid for mid, _ in again.failed] == [ids[1]]


def test_duplicates_within_batch_are_skipped(smtp_server, journal):
    msgs = drafts(2)
    report = send(msgs + msgs, config_for(smtp_server), journal)
    assert len(report.sent) == 2 and len(report.skipped_duplicates) == 2
    assert len(smtp_server.handler.messages) == 2


def test_draft_in_memory_is_not_changed(smtp_server, journal):
    msgs = drafts(1)
    date = msgs[0]["Date"]
    send(msgs, config_for(smtp_server), journal)
    assert msgs[0]["X-Unsent"] == "1" and msgs[0]["Date"] == date


def test_naive_now_and_unjournallable_key_fail_before_anything_is_sent(smtp_server, journal):
    msgs = drafts(1)
    with pytest.raises(ValueError, match="time zone"):
        send_batch(keyed(msgs), config_for(smtp_server), journal, now=NOW.replace(tzinfo=None))
    with pytest.raises(TypeError):
        send_batch([({"document": object()}, msgs[0])], config_for(smtp_server), journal, now=NOW)
    assert smtp_server.handler.messages == [] and not journal.path.exists()


def test_unreachable_server_leaves_everything_pending(journal):
    msgs = drafts(2)
    cfg = SmtpConfig(host="127.0.0.1", port=_free_port(), tls="none", timeout=2)
    report = send(msgs, cfg, journal)
    assert report.pending == [m["Message-ID"] for m in msgs] and "could not connect" in report.error
    assert journal.entries() == []


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


def test_missing_password_never_prompts(smtp_server, monkeypatch, journal):
    import getpass
    monkeypatch.setattr(getpass, "getpass", lambda *a, **k: pytest.fail("prompted"))
    monkeypatch.setattr("builtins.input", lambda *a, **k: pytest.fail("prompted"))
    s = replace(SETTINGS, smtp_host=smtp_server.hostname, smtp_port=smtp_server.port,
                smtp_tls="none", smtp_user="clerk")
    cfg = SmtpConfig.from_settings(s, {}, password_lookup=lambda u: None)
    report = send(drafts(1), cfg, journal)
    assert "no password" in report.error and report.pending


def test_auth_error_does_not_reveal_password(journal):
    def authenticator(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    ctl = Controller(Recorder(), hostname="127.0.0.1", port=_free_port(), authenticator=authenticator,
                     auth_require_tls=False)
    ctl.start()
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=ctl.port, tls="none", user="clerk", password="hunter2-xyz")
        report = send(drafts(1), cfg, journal)
    finally:
        ctl.stop()
    assert report.error and "hunter2-xyz" not in report.error and report.pending


@pytest.mark.parametrize("password", ["e", "x", "ten"])
def test_a_short_password_masks_no_other_word(smtp_server, journal, password):
    cfg = config_for(smtp_server, user="clerk", password=password)  # this server offers no AUTH
    report = send(drafts(1), cfg, journal)
    assert report.error.endswith("SMTPNotSupportedError: SMTP AUTH extension not supported by server.")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("password, glued", [("ten", "tentent"), ("hunter2-xyz", "***tent")])
def test_a_server_echoing_the_credentials_sees_them_masked(journal, mechanism, password, glued):
    """A chatty server quotes the AUTH line back: every form is masked; a short password inside a word is not."""
    def b64(text):
        return base64.b64encode(text.encode()).decode()

    def echo(server, session, envelope, mech, auth_data):
        login, pw = auth_data.login.decode(), auth_data.password.decode()
        sent = b64(f"\0{login}\0{pw}") if mech == "PLAIN" else b64(pw)
        return AuthResult(success=False, handled=False,
                          message=f"535 5.7.8 {sent} ({pw}) refused, attention: {pw}tent")

    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    ctl = Controller(Recorder(), hostname="127.0.0.1", port=_free_port(), authenticator=echo,
                     auth_require_tls=False, auth_exclude_mechanism=[other])
    ctl.start()
    try:
        cfg = SmtpConfig(host="127.0.0.1", port=ctl.port, tls="none", user="clerk", password=password)
        report = send(drafts(1), cfg, journal)
    finally:
        ctl.stop()
    assert f"(535 5.7.8 *** (***) refused, attention: {glued}): check the SMTP user" in report.error


def test_starttls(tls_cert, journal):
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
        report = send(drafts(2), cfg, journal)
        assert len(report.sent) == 2 and len(handler.messages) == 2
        # plain connection to a server that requires STARTTLS is refused, not sent in clear
        plain = send(drafts(3)[2:], replace(cfg, tls="none"), journal)
        assert not plain.sent
    finally:
        ctl.stop()
