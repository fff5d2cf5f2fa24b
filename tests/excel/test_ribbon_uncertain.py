"""A send stopped while the mail server was taking a message, resolved from the ribbon: sent once, recorded once.

Real components: the ribbon's use cases on the book open in Excel (the
recording fake of xlwings' Book), aiosmtpd on loopback. The server takes a
message and drops the connection before its 250 reaches arcollect: the
message is uncertain. The clerk checks the Sent folder (here: the server's
record), clicks Resend uncertain or Mark uncertain as sent, and answers the
question each message gets (``book.app.answers``).
"""
from __future__ import annotations

from collections import Counter

import pytest

from tests.mail.conftest import smtp_env, smtp_server  # noqa: F401 - the real server's fixtures
from tests.workbook.test_port_contract import NOW

from . import test_ribbon
from .test_ribbon import book, said  # noqa: F401 - the demo book open in Excel


def click(book, control, *answers):
    """Click ``control``; ``answers``: what the clerk clicks in each question it asks, in turn."""
    book.app.answers[:] = answers
    done = test_ribbon.click(book, control)
    assert book.app.answers == []          # every answer was asked for
    return done


def history(book) -> list[dict]:
    header, *rows = book.sheets["History"].grid()
    return [dict(zip(header, r)) for r in rows]


def sent_rows(book, mid=None) -> list[dict]:
    """The "sent" rows of messages arcollect sent (the demo's own History has one without a Message-ID)."""
    return [r for r in history(book) if r["Action"] == "sent" and r["Message ID"] and mid in (None, r["Message ID"])]


def approve(book, n):
    """Tick Approve on the first ``n`` rows of Actions, as the clerk does."""
    actions = book.sheets["Actions"]
    column = actions.grid()[0].index("Approve") + 1
    for row in range(2, n + 2):
        actions.put(row, column, "yes")


def customer_of(book, mid) -> str:
    return next(r["Customer"] for r in history(book) if r["Message ID"] == mid)


@pytest.fixture
def interrupted(book, smtp_env):
    """Three approved drafts; the server takes the second and drops the connection: (its id, its customer)."""
    click(book, "arDraft")
    approve(book, 3)
    smtp_env.take_then_drop_on = {2}
    click(book, "arSend")
    text = said(book)
    assert text.startswith("Sent 1, failed 0, withdrawn 0;") and "The batch stopped early" in text
    assert len(smtp_env.messages) == 2 and len(sent_rows(book)) == 1
    mid = smtp_env.ids()[1]
    customer = customer_of(book, mid)
    assert f"Uncertain, not sent again: {customer}: the level " in text
    assert "then click Resend uncertain to send it again, or Mark uncertain as sent to record it as sent" in text
    assert "arcollect send" not in text    # the clerk is in Excel: no command line to run
    return mid, customer


def test_send_approved_holds_it_and_says_which_buttons_resolve_it(book, smtp_env, interrupted):
    mid, customer = interrupted
    click(book, "arSend")                  # the third goes; the uncertain one is held
    assert said(book).startswith("Sent 1, failed 0")
    assert f"Uncertain, not sent again: {customer}: " in said(book) and "Resend uncertain" in said(book)
    assert len(smtp_env.messages) == 3 and Counter(smtp_env.ids())[mid] == 1
    assert sent_rows(book, mid) == [] and book.app.asked == []


