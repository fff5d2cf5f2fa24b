"""The SMTP password is in nothing a day's work produced: files, book parts, logs, output, messages.

The clerk's day runs for real, each command in its own process with its own
temp folder: `run`, `send` against an aiosmtpd server on loopback that
requires AUTH (first with a wrong password, refused by a server that echoes
what it was sent, then the right one), `log`, `close` with statements, `run`. Afterwards
every file under the test's folder is read — each member of each workbook
inflated, each PDF's text extracted, the run logs, the send journal, the
crash-log folder — with every command's stdout and stderr and every message
the server received, and neither password may appear in any of them, in
plain text or base64 (the form AUTH sends it in).
"""
from __future__ import annotations

import base64
import zipfile
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from pypdf import PdfReader

from tests.files.workload import AS_OF, command, environment, run, small_book
from tests.mail.conftest import Recorder, _free_port

PASSWORD, WRONG = "Zq7v!9xK-pw", "Tr4p#wrong-pw"


def forms(secret: str) -> list[bytes]:
    """The password as a file, a log or AUTH PLAIN / LOGIN could hold it."""
    raw = secret.encode()
    return [raw, base64.b64encode(raw), base64.b64encode(b"\0clerk\0" + raw)]


def texts(folder: Path):
    """(what, bytes) of everything under ``folder``: workbook members inflated, PDF text extracted."""
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        data = p.read_bytes()
        yield str(p.relative_to(folder)), data
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                for name in z.namelist():
                    yield f"{p.name}:{name}", z.read(name)
        elif p.suffix == ".pdf":
            yield f"{p.name} (text)", "".join(page.extract_text() for page in PdfReader(p).pages).encode()


def test_the_password_appears_in_nothing_a_day_produced(tmp_path):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"clerk" and auth_data.password == PASSWORD.encode()
        # a chatty server: a refusal quotes back what it was given
        return AuthResult(success=ok, handled=False,
                          message=None if ok else f"535 5.7.8 {auth_data.password.decode()} is not right")

    handler = Recorder()
    server = Controller(handler, hostname="127.0.0.1", port=_free_port(), authenticator=authenticator,
                        auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    server.start()
    try:
        book = small_book(tmp_path / "work")
        env = dict(environment(tmp_path / "tmp", server.port), ARCOLLECT_SMTP_USER="clerk",
                   ARCOLLECT_SMTP_PASSWORD=PASSWORD)
        outputs = [run(command("run", str(book), "--as-of", AS_OF.isoformat()), env)]
        wrong = run(command("send", str(book), "--approve-all"), dict(env, ARCOLLECT_SMTP_PASSWORD=WRONG))
        day = [command("send", str(book), "--approve-all"),
               command("log", str(book), "--customer", "C001", "--outcome", "promise", "--date", "2026-12-14",
                       "--amount", "120"),
               command("close", str(book), "--as-of", AS_OF.isoformat(), "--statements"),
               command("run", str(book), "--as-of", AS_OF.isoformat())]
        outputs += [run(args, env) for args in day]
    finally:
        server.stop()
    assert [o.returncode for o in outputs[:2]] == [0, 0], [o.stderr for o in outputs]
    assert all(o.returncode in (0, 1) for o in outputs), [o.stderr for o in outputs]
    assert wrong.returncode != 0 and "refused the login of 'clerk'" in wrong.stdout   # its echo masked
    assert len(handler.messages) == 8                       # the day's reminders went, authenticated

    produced = list(texts(tmp_path))
    assert any(name.endswith(".eml") for name, _ in produced) and any("History" in name or "sheet" in name
                                                                    for name, _ in produced)
    produced += [(f"output of {o.args[3]}", (o.stdout + o.stderr).encode()) for o in [*outputs, wrong]]
    produced += [(f"message to {rcpt}", msg.as_bytes()) for _, rcpt, msg in handler.messages]
    leaks = [(name, form) for name, data in produced for secret in (PASSWORD, WRONG) for form in forms(secret)
             if form in data]
    assert leaks == []
