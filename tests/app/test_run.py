"""`run` as the clerk reads it in the terminal."""
from __future__ import annotations

from addin.cli import main
from tests.files.workload import small_book


def test_a_run_as_of_another_day_than_send_will_decide_says_so(tmp_path, capsys):
    book = small_book(tmp_path)                                      # Settings: as of 2026-11-30
    assert main(["run", str(book), "--as-of", "2026-11-27", "-q"]) in (0, 1)
    out = capsys.readouterr().out
    assert "the drafts are as of 2026-11-27; send decides again as of 2026-11-30" in out
    assert main(["run", str(book), "-q"]) in (0, 1)                   # as of Settings' date, as send: nothing
    assert "send decides again" not in capsys.readouterr().out
