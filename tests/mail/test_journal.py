from datetime import datetime, timedelta, timezone

import pytest

from addin.mail.journal import CONFIRMED, SENDING, SENT, UNSENT, JournalEntry, JournalError, SendJournal

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


def test_an_intent_without_outcome_is_uncertain_until_an_outcome_closes_it(journal):
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY, SENDING)
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY)  # accepted
    journal.record("<b@x>", ["ap@b.example"], NOW, KEY, SENDING)
    journal.record("<b@x>", ["ap@b.example"], NOW, KEY, UNSENT)  # the server said no
    journal.record("<c@x>", ["ap@c.example"], NOW, KEY, SENDING)  # stopped: no answer journalled
    assert journal.sent_ids() == {"<a@x>"}
    assert [e.message_id for e in journal.accepted()] == ["<a@x>"]
    (c,) = journal.uncertain()
    assert (c.message_id, c.state, c.recipients, c.key) == ("<c@x>", SENDING, ("ap@c.example",), KEY)
    journal.record("<c@x>", ["ap@c.example"], NOW, KEY, CONFIRMED)  # the clerk found it in the Sent folder
    assert journal.uncertain() == [] and journal.sent_ids() == {"<a@x>", "<c@x>"}
    assert [e.state for e in journal.unlogged({"<a@x>"})] == [CONFIRMED]


def test_a_message_refused_then_sent_again_is_not_uncertain(journal):
    for state in (SENDING, UNSENT, SENDING, SENT):
        journal.record("<a@x>", ["ap@a.example"], NOW, KEY, state)
    assert journal.uncertain() == [] and journal.sent_ids() == {"<a@x>"}


def test_a_torn_acceptance_leaves_its_message_uncertain_and_a_torn_intent_leaves_it_unsent(journal):
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY, SENDING)
    whole = journal.path.read_bytes()
    accept = JournalEntry("<a@x>", NOW, ("ap@a.example",), KEY).line()
    journal.path.write_bytes(whole + accept[:-1])  # killed while the acceptance was written
    assert journal.sent_ids() == set() and [e.message_id for e in journal.uncertain()] == ["<a@x>"]
    intent = JournalEntry("<b@x>", NOW, ("ap@b.example",), KEY, SENDING).line()
    journal.path.write_bytes(whole + intent[:len(intent) // 2])  # killed before <b@x> went on the wire
    assert [e.message_id for e in journal.uncertain()] == ["<a@x>"]
    SendJournal(journal.path).record("<b@x>", ["ap@b.example"], NOW, KEY, SENDING)
    assert [e.message_id for e in journal.uncertain()] == ["<a@x>", "<b@x>"]


def test_a_record_without_state_is_an_acceptance_and_an_unknown_state_stops_everything(journal):
    journal.path.write_bytes(b'{"message_id":"<a@x>","sent_at":"2026-12-01T09:15:00+00:00",'
                             b'"recipients":["ap@a.example"],"key":{}}\n')  # as journals before intents
    assert journal.sent_ids() == {"<a@x>"} and journal.entries()[0].state == SENT
    with open(journal.path, "ab") as fh:
        fh.write(b'{"message_id":"<b@x>","sent_at":"2026-12-01T09:15:00+00:00",'
                 b'"recipients":[],"key":{},"state":"maybe"}\n')
    with pytest.raises(JournalError, match="line 2 is not a send record"):
        journal.uncertain()


def test_compact_keeps_uncertain_intents_until_resolved(journal):
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY, SENDING)
    journal.record("<a@x>", ["ap@a.example"], NOW, KEY)
    journal.record("<b@x>", ["ap@b.example"], NOW, KEY, SENDING)
    journal.record("<b@x>", ["ap@b.example"], NOW, KEY, UNSENT)
    journal.record("<c@x>", ["ap@c.example"], NOW, KEY, SENDING)
    journal.record("<d@x>", ["ap@d.example"], NOW, KEY, SENDING)
    journal.compact({"<a@x>", "<d@x>"})  # History has "sent" rows for a and d (d: logged by the clerk)
    assert [(e.message_id, e.state) for e in journal.entries()] == [("<c@x>", SENDING)]
    assert [e.message_id for e in journal.uncertain()] == ["<c@x>"]
    journal.record("<c@x>", ["ap@c.example"], NOW, KEY, CONFIRMED)
    journal.compact(set())
    assert [(e.message_id, e.state) for e in journal.entries()] == [("<c@x>", CONFIRMED)]
