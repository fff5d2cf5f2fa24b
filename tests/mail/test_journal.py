from datetime import datetime, timedelta, timezone

import pytest

from addin.mail.journal import JournalEntry, JournalError, SendJournal

from .conftest import NOW

KEY = {"customer_id": "C00001", "currency": "GBP", "level": 2, "run_date": "2026-11-30",
       "document": "outbox/C00001_GBP_L2_2026-11-30.eml"}


@pytest.fixture
def journal(tmp_path):
    return SendJournal.beside(tmp_path)


def test_records_read_back_in_order_in_utc(journal):
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    journal.record("<a@x>", ["ap@one.example", "ap@two.example"], paris, KEY)
    journal.record("<b@x>", ["ap@b.example"], NOW, {})
    a, b = journal.entries()
    assert a == JournalEntry("<a@x>", NOW, ("ap@one.example", "ap@two.example"), KEY)
    assert a.sent_at.utcoffset() == timedelta(0)
    assert b.message_id == "<b@x>" and b.key == {}
    assert journal.sent_ids() == {"<a@x>", "<b@x>"}
    assert journal.path.name == "sent.jsonl" and journal.path.read_bytes().count(b"\n") == 2


def test_no_file_is_an_empty_journal(journal):
    assert journal.entries() == [] and journal.sent_ids() == set()


def test_a_torn_last_line_is_ignored_then_cut_before_the_next_record(journal):
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY)
    whole = journal.path.read_bytes()
    torn = JournalEntry("<b@x>", NOW, ("ap@b.example",), KEY).line()
    for cut in (1, len(torn) // 2, len(torn) - 1):  # the newline is what makes a record whole
        journal.path.write_bytes(whole + torn[:cut])
        assert journal.sent_ids() == {"<a@x>"}
    SendJournal(journal.path).record("<c@x>", ["ap@c.example"], NOW, KEY)  # as the next send would
    assert [e.message_id for e in journal.entries()] == ["<a@x>", "<c@x>"]
    assert journal.path.read_bytes().startswith(whole) and journal.path.read_bytes().endswith(b"}\n")


def test_any_other_unreadable_line_stops_everything(journal):
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY)
    with open(journal.path, "ab") as fh:
        fh.write(b'{"message_id": "<b@x>"\n')
    journal.record("<c@x>", ["ap@c.example"], NOW, KEY)
    with pytest.raises(JournalError, match=r"sent\.jsonl line 2 is not a send record"):
        journal.sent_ids()


def test_prepare_creates_the_file_or_fails_before_anything_is_sent(journal, tmp_path):
    journal.prepare()
    assert journal.path.read_bytes() == b""
    with pytest.raises(FileNotFoundError):
        SendJournal(tmp_path / "no such folder" / "sent.jsonl").prepare()


def test_a_time_without_zone_is_refused(journal):
    with pytest.raises(ValueError, match="no time zone"):
        journal.record("<a@x>", [], datetime(2026, 12, 1, 9, 15), KEY)
    assert not journal.path.exists()


def test_compact_keeps_only_what_history_lacks(journal):
    for mid in ("<a@x>", "<b@x>", "<c@x>"):
        journal.record(mid, ["ap@example.com"], NOW, KEY)
    assert [e.message_id for e in journal.unlogged({"<b@x>"})] == ["<a@x>", "<c@x>"]
    journal.compact({"<a@x>", "<b@x>"})
    assert [e.message_id for e in journal.entries()] == ["<c@x>"]
    journal.record("<d@x>", ["ap@example.com"], NOW, KEY)
    assert journal.sent_ids() == {"<c@x>", "<d@x>"}
    assert sorted(p.name for p in journal.path.parent.iterdir()) == ["sent.jsonl"]
