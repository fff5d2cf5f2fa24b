"""The Collections ribbon's Python side: each button a few lines over its own use case in ``addin.app``.

``Collections.OnAction`` (source/Collections.bas) runs ``on_button(id, ...)``
through xlwings' RunPython. The use case works on the book open in Excel
(workbook/live.py); the status bar says what it is doing, a message box says
what was done and how many problems there are (the Errors sheet selected when
there are any), and a Python error never reaches the clerk as a traceback: one
message naming the log file that holds the detail.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from datetime import date, datetime, timezone

from .. import __version__
from .. import app as actions
from ..app.draft import outbox_folder
from ..app.errors import UsageError
from ..app.progress import StatusLine, reporting
from ..core.dunning import CONTACT, HANDED_OVER, HOLD, REVIEW, action_counts
from ..core.model import quote
from ..core.parse import parse_date
from ..mail.smtp import SmtpConfigError
from ..workbook.live import LivePackage, LiveWorkbook
from ..workbook.package import BookLocked, BookUnreadable

TITLE = "arcollect"


@dataclass(frozen=True)
class Done:
    message: str
    problems: int = 0


def _problems(n: int) -> str:
    return f"\n\n{n} input problem(s), each naming its cell: see the Errors sheet." if n else ""


def refresh_aging(port, *, today, now, drafts=False, **_) -> Done:
    r = actions.refresh(port, today=today, now=now, drafts=drafts)
    a = r.assessment
    counts = action_counts(a.decisions)
    text = (f"Aged {len(a.aged)} open items as of {a.as_of.isoformat()}. To contact: {counts[CONTACT]}, "
            f"to review: {counts[REVIEW]}, on hold: {counts[HOLD]}, handed over: {counts[HANDED_OVER]}.")
    if r.drafts is not None:
        d = r.drafts
        text += (f"\n\nDrafted {len(d.entries)} document(s) for {len(d.documents)} customer(s)"
                 + (f" ({d.skipped} already drafted)" if d.skipped else "")
                 + f" in {outbox_folder(port.path, a.book.settings)}.")
    return Done(text + _problems(len(a.problems)), len(a.problems))


def draft_reminders(port, *, today, now, **_) -> Done:
    return refresh_aging(port, today=today, now=now, drafts=True)


def send_approved(port, *, today, now, **_) -> Done:
    r = actions.send(port, now=now, today=today)
    return Done(_sent_text(r, f"Nothing to send: {r.not_approved} draft(s) wait for Approve on the Actions "
                              f"sheet (a close's statements and thank-you notes: on Close Emails).")
                + _problems(len(r.problems)), len(r.problems))


def _sent_text(r, nothing: str) -> str:
    """What a send did, in the clerk's words; ``nothing`` when no draft was sent."""
    lines = [f"Recorded {r.recovered} message(s) an interrupted send had already delivered."] if r.recovered else []
    if r.report is None:
        lines += [nothing] if nothing else []
    else:
        lines.append(f"Sent {len(r.report.sent)}, failed {len(r.report.failed)}, withdrawn {len(r.withdrawn)}; "
                     f"{r.not_approved} waiting for approval.")
        if r.report.error:
            lines.append(f"The batch stopped early: {r.report.error}. Click Send approved again for the rest.")
    lines += [f"Withdrawn: {w.customer} ({w.currency}, level {w.level}): {w.reason}" for w in r.withdrawn]
    lines += [f"Held, not sent now: {h.customer} ({h.currency}, level {h.level}): {h.reason}" for h in r.held]
    lines += [f"Uncertain, not sent again: {u.reason}, then click Resend uncertain to send it again, or Mark "
              f"uncertain as sent to record it as sent." for u in r.uncertain]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Resolution:
    """What Resend uncertain or Mark uncertain as sent asks, and the send option it answers with."""

    question: str
    warning: str
    yes: str
    option: str       # send()'s keyword for the chosen Message-IDs
    done: str         # how the message box names the ones resolved

    def resolved(self, r) -> set[str]:
        if self.option == "mark_uncertain_sent":
            return set(r.confirmed)
        return {mid for mid, _ in r.report.sent} if r.report else set()


