"""`arcollect …`: open the book, call one use case, print, exit 0/1/2.

Exit status: 0 clean, 1 input problems reported (good rows still done),
2 nothing could be done (unreadable book, book open in Excel, bad arguments).
Problems go to stderr as ``BOOK:Sheet!A1: message``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import traceback
from datetime import date, datetime, timezone
from pathlib import Path

from . import __version__
from . import app as actions
from .app.progress import TerminalWatcher, reporting
from .core.money import format_amount, to_minor

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-30") from None


def _notes(a) -> None:
    """What the clerk should know that is not an input error: the columns as understood when they were
    recognised rather than matched exactly, a missing Settings sheet, a sheet name already taken."""
    for note in a.notes:
        print(f"\n{note}" if note.startswith("Receivables read from") else f"Note: {note}")


def _report(book: Path, problems) -> int:
    for p in problems:
        print(f"{book.name}:{p}", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_age(args) -> int:
    a = actions.assess(args.book, args.as_of, today=date.today())
    if args.json:
        json.dump(actions.age_report(a), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(actions.summary_text(a))
        _notes(a)
    return _report(args.book, a.problems)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def cmd_run(args) -> int:
    result = actions.run(args.book, args.as_of, today=date.today(), now=_now(), drafts=not args.no_drafts)
    print(actions.summary_text(result.assessment))
    _notes(result.assessment)
    d = result.drafts
    if d is not None:
        print(f"\nDrafted {len(d.entries)} document(s) for {len(d.documents)} customer(s)"
              + (f" ({d.skipped} already drafted)" if d.skipped else "")
              + (f" in {actions.outbox_folder(args.book, result.assessment.book.settings)}" if d.entries else ""))
    print(f"Wrote {', '.join(result.written)} in {args.book.name}")
    status = _report(args.book, result.assessment.problems)
    if result.sent is not None:
        print("\nMode is 'send': sending the approved drafts")
        status = max(status, _print_send(args.book, result.sent))
    return status


def _print_send(book: Path, result) -> int:
    r = result.report
    if result.recovered:
        print(f"Recorded {result.recovered} message(s) an interrupted send had already delivered.")
    if result.confirmed:
        print(f"Recorded as sent on your word, not sent again: {', '.join(result.confirmed)}.")
    for w in result.withdrawn:
        print(f"Withdrawn, not sent: {w.customer} ({w.currency}, level {w.level}): {w.reason}")
    for h in result.held:
        print(f"Held, not sent now: {h.customer} ({h.currency}, level {h.level}): {h.reason}")
    if r is None:
        print(f"Nothing sent: {len(result.held)} held; " if result.held else "Nothing to send: ", end="")
        print(f"{result.not_approved} draft(s) waiting for approval (tick Approve on the Actions sheet, or on "
              "Close Emails for a close's statements and thank-you notes; or use --approve-all).")
    else:
        print(f"Sent {len(r.sent)}, failed {len(r.failed)}, already sent {len(r.skipped_duplicates)}, "
              f"still pending {len(r.pending)}, withdrawn {len(result.withdrawn)}, held {len(result.held)}; "
              f"{result.not_approved} waiting for approval.")
        for mid, reason in r.failed:
            print(f"  failed {mid}: {reason}")
        if r.error:
            print(f"The batch stopped early: {r.error}. Run `arcollect send` again for the rest.")
    for u in result.uncertain:
        mid = u.message_id
        print(f"Uncertain, not sent again: {u.reason}, then run `arcollect send {book.name} --resend-uncertain "
              f"'{mid}'` to send it again, or `arcollect send {book.name} --mark-uncertain-sent '{mid}'` to record "
              f"it as sent.")
    failed = r is not None and (r.failed or r.error) or result.uncertain
    return max(_report(book, result.problems), EXIT_PROBLEMS if failed else EXIT_OK)


def cmd_send(args) -> int:
    return _print_send(args.book, actions.send(args.book, approve_all=args.approve_all, now=_now(),
                                               today=date.today(), resend_uncertain=args.resend_uncertain or (),
                                               mark_uncertain_sent=args.mark_uncertain_sent or ()))


def _message_id(text: str) -> str:
    if "@" not in text and text != actions.ALL_UNCERTAIN:
        raise argparse.ArgumentTypeError(f"'{text}' is not a Message-ID like <C001.GBP.L2@example.com> "
                                         f"(put BOOK first: arcollect send BOOK --resend-uncertain)")
    return text


def cmd_log(args) -> int:
    logged = actions.log_contact(args.book, args.customer, args.outcome, now=_now(), when=args.date,
                            amount=args.amount, currency=args.currency or "", reason=args.reason or "",
                            channel=args.channel, again=args.again)
    e = logged.entry
    amount = e.promise_amount or e.amount_due
    money = f" {format_amount(to_minor(amount, e.currency), e.currency)}" if amount else ""
    what = f"{e.action}{money} for {e.customer} ({e.outcome or 'no details'})"
    if logged.already:
        print(f"Already logged today: {what}, row {logged.already} of History in {args.book.name}; nothing added. "
              "If this is another contact, log it with --again.")
    else:
        print(f"Logged {what} in {args.book.name}")
    return EXIT_OK


def cmd_plan(args) -> int:
    from .app.plans import add_plan

    p = add_plan(args.book, args.customer, today=date.today(), now=_now(), installments=args.installments,
                 currency=args.currency or "")
    print(f"Added a plan for {p.customer}: {p.principal} {p.currency} in {p.installments} monthly installments "
          f"from {p.first_due.isoformat()} (Plans row {p.sheet_row} of {args.book.name})")
    return EXIT_OK


def cmd_demo(args) -> int:
    from .app.demo import run_demo

    return run_demo(Path(args.dir), date.today(), print)


def cmd_init(args) -> int:
    from .app.init import init_book

    result = init_book(args.book, from_csv=args.from_csv)
    if result.added:
        print(f"Added {', '.join(result.added)} to {args.book.name}")
    if result.kept:
        print(f"Already there, left as they are: {', '.join(result.kept)}")
    for note in result.notes:
        print(note)
    return EXIT_OK


def cmd_columns(args) -> int:
    from .app.columns import describe_columns

    report = describe_columns(args.book)
    print("\n".join(report.lines))
    return _report(args.book, report.problems)


def cmd_close(args) -> int:
    from .app.close import CloseOptions, close
    from .app.close_report import close_report, close_text

    options = CloseOptions(sales=args.sales, loss_rates=args.loss_rates, period_start=args.period_start,
                           reopen=args.reopen, statements=args.statements, email_statements=args.email_statements,
                           thank_you=not args.no_thank_you)
    result = close(args.book, args.as_of, options, today=date.today(), now=_now())
    if args.json:
        json.dump(close_report(result), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(close_text(result))
        for note in result.notes:
            print(f"Note: {note}")
        print(f"\nWrote {', '.join(result.written)} in {args.book.name}; the run log is {result.log}")
    return _report(args.book, result.problems)


def cmd_templates_export(args) -> int:
    from .app.templates import export_templates

    result = export_templates(args.dir, force=args.force)
    if result.refused:
        for path in result.edited:
            print(f"arcollect: {path} differs from the shipped template (edited?)", file=sys.stderr)
        print("arcollect: nothing written; use --force to overwrite those files", file=sys.stderr)
        return EXIT_FAILED
    for path in result.written:
        print(f"wrote {path}" + (" (overwrote an edited copy)" if path in result.edited else ""))
    print(f"{len(result.written)} written, {len(result.unchanged)} already up to date in {result.folder}. "
          f"To use them, set 'Templates folder' in the workbook's Settings to {result.folder.resolve()}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="arcollect", description="Accounts-receivable collections "
                                "in the workbook where the receivables live.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true",
                        help="no progress on stderr (it is shown only on a terminal anyway)")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name, **kw):
        return sub.add_parser(name, parents=[common], **kw)

    def book_command(name, func, help_text):
        c = command(name, help=help_text, description=help_text)
        c.add_argument("book", type=Path, help="the collections workbook (.xlsx or .xlsm)")
        c.add_argument("--as-of", type=_date, help="aging date (default: Settings, else today)")
        c.set_defaults(func=func)
        return c

    book_command("age", cmd_age, "age every open item and print the buckets").add_argument(
        "--json", action="store_true", help="print invoices, customers, totals and errors as JSON")
    book_command("run", cmd_run, "refresh the workbook (flags, Aging, Actions, Summary, Errors, Plans) "
                 "and draft the reminders").add_argument(
        "--no-drafts", action="store_true", help="refresh the sheets only; draft nothing")
    cl = book_command("close", cmd_close, "month-end close: frozen aging snapshot, roll-forward, migration, "
                      "KPIs and provision, written into the book")
    cl.add_argument("--json", action="store_true", help="print the pack's figures as JSON")
    cl.add_argument("--sales", help="the period's credit sales in the home currency (default: Settings, else the "
                                    "invoices dated in the period)")
    cl.add_argument("--loss-rates", help="expected loss in percent per bucket, Current first, e.g. 0.3,1.6,3.6,6.6,10.6")
    cl.add_argument("--period-start", type=_date, help="first day of the period (default: the 1st of the as-of month)")
    cl.add_argument("--reopen", action="store_true", help="close again a period earlier than the last close")
    cl.add_argument("--statements", action="store_true", help="write a statement of account (PDF) per customer "
                                                              "with a balance")
    cl.add_argument("--email-statements", action="store_true",
                    help="also draft each statement as an email to the customer, its PDF attached, for approval "
                         "and `arcollect send` (implies --statements)")
    cl.add_argument("--no-thank-you", action="store_true", help="draft no thank-you notes for customers who settled")
    snd = command("send", help="send the approved drafts over SMTP, exactly once",
                         description="Send the drafts whose Actions row is approved; log each to History.")
    snd.add_argument("book", type=Path)
    snd.add_argument("--approve-all", action="store_true", help="approve every pending draft (batch use)")
    for flag, what in (("--resend-uncertain", "send again, having found it did not arrive"),
                       ("--mark-uncertain-sent", "record as sent without sending, having found it arrived")):
        snd.add_argument(flag, nargs="?", const=actions.ALL_UNCERTAIN, action="append", type=_message_id,
                         metavar="MESSAGE-ID",
                         help=f"a message held as uncertain (its send was stopped while the server was taking "
                              f"it): {what}; without MESSAGE-ID every uncertain one; may be repeated")
    snd.set_defaults(func=cmd_send)
    lg = command("log", help="record a call or any contact in History",
                        description="Append one contact or event to the History sheet.")
    lg.add_argument("book", type=Path)
    lg.add_argument("--customer", required=True, help="customer id or name")
    lg.add_argument("--outcome", required=True, choices=list(actions.OUTCOMES))
    lg.add_argument("--date", type=_date, help="promise date (promise)")
    lg.add_argument("--amount", help="amount promised (promise) or received (paid), as the book's locale writes it")
    lg.add_argument("--currency", help="currency of the amount, when the customer owes in several")
    lg.add_argument("--reason", help="dispute reason or a note")
    lg.add_argument("--channel", default="phone", choices=["phone", "email", "letter", "sms", "visit"])
    lg.add_argument("--again", action="store_true",
                    help="log it even if the same contact is already logged today (another call that rang out)")
    lg.set_defaults(func=cmd_log)
    pl = command("plan", help="add a payment plan of a customer's open balance to Plans",
                        description="Append a plan for the customer's open balance (equal monthly installments "
                                    "from a month after today, no interest) to Plans, and log it to History.")
    pl.add_argument("book", type=Path)
    pl.add_argument("--customer", required=True, help="customer id or name")
    pl.add_argument("--installments", type=int, default=3, help="number of monthly installments (default 3)")
    pl.add_argument("--currency", help="the plan's currency, when the customer owes in several")
    pl.set_defaults(func=cmd_plan)
    d = command("demo", help="write a demo workbook and run the whole flow on it (no network)")
    d.add_argument("dir", nargs="?", default="arcollect-demo", help="folder to write to")
    d.set_defaults(func=cmd_demo)
    ini = command("init", help="add the Settings, Policy, Customers, History and Plans sheets to a workbook",
                         description="Set a workbook up for collections: the sheets arcollect reads, with "
                                     "defaults and the customers found; nothing already there changes.")
    ini.add_argument("book", type=Path, help="the workbook to set up (made from --from when given)")
    ini.add_argument("--from", dest="from_csv", type=Path, help="a CSV export to make BOOK from")
    ini.set_defaults(func=cmd_init)
    cols = command("columns", help="show which column of the receivables is which, and why",
                          description="For each field: the column and header read, the reason (exact, synonym, "
                                      "token, content or setting) and the other columns considered.")
    cols.add_argument("book", type=Path, help="the workbook or CSV export")
    cols.set_defaults(func=cmd_columns)
    tp = command("templates", help="the email and letter templates")
    ex = tp.add_subparsers(dest="templates_command", required=True).add_parser(
        "export", parents=[common], help="copy the templates (and the empty workbook) to a folder, to edit them",
        description="Copy the shipped templates and the empty collections workbook to DIR; "
                    "point Settings' 'Templates folder' at DIR to use the edited templates.")
    ex.add_argument("dir", type=Path, help="folder to write to")
    ex.add_argument("--force", action="store_true", help="overwrite files there that were edited")
    ex.set_defaults(func=cmd_templates_export)
    from .excel.commands import register as register_addin

    register_addin(sub)
    return p


def main(argv=None) -> int:
    from .mail.smtp import SmtpConfigError
    from .workbook.package import BookLocked, BookUnreadable

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_FAILED if exc.code else EXIT_OK
    watcher = None if getattr(args, "quiet", False) or not sys.stderr.isatty() else TerminalWatcher(sys.stderr)
    try:
        with reporting(watcher):
            return args.func(args)
    except (BookLocked, BookUnreadable) as exc:
        print(f"arcollect: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (actions.UsageError, SmtpConfigError) as exc:  # unknown customer, missing SMTP host...
        print(f"arcollect: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except FileNotFoundError as exc:
        print(f"arcollect: {exc.filename or exc}: no such file", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("arcollect: stopped; the workbook was not changed by the unfinished step", file=sys.stderr)
        return EXIT_FAILED
    except Exception:  # a bug or an I/O failure: one line for the clerk, the detail in a log file
        log = crash_log(traceback.format_exc())
        print(f"arcollect: something went wrong that arcollect did not expect; the workbook was not changed "
              f"by the unfinished step. The details are in {log}: please send that file to your support.",
              file=sys.stderr)
        return EXIT_FAILED


def crash_log_folder() -> Path:
    """Where the tracebacks of unexpected failures go: the user's temp folder (the ribbon's Help names it)."""
    return Path(tempfile.gettempdir()) / "arcollect-logs"


def crash_log(detail: str) -> Path:
    """Write the traceback to a log file in the user's temp folder and return its path."""
    folder = crash_log_folder()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"arcollect-{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{os.getpid()}.log"
    path.write_text(f"arcollect {__version__}\nargv: {sys.argv!r}\n\n{detail}", encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.exit(main())
