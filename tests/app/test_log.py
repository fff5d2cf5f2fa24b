"""`log`: a contact is logged once; a re-run of the same `log` (its save landed, it was killed before it said so)
adds nothing and says where it is."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import addin.cli
from addin.app import log_contact
from addin.cli import main
from tests.files.workload import history, small_book

NOW = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


def test_the_same_contact_the_same_day_is_logged_once(tmp_path):
    book = small_book(tmp_path)
    first = log_contact(book, "C001", "promise", now=NOW, when=NOW.date() + timedelta(days=5), amount="120.00",
                        reason="will pay Friday")
    assert not first.already
    saved = book.read_bytes()
    again = log_contact(book, "C001", "promise", now=NOW + timedelta(minutes=3),
                        when=NOW.date() + timedelta(days=5), amount=Decimal("120"), reason="will pay Friday")
    assert again.already == 2 and book.read_bytes() == saved        # row 2 of History; the book untouched
    assert [r["Action"] for r in history(book)] == ["promise"]


def test_another_amount_note_channel_day_or_an_explicit_again_is_another_contact(tmp_path):
    book = small_book(tmp_path)
    log_contact(book, "C001", "no-answer", now=NOW)
    assert log_contact(book, "C001", "no-answer", now=NOW + timedelta(minutes=40)).already == 2
    others = [dict(reason="voicemail left"), dict(channel="visit"), dict(now=NOW + timedelta(days=1)),
              dict(again=True)]
    for other in others:
        assert not log_contact(book, "C001", "no-answer", **{"now": NOW, **other}).already, other
    assert not log_contact(book, "C002", "no-answer", now=NOW).already
    log_contact(book, "C001", "paid", now=NOW, amount="10.00")
    assert not log_contact(book, "C001", "paid", now=NOW, amount="10.01").already
    assert len(history(book)) == 8


def test_the_cli_says_it_was_already_logged(tmp_path, capsys, monkeypatch):
    book = small_book(tmp_path)
    monkeypatch.setattr(addin.cli, "_now", lambda: NOW)              # the clock, not the thing under test
    args = ["log", str(book), "--customer", "C001", "--outcome", "called", "--reason", "will call back"]
    assert main(args) == 0 and main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["Logged called for Customer 001 Ltd (spoke to customer; will call back) in book.xlsx",
                   "Already logged today: called for Customer 001 Ltd (spoke to customer; will call back), row 2 of "
                   "History in book.xlsx; nothing added. If this is another contact, log it with --again."]
    assert main([*args, "--again"]) == 0 and len(history(book)) == 2


def test_the_cli_states_the_amount_grouped_with_its_currency(tmp_path, capsys, monkeypatch):
    book = small_book(tmp_path)
    monkeypatch.setattr(addin.cli, "_now", lambda: NOW)
    assert main(["log", str(book), "--customer", "C001", "--outcome", "paid", "--amount", "150000"]) == 0
    assert "paid 150,000.00 GBP for Customer 001 Ltd" in capsys.readouterr().out