RESEND = _Resolution("Send it again?", "Send it again only if it is not in your Sent folder (nor in the mail "
                     "server's log): if it did arrive, the customer gets it twice.", "send it again",
                     "resend_uncertain", "Sent again")
MARK = _Resolution("Record it as sent?", "Record it only if it is in your Sent folder (or the mail server's log): "
                   "History then says it was sent, on your word, and it is not sent again.", "record it as sent",
                   "mark_uncertain_sent", "Recorded as sent on your word, not sent again")


def _resolve_uncertain(port, today, now, ask, how: _Resolution) -> Done:
    """Ask about each uncertain message (Yes, No, Cancel when several), then send with the chosen ones ``how``."""
    held = actions.uncertain_messages(port)
    if not held:
        return Done("Nothing is uncertain: the mail server answered for every message a send began. Nothing was "
                    "sent or recorded.")
    chosen = []
    for k, u in enumerate(held, 1):
        several = len(held) > 1
        answer = ask(how.question + (f" ({k} of {len(held)})" if several else "") + f"\n\n{_described(u)}\n\n"
                     f"{how.warning} Nothing else is sent.\n\n"
                     f"Yes: {how.yes}. No: leave it uncertain." + (" Cancel: stop, nothing done." if several else ""),
                     "yes_no_cancel" if several else "yes_no")
        if answer == "cancel":
            return Done("Stopped: nothing was sent or recorded.")
        if answer == "yes":
            chosen.append(u.message_id)
    if not chosen:
        return Done("Nothing was sent or recorded; still uncertain:\n" + "\n".join(map(_described, held)))
    r = actions.send(port, now=now, today=today, only_uncertain=True, **{how.option: chosen})
    resolved = how.resolved(r)
    lines = [f"{how.done}: {_described(u)}." for u in held if u.message_id in resolved]
    text = "\n".join(lines + [_sent_text(r, "")]).strip()
    return Done(text + _problems(len(r.problems)), len(r.problems))


def _described(u) -> str:
    """One uncertain message for the clerk: customer, message, when, Message-ID."""
    return f"{u.customer}: {u.what}, begun {u.since:%Y-%m-%d %H:%M} UTC ({u.message_id})"


def resend_uncertain(port, *, today, now, ask, **_) -> Done:
    return _resolve_uncertain(port, today, now, ask, RESEND)


def mark_uncertain_sent(port, *, today, now, ask, **_) -> Done:
    return _resolve_uncertain(port, today, now, ask, MARK)


def log(port, *, today, now, customer="", outcome="", when="", amount="", note="", **_) -> Done:
    if not customer.strip():
        raise UsageError("say which customer: type their id or name in Customer")
    try:
        day = parse_date(when) if when.strip() else None
    except ValueError:
        raise UsageError(f"date {quote(when)} is not a date like {today.isoformat()} or {today:%d.%m.%Y}") from None
    logged = actions.log_contact(port, customer, outcome, now=now, when=day, amount=amount.strip() or None,
                                 reason=note.strip())
    e = logged.entry
    if logged.already:
        return Done(f"Already logged today: {e.action} for {e.customer} ({e.outcome or 'no details'}), row "
                    f"{logged.already} of History; nothing added.")
    return Done(f"Logged {e.action} for {e.customer} ({e.outcome or 'no details'}) in History.")


def payment_plan(port, *, today, now, customer="", **_) -> Done:
    from ..app.plans import add_plan

    customer = customer or selected_customer(port.book)
    p = add_plan(port, customer, today=today, now=now)
    return Done(f"Added a plan for {p.customer}: {p.principal} {p.currency} in {p.installments} monthly "
                f"installments from {p.first_due.isoformat()} (Plans row {p.sheet_row}). Edit the row to change "
                f"it; Refresh aging schedules it.")