def test_resend_uncertain_asks_naming_the_message_then_sends_it_once(book, smtp_env, interrupted):
    mid, customer = interrupted
    smtp_env.messages.clear()              # the clerk finds it is not in the Sent folder (a server that lost it)
    click(book, "arResendUncertain", "yes")
    ((title, question, buttons),) = book.app.asked
    assert title == "arcollect" and buttons == "yes_no"
    assert question.startswith("Send it again?\n\n")
    assert f"{customer}: the level " in question and f"begun {NOW:%Y-%m-%d %H:%M} UTC ({mid})" in question
    assert "the customer gets it twice" in question and "Yes: send it again. No: leave it uncertain." in question
    assert "Nothing else is sent." in question
    assert said(book).startswith(f"Sent again: {customer}: ")
    assert "Sent 1, failed 0, withdrawn 0" in said(book) and "Uncertain" not in said(book)
    assert smtp_env.ids() == [mid]         # it alone: the third approved draft waits for Send approved
    assert len(sent_rows(book, mid)) == 1 and len(sent_rows(book)) == 2
    assert not sent_rows(book, mid)[0]["Outcome"].startswith("confirmed")

    book.app.asked.clear()
    click(book, "arResendUncertain")       # nothing is uncertain any more: nothing asked, nothing sent
    assert said(book).startswith("Nothing is uncertain") and book.app.asked == []
    click(book, "arSend")
    assert len(smtp_env.ids()) == 2 and len(sent_rows(book)) == 3 and "Uncertain" not in said(book)


def test_mark_uncertain_as_sent_records_it_once_and_never_sends_it(book, smtp_env, interrupted):
    mid, customer = interrupted
    assert mid in smtp_env.ids()           # the clerk finds it in the Sent folder
    click(book, "arMarkUncertainSent", "yes")
    ((_, question, _),) = book.app.asked
    assert question.startswith("Record it as sent?\n\n") and mid in question
    assert "Yes: record it as sent. No: leave it uncertain." in question
    assert said(book).startswith(f"Recorded as sent on your word, not sent again: {customer}: ")
    assert "Sent " not in said(book) and len(smtp_env.ids()) == 2   # nothing sent: the third draft waits
    (row,) = sent_rows(book, mid)
    assert row["Customer"] == customer
    assert row["Outcome"].startswith("confirmed as sent by the clerk after an interrupted send")
    assert len(sent_rows(book)) == 2

    click(book, "arMarkUncertainSent")     # resolved: nothing asked, nothing recorded twice
    assert said(book).startswith("Nothing is uncertain")
    click(book, "arSend")                  # the third goes now, the marked one never
    assert "Uncertain" not in said(book) and len(smtp_env.ids()) == 3 and len(sent_rows(book, mid)) == 1
    assert Counter(smtp_env.ids()) == Counter(set(smtp_env.ids()))


def test_no_leaves_it_uncertain_and_changes_nothing(book, smtp_env, interrupted):
    mid, _ = interrupted
    before = book.sheets["History"].grid()
    click(book, "arMarkUncertainSent", "no")
    assert said(book) == f"Nothing was sent or recorded; still uncertain:\n{book.app.asked[0][1].split(chr(10))[2]}"
    assert mid in said(book)
    assert book.sheets["History"].grid() == before and len(smtp_env.messages) == 2


def test_each_of_several_is_asked_about_and_cancel_stops_everything(book, smtp_env, interrupted):
    first, first_customer = interrupted
    approve(book, 4)
    smtp_env.take_then_drop_on = {3}       # the next send's first message is taken and dropped too
    click(book, "arSend")
    second = smtp_env.ids()[2]
    assert {first, second} <= set(smtp_env.ids()) and len(smtp_env.ids()) == 3
    before = book.sheets["History"].grid()

    click(book, "arResendUncertain", "no", "cancel")
    assert said(book) == "Stopped: nothing was sent or recorded."
    assert book.sheets["History"].grid() == before and len(smtp_env.ids()) == 3
    (_, q1, b1), (_, q2, b2) = book.app.asked
    assert (b1, b2) == ("yes_no_cancel", "yes_no_cancel")
    assert q1.startswith("Send it again? (1 of 2)") and first in q1 and q2.startswith("Send it again? (2 of 2)")
    assert second in q2 and "Cancel: stop, nothing done." in q2

    click(book, "arMarkUncertainSent", "no", "yes")    # the second was found in Sent; the first is still open
    text = said(book)
    assert text.startswith(f"Recorded as sent on your word, not sent again: {customer_of(book, second)}: ")
    assert f"Uncertain, not sent again: {first_customer}: " in text and first in text
    assert len(sent_rows(book, second)) == 1 and sent_rows(book, first) == []
    assert Counter(smtp_env.ids())[first] == Counter(smtp_env.ids())[second] == 1
