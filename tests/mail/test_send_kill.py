"""Kill -9 during a real send, then send again: the server gets every message once.

A kill between the server's acceptance and its journal line leaves the
message uncertain: the next send holds it, and this process, as the clerk,
looks in the server's mailbox and has it sent again only when it is not there.

The sender is this module run with ``-m`` in a subprocess: it sends the real
drafts of an outbox to the aiosmtpd server on loopback (conftest) with the
journal beside the outbox, and prints its report as JSON. This process reads
the journal after the kill, as the next ``send`` would.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from addin.mail.journal import SENDING, SENT, JournalEntry, SendJournal
from addin.mail.outbox import read_outbox, write_draft

from .conftest import NOW, communications, draft, key_of

ROOT = Path(__file__).resolve().parents[2]
N = 6


def main(host: str, port: str, outbox: str, already_sent: str, fsize_limit: str, resend: str = "") -> None:
    """Send every draft in ``outbox``; a non-zero ``fsize_limit`` makes the disk full past that size."""
    from addin.mail.smtp import SmtpConfig, send_batch

    batch = [(key_of(m), m) for _, m in read_outbox(outbox)]
    config = SmtpConfig(host=host, port=int(port), tls="none", sender="accounts@northwind.example", timeout=10)
    if int(fsize_limit):
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (int(fsize_limit), int(fsize_limit)))
    print("ready", flush=True)
    report = send_batch(batch, config, SendJournal.beside(outbox), now=NOW,
                        already_sent=set(filter(None, already_sent.split(","))),
                        resend=set(filter(None, resend.split(","))))
    print(json.dumps({"sent": [mid for mid, _ in report.sent], "pending": report.pending,
                      "skipped": report.skipped_duplicates, "uncertain": report.uncertain,
                      "error": report.error}), flush=True)


def sender(server, outbox, already_sent=(), fsize_limit=0, resend=()) -> list[str]:
    return [sys.executable, "-m", "tests.mail.test_send_kill", server.hostname, str(server.port), str(outbox),
            ",".join(already_sent), str(fsize_limit), ",".join(resend)]


def start(command) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_to_completion(command) -> dict:
    proc = start(command)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return json.loads(out.splitlines()[-1])


def kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


@pytest.fixture
def outbox(tmp_path):
    """N drafts on disk: (folder, their Message-IDs in sending order, {path: bytes as drafted})."""
    folder = tmp_path / "outbox"
    for c in communications(N):
        write_draft(draft(c), c, folder)
    drafts = read_outbox(folder)
    return folder, [m["Message-ID"] for _, m in drafts], {p: p.read_bytes() for p, _ in drafts}


def journalled(folder) -> list[str]:
    """The ids journalled as accepted, in order."""
    return [e.message_id for e in SendJournal.beside(folder).accepted()]


def uncertain(folder) -> list[str]:
    return [e.message_id for e in SendJournal.beside(folder).uncertain()]


def test_kill_between_two_accepted_messages_then_send_again_delivers_each_once(smtp_server, outbox):
    folder, ids, files = outbox
    handler = smtp_server.handler
    handler.hold_after = 3  # MAIL FROM of message 4 waits: message 3 is accepted and journalled
    proc = start(sender(smtp_server, folder))
    try:
        assert handler.held.wait(30), proc.stderr.read() if proc.poll() is not None else "sender stuck"
    finally:
        kill(proc)
        handler.hold_after = None
        handler.release.set()
    assert handler.ids() == ids[:3]
    assert journalled(folder) == ids[:3]  # on disk, read by another process, before message 4
    assert uncertain(folder) == [ids[3]]  # its intent was journalled before MAIL FROM: it may have gone

    report = run_to_completion(sender(smtp_server, folder))  # History was never saved: nothing passed
    assert report["sent"] == ids[4:] and report["skipped"] == ids[:3] and report["uncertain"] == [ids[3]]
    assert not report["error"] and ids[3] not in handler.ids()
    # the clerk finds it is not in the mailbox, and has it sent again
    report = run_to_completion(sender(smtp_server, folder, resend=[ids[3]]))
    assert report["sent"] == [ids[3]] and report["uncertain"] == [] and not report["error"]
    assert Counter(handler.ids()) == Counter(ids)
    assert sorted(journalled(folder)) == sorted(ids)
    assert all(p.read_bytes() == data for p, data in files.items())  # drafts unchanged


@pytest.mark.parametrize("accepted", range(N))
def test_kill_at_a_random_moment_then_send_again_doubles_nothing(smtp_server, outbox, accepted):
    """Killed at a random moment in the cycle of message ``accepted`` + 1 (MAIL FROM waits 40 ms of it).

    The message being sent at the kill is uncertain; the clerk resends it only if the server lacks it.
    """
    folder, ids, _ = outbox
    handler = smtp_server.handler
    handler.delay = 0.04
    rng = random.Random(accepted)
    proc = start(sender(smtp_server, folder))
    try:
        assert proc.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while len(handler.messages) < accepted and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.06))
    finally:
        kill(proc)
    handler.delay = 0
    held = uncertain(folder)
    assert len(held) <= 1

    report = run_to_completion(sender(smtp_server, folder))
    assert not report["error"] and not report["pending"] and report["uncertain"] == held
    missing = [mid for mid in held if mid not in handler.ids()]
    if missing:  # the clerk looked in the mailbox: not there, so sent again
        assert run_to_completion(sender(smtp_server, folder, resend=missing))["sent"] == missing
    assert Counter(handler.ids()) == Counter(ids)  # every message once: nothing lost, nothing doubled
    assert sorted(journalled(folder) + [mid for mid in held if mid not in missing]) == sorted(ids)


def test_a_full_disk_stops_the_batch_and_sending_again_doubles_nothing(smtp_server, outbox):
    folder, ids, _ = outbox
    msgs = [m for _, m in read_outbox(folder)]
    two = sum(len(JournalEntry(m["Message-ID"], NOW, (m["To"].addresses[0].addr_spec,), key_of(m), state).line())
              for m in msgs[:2] for state in (SENDING, SENT))
    intent = len(JournalEntry(msgs[2]["Message-ID"], NOW, (msgs[2]["To"].addresses[0].addr_spec,), key_of(msgs[2]),
                              SENDING).line())
    # room for message 3's intent, not its acceptance: it is sent, and the batch stops
    report = run_to_completion(sender(smtp_server, folder, fsize_limit=two + intent + 10))
    assert report["sent"] == ids[:3] and report["pending"] == ids[3:]
    assert "send journal" in report["error"] and "could not be written" in report["error"]
    journal = SendJournal.beside(folder)
    assert journal.path.stat().st_size == two + intent + 10  # the acceptance is torn
    assert journalled(folder) == ids[:2] and uncertain(folder) == [ids[2]]

    # the caller logs report["sent"] to History and passes it on the next send
    again = run_to_completion(sender(smtp_server, folder, already_sent=report["sent"]))
    assert again["sent"] == ids[3:] and not again["error"]
    assert Counter(smtp_server.handler.ids()) == Counter(ids)
    assert journalled(folder) == ids[:2] + ids[3:]

    # no room even for an intent: nothing more goes on the wire
    folder2 = folder.parent / "outbox2"
    shutil.copytree(folder, folder2)
    SendJournal.beside(folder2).path.unlink()
    smtp_server.handler.messages.clear()
    report = run_to_completion(sender(smtp_server, folder2, fsize_limit=two + 10))
    assert report["sent"] == ids[:2] and report["pending"] == ids[2:] and report["uncertain"] == []
    assert smtp_server.handler.ids() == ids[:2] and uncertain(folder2) == []


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_each_journal_line_is_fsynced_before_the_next_message_is_begun(smtp_server, outbox, tmp_path):
    """Watched at the system calls: the intent written and fsynced before MAIL FROM, the acceptance after."""
    folder, ids, _ = outbox
    trace = tmp_path / "trace"
    proc = subprocess.run(["strace", "-qq", "-o", str(trace), "-s", "24",
                           "-e", "trace=openat,close,write,fsync,fdatasync,sendto",
                           *sender(smtp_server, folder)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    if proc.returncode != 0 and "ptrace" in proc.stderr:
        pytest.skip(f"strace cannot trace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    events, fd = [], None
    for line in trace.read_text().splitlines():
        call = re.match(r"(\w+)\((\w+), (.*)\) += (-?\d+)", line) or re.match(r"(\w+)\((\w+)\) += (-?\d+)", line)
        if not call:
            continue
        name, first, ret = call.group(1), call.group(2), call.group(call.lastindex)
        if name == "openat" and '/sent.jsonl"' in line:
            fd = ret
        elif name == "close" and first == fd:
            fd = None
        elif name == "write" and first == fd:
            events.append("line")
        elif name in ("fsync", "fdatasync") and first == fd:
            events.append("fsync")
        elif name == "sendto" and re.search(r'"mail from:', line, re.IGNORECASE):
            events.append("MAIL")
    assert events == ["fsync"] + ["line", "fsync", "MAIL", "line", "fsync"] * N


if __name__ == "__main__":
    main(*sys.argv[1:])
