"""`arcollect …`: open the book, call one use case, print, exit 0/1/2.

Exit status: 0 clean, 1 input problems reported (good rows still done),
2 nothing could be done (unreadable book, book open in Excel, bad arguments).
Problems go to stderr as ``BOOK:Sheet!A1: message``.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from . import actions

EXIT_OK, EXIT_PROBLEMS, EXIT_FAILED = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-11-30") from None


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
    return _report(args.book, a.problems)


def cmd_run(args) -> int:
    result = actions.refresh(args.book, args.as_of, today=date.today())
    print(actions.summary_text(result.assessment))
    print(f"\nWrote {', '.join(result.written)} in {args.book.name}")
    return _report(args.book, result.assessment.problems)


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(Path(args.dir), print)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="arcollect", description="Accounts-receivable collections "
                                "in the workbook where the receivables live.")
    sub = p.add_subparsers(dest="command", required=True)

    def book_command(name, func, help_text):
        c = sub.add_parser(name, help=help_text, description=help_text)
        c.add_argument("book", type=Path, help="the collections workbook (.xlsx or .xlsm)")
        c.add_argument("--as-of", type=_date, help="aging date (default: Settings, else today)")
        c.set_defaults(func=func)
        return c

    book_command("age", cmd_age, "age every open item and print the buckets").add_argument(
        "--json", action="store_true", help="print invoices, customers, totals and errors as JSON")
    book_command("run", cmd_run, "refresh the workbook: flags, Aging, Actions, Summary, Errors")
    d = sub.add_parser("demo", help="write a demo workbook and run the whole flow on it (no network)")
    d.add_argument("dir", nargs="?", default="arcollect-demo", help="folder to write to")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    from .workbook.package import BookLocked, BookUnreadable

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_FAILED if exc.code else EXIT_OK
    try:
        return args.func(args)
    except (BookLocked, BookUnreadable) as exc:
        print(f"arcollect: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except FileNotFoundError as exc:
        print(f"arcollect: {exc.filename or exc}: no such file", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