def month_end_close(port, *, today, now, **_) -> Done:
    from ..app.close import close

    r = close(port, today=today, now=now)
    return Done(f"Closed the period as of {r.as_of.isoformat()}: wrote {', '.join(r.written)}."
                + _problems(len(r.problems)), len(r.problems))


def set_up(port, *, today, now, **_) -> Done:
    from ..app.init import init_book

    r = init_book(port)
    text = (f"Added {', '.join(r.added)}." if r.added else "Nothing to add.") + (
        f" Already there, left as they are: {', '.join(r.kept)}." if r.kept else "")
    return Done("\n".join([text, *r.notes]))


def help_text(port, **_) -> Done:
    from ..cli import crash_log_folder

    return Done("Refresh aging: flags, Aging, Actions, Summary, Errors. Draft reminders: the same, then the "
                "drafts in the outbox beside the workbook. Send approved: the drafts ticked on Actions. Resend "
                "uncertain, Mark uncertain as sent: a message a stopped send may have delivered, once you have "
                "checked your Sent folder. Log contact: a call, promise, dispute or payment. Payment plan: for the "
                "customer of the selected row. Set up this workbook: the Settings, Policy, Customers, History and "
                "Plans sheets.\n\n"
                f"The whole manual is arcollect's README. Error details are logged in {crash_log_folder()}.")


BUTTONS = {"arRefresh": refresh_aging, "arDraft": draft_reminders, "arSend": send_approved,
           "arResendUncertain": resend_uncertain, "arMarkUncertainSent": mark_uncertain_sent, "arLogContact": log,
           "arPlan": payment_plan, "arClose": month_end_close, "arInit": set_up, "arHelp": help_text}


def selected_customer(book) -> str:
    """The customer (id, else name) on the selected row, read under a Customer ID or Customer header."""
    sel = book.selection
    sheet, row = sel.sheet, sel.row
    header = sheet.range((1, 1), (1, 60)).options(ndim=2).value[0]
    names = {str(h).strip().lower(): i + 1 for i, h in enumerate(header) if h is not None}
    for wanted in ("customer id", "customer"):
        if wanted in names and row > 1:
            value = sheet.range((row, names[wanted])).value
            if value not in (None, ""):
                return str(value).strip()
    raise UsageError("select a row of a customer first (on Actions, Aging or Receivables), then click Payment plan")


def run_button(book, control_id: str, fields: dict, *, today: date, now: datetime) -> Done:
    """Run one button's use case on ``book`` and tell the clerk; never raises."""
    app = book.app
    port = LiveWorkbook(book, progress=lambda text: setattr(app, "status_bar", f"arcollect: {text}..."))

    def ask(prompt: str, buttons: str) -> str:   # a question to the clerk: "yes", "no" or "cancel"
        return app.alert(prompt, title=TITLE, buttons=buttons)

    try:
        if control_id not in BUTTONS:   # an add-in built by another version of arcollect than the one installed
            raise UsageError(f"this add-in's button {control_id!r} is unknown to arcollect {__version__}: run "
                             f"`arcollect addin install` again to install the add-in of this version")
        with reporting(StatusLine(port.progress)):
            done = BUTTONS[control_id](port, today=today, now=now, ask=ask, **fields)
    except (BookLocked, BookUnreadable, UsageError, SmtpConfigError) as exc:
        done = Done(str(exc))
    except Exception:   # a bug or an I/O failure: one message, the detail in a log file
        from ..cli import crash_log

        done = Done(f"Something went wrong that arcollect did not expect; the step did not finish. The details "
                    f"are in {crash_log(traceback.format_exc())}: please send that file to your support.")
    finally:
        app.status_bar = False   # Excel's own status bar again
    errors = LivePackage(book, port.progress).marks().sheet("Errors") if done.problems else None
    if errors:
        book.sheets[errors].activate()
    app.alert(done.message, title=TITLE)
    return done


def on_button(control_id: str, **fields) -> None:
    """What ``Collections.OnAction`` runs: the button's use case on the book that called."""
    import xlwings as xw

    run_button(xw.Book.caller(), control_id, fields, today=date.today(), now=datetime.now(timezone.utc))
