"""Long work shows its progress on a terminal, and only there (issue 8: a clerk waiting on a million rows)."""
import os
import pty
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

from addin.app import run
from addin.app.progress import reporting
from addin.workbook.template import build_workbook

AS_OF = date(2026, 11, 30)


class Recorder:
    """A watcher that keeps what it was told."""

    def __init__(self):
        self.stages, self.done = [], {}

    def begin(self, label, total):
        self.stages.append((label, total))

    def advance(self, done):
        self.done[self.stages[-1][0]] = done

    def end(self):
        pass


def _book(tmp_path, customers=3):
    due = AS_OF - timedelta(days=10)
    rows = [[f"C{i}", f"Customer {i} Ltd", "Sam", f"ap{i}@c{i}.example", "", f"INV-{i}", due - timedelta(days=30),
             due, 100 + i, 0, None, "GBP", "open", None, "business", "en", ""] for i in range(customers)]
    return build_workbook(tmp_path / "book.xlsx", rows, settings={"From": "ar@seller.example"})


def test_a_run_tells_each_stage_and_how_far_drafting_is(tmp_path):
    book = _book(tmp_path)
    seen = Recorder()
    with reporting(seen):
        run(book, AS_OF, today=AS_OF, now=datetime(2026, 11, 30, 9, tzinfo=timezone.utc))
    labels = [label for label, _ in seen.stages]
    assert labels[:2] == ["Reading book.xlsx", "Ageing 3 items and deciding"]
    assert ("Drafting emails", 3) in seen.stages and seen.done["Drafting emails"] == 3
    assert {"Writing the flags on Receivables", "Writing Aging", "Writing Actions"} <= set(labels)
    assert labels[-1] == "Saving book.xlsx"


def test_nobody_is_told_unless_a_shell_listens(tmp_path):
    run(_book(tmp_path), AS_OF, today=AS_OF, now=datetime(2026, 11, 30, 9, tzinfo=timezone.utc))


def _cli(args, stderr_tty: bool) -> str:
    """Run the installed CLI in a child; its stderr a pseudo-terminal or a pipe. Returns what stderr got."""
    command = [sys.executable, "-m", "addin.cli", *args]
    if not stderr_tty:
        return subprocess.run(command, capture_output=True, text=True, timeout=300).stderr
    master, slave = pty.openpty()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    child.wait(timeout=300)
    os.close(master)
    return out.decode("utf-8", "replace")


def test_the_cli_shows_progress_on_a_terminal_only_and_not_when_quiet(tmp_path):
    book = str(_book(tmp_path))
    shown = _cli(["age", book, "--as-of", "2026-11-30"], stderr_tty=True)
    assert "Reading book.xlsx" in shown and "Ageing 3 items and deciding" in shown
    assert "Reading" not in _cli(["age", book, "--as-of", "2026-11-30"], stderr_tty=False)
    assert "Reading" not in _cli(["age", book, "--as-of", "2026-11-30", "--quiet"], stderr_tty=True)


def test_a_close_tells_its_steps_in_order(tmp_path):
    from addin.app.close import STEPS, CloseOptions, close

    seen = Recorder()
    with reporting(seen):
        close(_book(tmp_path), AS_OF, CloseOptions(thank_you=False), today=AS_OF,
              now=datetime(2026, 11, 30, 9, tzinfo=timezone.utc))
    steps = [label for label, _ in seen.stages if label.startswith("[")]
    assert steps == [f"[{k}/{len(STEPS)}] {text}" for k, text in enumerate(STEPS, 1)]
