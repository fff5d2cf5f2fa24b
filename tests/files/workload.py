"""Real books, the real CLI in real processes, and the checks the crash and concurrency campaigns share.

Nothing is simulated: a book is a workbook file built by the template
builder, a command is ``python -m addin.cli`` in its own process (own temp
folder, so what it leaves there can be seen), mail goes to an aiosmtpd server
on loopback, and a book is judged by what is on disk afterwards.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from python_calamine import CalamineWorkbook

from addin.workbook.template import build_workbook
from tests.mail.conftest import Recorder, _free_port
from tests.xlsx_checks import check_package

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 30)
BOOK = "book.xlsx"


def receivable(i: int, days: int, amount: float, *, consumer: bool = False) -> list:
    due = AS_OF - timedelta(days=days)
    return [f"C{i:03d}", f"Customer {i:03d} Ltd", "Pat Doe", f"ap{i}@c{i}.example", f"+1 212 555 {i:04d}",
            f"INV-{i:04d}", due - timedelta(days=30), due, amount, 0, None, "USD" if consumer else "GBP", "open",
            None, "consumer" if consumer else "business", "en", ""]


def small_book(folder: Path, customers: int = 8, *, settings: dict | None = None) -> Path:
    """A collections book whose customers are all overdue enough to get an email each.

    Its Settings fix the as-of date, so what ``send`` decides again does not depend on the clock.
    """
    rows = [receivable(i, 5 + 3 * i, 100 + 10 * i) for i in range(1, customers + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    return build_workbook(folder / BOOK, rows, settings={"From": "ar@northwind.example", "As-of date": AS_OF,
                                                         **(settings or {})})


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "addin.cli", *args]


def environment(tmp: Path, smtp_port: int | None = None, lock_wait: float = 120) -> dict:
    """The CLI's environment: its own temp folder, the lock wait, and the loopback SMTP server."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, TMPDIR=str(tmp), TEMP=str(tmp), TMP=str(tmp), ARCOLLECT_LOCK_WAIT=str(lock_wait),
               PYTHONPATH=str(ROOT))
    if smtp_port is not None:
        env.update(ARCOLLECT_SMTP_HOST="127.0.0.1", ARCOLLECT_SMTP_PORT=str(smtp_port), ARCOLLECT_SMTP_TLS="none")
    return env


def start(args, env) -> subprocess.Popen:
    """The command in a session of its own, so that whatever it starts can be found after it is killed."""
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def survivors(proc: subprocess.Popen, grace: float = 5.0) -> list[str]:
    """Processes of ``proc``'s session still alive ``grace`` seconds after it ended; they are killed."""
    deadline = time.monotonic() + grace
    while True:
        found = subprocess.run(["ps", "-o", "pid=,args=", "-s", str(proc.pid)], capture_output=True,
                               text=True).stdout.strip()
        if not found or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    if found:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return found.splitlines()


def run(args, env, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 recording every message it accepts."""

    def __init__(self):
        self.handler = Recorder()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=_free_port())

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def port(self) -> int:
        return self.controller.port

    def delivered(self) -> Counter:
        return Counter(self.handler.ids())


def history(book: Path) -> list[dict]:
    """History rows as {header: value}."""
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("History").to_python()
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v not in ("", None) for v in r)]


def ids(rows, action: str) -> Counter:
    return Counter(r["Message ID"] for r in rows if r["Action"] == action and r.get("Message ID"))


def doubled(rows) -> list[str]:
    """Communications drafted or sent more than once on one channel: what a re-run must never do.

    One communication (one Message ID) may go by email and phone: a drafted row for each channel.
    """
    seen = Counter((r["Action"], r["Message ID"], r["Channel"]) for r in rows
                   if r["Action"] in ("drafted", "sent") and r.get("Message ID"))
    return [f"{action} {mid} by {channel} x{n}" for (action, mid, channel), n in seen.items() if n > 1]


def book_problems(book: Path, old: bytes | None = None) -> list[str]:
    """Why ``book`` is not a complete workbook (empty when it is the old bytes, or valid)."""
    if old is not None and book.read_bytes() == old:
        return []
    try:
        check_package(book)
        CalamineWorkbook.from_path(str(book)).get_sheet_by_name("History").to_python()
    except Exception as exc:  # noqa: BLE001 - any failure to read is the finding
        return [f"book unreadable: {type(exc).__name__}: {exc}"]
    return []


def left_behind(book: Path, tmp: Path) -> list[str]:
    """What a finished command must not leave: arcollect's temporary and lock files beside the book or in
    its outbox, anything in the temp folder; and a traceback logged there is a failure in its own right."""
    here = [p.name for p in book.parent.iterdir() if p.name.startswith(("~tmp-arcollect-", ".~arcollect."))]
    here += [f"{d.name}/{p.name}" for d in book.parent.iterdir() if d.is_dir() for p in d.iterdir()
             if p.name.startswith("~tmp-arcollect-") or p.suffix == ".tmp"]
    problems = [f"left beside the book: {sorted(here)}"] if here else []
    temp = sorted(p.name for p in tmp.iterdir() if p.name != "arcollect-logs") if tmp.exists() else []
    if temp:
        problems.append(f"left in the temp folder: {temp}")
    logs = tmp / "arcollect-logs"
    if logs.is_dir():
        problems += [f"traceback logged: {p.read_text()[-400:]}" for p in logs.iterdir()]
    return problems


def run_in_workers(todo: list, workers: int, prepare, trial, done) -> None:
    """Trials on worker threads: each prepares its own campaign with its own SMTP server (``prepare(n,
    server)``), then takes the next arguments off ``todo`` for ``trial(campaign, *args)``; ``done(result)``
    is called for each, one at a time."""
    lock = threading.Lock()

    def worker(n: int) -> None:
        with SmtpServer() as server:
            campaign = prepare(n, server)
            while True:
                with lock:
                    if not todo:
                        return
                    args = todo.pop(0)
                result = trial(campaign, *args)
                with lock:
                    done(result)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
