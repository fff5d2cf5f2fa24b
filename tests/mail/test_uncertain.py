"""A message the server may have taken when send stopped: held, reported in words, resolved by the clerk.

Real components: the CLI on a real book, aiosmtpd on loopback. The server
takes a message and drops the connection before its 250 reaches arcollect
(the moment a kill -9 can also hit): arcollect cannot know it went, so it is
never sent again by default; the clerk looks in the mailbox (here, the
server's record) and says what happened.
"""
from __future__ import annotations

from collections import Counter

import pytest

from addin.cli import main
from addin.core.model import HISTORY_COLUMNS
from addin.mail.journal import SendJournal

from .test_collections_flow import ACTION, MESSAGE_ID, book, history  # noqa: F401 - the fixture

OUTCOME, CUSTOMER = (HISTORY_COLUMNS.index(h) for h in ("Outcome", "Customer"))


def sent_rows(book):
    return [r for r in history(book) if r[ACTION] == "sent"]


@pytest.fixture
def interrupted(book, smtp_env, capsys):
    """Three drafts; the server takes the second and drops the connection; the next send sends the third.

    Returns the uncertain message's id and the customer it went to.
    """
    assert main(["run", str(book), "--as-of", "2026-11-30"]) == 1
    smtp_env.take_then_drop_on = {2}
    assert main(["send", str(book), "--approve-all"]) == 1
    capsys.readouterr()
    assert len(smtp_env.messages) == 2 and len(sent_rows(book)) == 1
    mid = smtp_env.ids()[1]
    customer = next(r[CUSTOMER] for r in history(book) if r[MESSAGE_ID] == mid)
    assert [e.message_id for e in SendJournal.beside(book.parent / "book outbox").uncertain()] == [mid]
    return mid, customer


def test_the_next_send_holds_the_uncertain_message_and_names_customer_and_message(book, smtp_env, interrupted,
                                                                                   capsys):
    mid, customer = interrupted
    assert main(["send", str(book), "--approve-all"]) == 1  # the third goes; the uncertain one is held
    out = capsys.readouterr().out
    assert len(smtp_env.messages) == 3 and Counter(smtp_env.ids())[mid] == 1
    line = next(x for x in out.splitlines() if x.startswith("Uncertain, not sent again: "))
    assert f"{customer}: the level 2 reminder in GBP of " in line and "may already have gone" in line
    assert "send was stopped" in line and "while the mail server was taking it" in line
    assert "Check your Sent folder or the mail server's log for " + mid in line
    assert f"arcollect send book.xlsx --resend-uncertain '{mid}'" in line
    assert f"arcollect send book.xlsx --mark-uncertain-sent '{mid}'" in line
    assert mid not in {r[MESSAGE_ID] for r in sent_rows(book)}
    assert main(["send", str(book), "--approve-all"]) == 1  # and again: still held, still said
    assert len(smtp_env.messages) == 3 and "Uncertain, not sent again: " in capsys.readouterr().out


def test_mark_uncertain_sent_records_it_as_sent_by_the_clerk_without_sending(book, smtp_env, interrupted, capsys):
    mid, customer = interrupted
    # the clerk finds it in the Sent folder (here: the server has it)
    assert mid in smtp_env.ids()
    assert main(["send", str(book), "--approve-all", "--mark-uncertain-sent", mid.strip("<>")]) == 0
    assert f"Recorded as sent on your word, not sent again: {mid}" in capsys.readouterr().out
    assert len(smtp_env.messages) == 3 and Counter(smtp_env.ids()) == Counter(set(smtp_env.ids()))
    rows = [r for r in sent_rows(book) if r[MESSAGE_ID] == mid]
    assert len(rows) == 1 and rows[0][CUSTOMER] == customer
    assert rows[0][OUTCOME].startswith("confirmed as sent by the clerk after an interrupted send")
    assert len(sent_rows(book)) == 3
    assert main(["send", str(book), "--approve-all"]) == 0  # resolved: nothing held, nothing sent
    assert "Uncertain" not in capsys.readouterr().out and len(smtp_env.messages) == 3
    journal = SendJournal.beside(book.parent / "book outbox")    # History has it all: the journal is compacted
    assert journal.entries() == [] and journal.path.exists()


def test_resend_uncertain_sends_it_once_more_and_only_once(book, smtp_env, interrupted, capsys):
    mid, _ = interrupted
    smtp_env.messages.clear()  # the clerk finds it is not in the mailbox (a server that lost it)
    assert main(["send", str(book), "--approve-all", "--resend-uncertain", mid]) == 0
    assert len(smtp_env.ids()) == 2 and smtp_env.ids().count(mid) == 1  # it, and the third draft
    assert [r[MESSAGE_ID] for r in sent_rows(book)].count(mid) == 1 and len(sent_rows(book)) == 3
    assert main(["send", str(book), "--approve-all", "--resend-uncertain"]) == 0  # nothing uncertain is left
    assert len(smtp_env.ids()) == 2


def test_the_choices_name_only_uncertain_messages_and_one_choice_each(book, smtp_env, interrupted, capsys):
    mid, _ = interrupted
    assert main(["send", str(book), "--mark-uncertain-sent", "<nope@x.example>"]) == 2
    assert "not a message held as uncertain (the uncertain ones are " + mid in capsys.readouterr().err
    assert main(["send", str(book), "--resend-uncertain", "--mark-uncertain-sent", mid]) == 2
    assert "either send it again or record it as sent, not both" in capsys.readouterr().err
    assert main(["send", "--resend-uncertain", str(book)]) == 2  # BOOK first, as the message says
    assert "put BOOK first" in capsys.readouterr().err
    assert len(smtp_env.messages) == 2 and len(sent_rows(book)) == 1  # nothing sent, nothing logged
