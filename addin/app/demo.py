"""`arcollect demo`: the clerk's whole day on a demo workbook, with no network.

run (age, flag, decide, draft) → approve → log a promise and a dispute → send
→ run again. The send goes to a mail catcher on this machine's loopback
address that files every message it accepts in ``DIR/delivered/``, so the
clerk can read exactly what would have gone out; the customers who promised
or disputed after their reminder was drafted are withdrawn, not sent.
"""
from __future__ import annotations

import socket
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Iterator

from .. import app
from ..workbook.template import build_workbook
from .demo_data import demo_rows


def write_demo_book(folder: Path, as_of: date) -> Path:
    """The template workbook with demo receivables dated around ``as_of``; the as-of date is not pinned."""
    receivables, customers, history, plans = demo_rows(as_of)
    return build_workbook(Path(folder) / "collections-demo.xlsx", receivables, customers, history, plans,
                          {"User": "demo clerk"})


class _Catcher:
    """aiosmtpd handler: every accepted message is written to the delivered folder as an .eml file."""

    def __init__(self, folder: Path):
        self.folder, self.count = folder, 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        (self.folder / f"{self.count:04d}.eml").write_bytes(envelope.content)
        return "250 Message accepted for delivery"


@contextmanager
def mail_catcher(folder: Path) -> Iterator[dict]:
    """An SMTP server on 127.0.0.1 for the demo's send; yields the environment that points arcollect at it."""
    from aiosmtpd.controller import Controller

    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(_Catcher(folder), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield {"ARCOLLECT_SMTP_HOST": "127.0.0.1", "ARCOLLECT_SMTP_PORT": str(port), "ARCOLLECT_SMTP_TLS": "none"}
    finally:
        controller.stop()


def run_demo(folder: Path, today: date, say=print) -> int:
    """Build the demo book and walk the clerk's day on it; every step prints what it did."""
    folder = Path(folder)
    now = datetime.combine(today, time(9, 30), timezone.utc)
    book = write_demo_book(folder, today)
    say(f"1. Demo workbook written: {book}\n")
    result = app.run(book, today=today, now=now, environ={})
    a = result.assessment
    say("2. `arcollect run`: aged, flagged, decided and drafted\n")
    say(app.summary_text(a))
    d = result.drafts
    say(f"\n   Drafted {len(d.entries)} documents for {len(d.documents)} customers in "
        f"{app.outbox_folder(book, a.book.settings)} ({', '.join(sorted({p.suffix for p in d.files}))} files)")
    say(f"   {len(a.problems)} problems are listed on the Errors sheet, each naming its cell, e.g.:")
    for p in a.problems[:3]:
        say(f"     {p}")
    emailed = [e for e in d.entries if e.channel == "email"]
    say(f"\n3. The clerk reviews the Actions sheet and approves the {len(emailed)} email drafts.")
    firsts = list({e.customer_id: e for e in reversed(emailed)}.values())[::-1]  # one draft per customer
    promised, disputed = firsts[0], firsts[1]
    later = now + timedelta(hours=2)
    p = app.log_contact(book, promised.customer_id, "promise", now=later, when=today + timedelta(days=7),
                        amount=promised.amount_due, currency=promised.currency, reason="will pay on Friday").entry
    app.log_contact(book, disputed.customer_id, "dispute", now=later, reason="goods returned, credit note expected")
    say(f"\n4. Calls before sending: {p.customer} promises {p.promise_amount:,} {p.currency} by {p.promise_date}; "
        f"{disputed.customer} disputes the invoice (`arcollect log`).")
    with mail_catcher(folder / "delivered") as environ:
        sent = app.send(book, approve_all=True, now=later + timedelta(minutes=5), today=today, environ=environ)
    say(f"\n5. `arcollect send --approve-all`: sent {len(sent.report.sent) if sent.report else 0} to the demo mail "
        f"catcher (the messages are in {folder / 'delivered'}); withdrawn, not sent:")
    for w in sent.withdrawn:
        say(f"     {w.customer} ({w.currency}, level {w.level}): {w.reason}")
    again = app.run(book, today=today, now=later + timedelta(minutes=10), environ={})
    held = again.assessment.decisions
    held = held.loc[held["customer_key"].isin({promised.customer_id, disputed.customer_id})]
    say(f"\n6. `arcollect run` again: {len(again.drafts.entries)} new drafts (nothing is drafted twice), "
        f"and the two are on hold:")
    for r in held.itertuples():
        say(f"     {r.customer}: {r.action}: {r.reason}")
    say(f"\nOpen {book.name} in Excel or LibreOffice: Summary (with chart), Actions, Aging, Errors, History "
        f"(every draft, send, withdrawal and call), Plan Schedule.")
    return 0
