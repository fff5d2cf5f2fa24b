"""Close: the month-end pack, written into the book in one atomic save, and a run log beside it.

The period's open items are frozen in a snapshot sheet; the roll-forward,
migration, KPIs and provision are computed from the snapshot before it (or,
at a book's first close, from the book as it stood the day before the period)
and written to the Close sheets and the ledger of closes. Re-closing a period
replaces its sheets and its ledger rows; an as-of date earlier than the last
close is refused unless the caller reopens it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from ..core.aging import UNAPPLIED, age_items, bucket_totals, open_balances
from ..core.buckets import bucket_labels
from ..core.close.behaviour import Risk, effectiveness, payment_risk, promise_outcomes
from ..core.close.kpis import Kpis, compute_kpis
from ..core.close.period import Period, period_ending
from ..core.close.provision import Provision, derived_rates, parse_loss_rates, provision_matrix
from ..core.close.rollforward import (CLEARED, NEW, Movements, RollForward, movements, roll_rates, with_occurrence,
                                      write_off_rate)
from ..core.model import Problem, quote
from ..core.money import from_minor, to_minor
from ..core.parse import parse_amount
from ..documents.packsummary import Bars, bar_png, summary_pdf
from ..files.atomic import write_atomic
from ..workbook import closepack
from ..workbook.closebook import (CLOSE_EMAILS, LEDGER, LEDGER_ROLE, SNAPSHOT, Closed, read_last_run, read_ledger,
                                  read_snapshot, read_worklist, snapshot_role, snapshot_rows)
from ..workbook.history import append_history, stamp
from .assess import assess_book, document_cells
from .close_changes import CustomerChanges, customer_changes, item_levels
from .close_documents import (names_of, pending_close_emails, settled_accounts, statement_emails, statements,
                              thank_you_notes, write_statements)
from .draft import DraftResult, draft_batch, outbox_folder, sender_address
from .ids import run_id
from .errors import UsageError
from .memory import release_freed_memory
from .progress import steps
from .session import workbook


@dataclass(frozen=True)
class CloseOptions:
    """What the CLI's flags (or the ribbon's dialog) say; text is read the way the book's locale writes it."""

    sales: str | None = None          # the period's credit sales in the home currency (--sales)
    loss_rates: str | None = None     # percent per bucket, Current first (--loss-rates)
    period_start: date | None = None  # default: the first of the as-of date's month
    reopen: bool = False              # allow an as-of date earlier than the last close
    statements: bool = False          # a statement of account (PDF) per customer with a balance
    email_statements: bool = False    # and each drafted as an email, its PDF attached (implies statements)
    thank_you: bool = True            # draft thank-you notes for customers who settled since the last close


@dataclass(frozen=True)
class CurrencyClose:
    currency: str
    rollforward: RollForward
    totals: dict[str, int]            # bucket (and Total) -> minor units at the close
    sales: int
    sales_source: str
    kpis: Kpis
    provision: Provision | None
    migration: pd.DataFrame
    roll_rates: dict[str, Decimal | None]
    write_off_rate: Decimal | None    # of the oldest bucket since the previous close


@dataclass
class CloseResult:
    book: Path
    as_of: date
    period: Period
    home: str
    buckets: list[str]
    opening_from: str                 # "the close of 2026-10 (as of 2026-10-31)" or "the book as it stood on ..."
    currencies: dict[str, CurrencyClose]
    changes: pd.DataFrame
    effectiveness: pd.DataFrame
    risks: list[Risk]
    promises: pd.DataFrame            # promises due in the period, kept or broken
    names: dict[str, str]             # customer key -> name
    customers: CustomerChanges | None = None   # levels moved, plans completed or broken, since the last run
    decisions: pd.DataFrame | None = None      # this close's dunning decision per account
    written: list[str] = field(default_factory=list)
    thanked: DraftResult | None = None
    emailed: DraftResult | None = None    # the statements drafted as emails (--email-statements)
    statements: list[Path] = field(default_factory=list)
    statements_file: Path | None = None   # every statement in one PDF, to print
    files: list[Path] = field(default_factory=list)   # the charts (PNG) and the one-page summary (PDF)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log: Path | None = None


STEPS = ("reading the book", "reading the previous close", "computing the pack", "drafting the documents",
         "writing the pack", "saving the book")


def close(path, as_of: date | None = None, options: CloseOptions = CloseOptions(), *, today: date,
          now: datetime) -> CloseResult:
    """Close the period ending on ``as_of`` (else Settings' as-of date, else ``today``) and write the pack.

    Each step is a progress stage ("[2/6] reading the previous close") for whoever watches.
    """
    port = workbook(path)
    path = port.path
    with steps(STEPS) as step, port.writing() as pkg:
        step.next()
        book = port.read()
        settings = book.settings
        as_of = as_of or settings.as_of or today
        try:
            period = period_ending(as_of, options.period_start)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        ledger = read_ledger(port, pkg.marks().sheet(LEDGER_ROLE))
        _check_order(ledger, period, options.reopen)
        release_freed_memory()
        step.next()
        book = replace(book, items=with_occurrence(book.items))   # one copy of a million items, not two
        items = book.items
        buckets = bucket_labels(settings.edges)
        before = [c for c in ledger if c.as_of < period.start]
        previous, since, opening_from, problems = _previous(port, pkg, before, items, period, settings)
        release_freed_memory()
        step.next()
        moved = movements(previous, items, as_of, since, settings.basis, settings.edges, buckets)  # before the
        assessed = assess_book(book, as_of, today=today)      # ageing: the two peaks of memory do not add up
        aged = assessed.aged
        rates, source = _loss_rates(options, settings, buckets, problems)
        sales = _sales(options, settings, items, period)
        currencies = _per_currency(moved, aged, buckets, sales, rates, source, period, before, settings.currency)
        grace = settings.paid_grace_days
        promises = promise_outcomes(book.history, items, as_of, grace)
        due = promises["promise_date"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))
        result = CloseResult(path, as_of, period, settings.currency, buckets, opening_from, currencies,
                             moved.items, effectiveness(book.history, items, as_of),
                             payment_risk(aged, items, book.history, as_of, grace), promises.loc[due],
                             names_of(items),
                             customer_changes(book, assessed.decisions, previous, since, as_of,
                                              read_last_run(port, pkg.marks().sheet("Summary")),
                                              read_worklist(port, pkg.marks().sheet("Actions"))),
                             assessed.decisions, problems=assessed.problems + problems)
        del previous, moved                      # the snapshot read, and the join: what the pack needs is in result
        release_freed_memory()
        step.next()
        _documents(result, book, aged, options, now)
        step.next()
        role = snapshot_role(period)
        kept = [c for c in ledger if c.period != period.label]
        sheets = [(role, SNAPSHOT, snapshot_rows(aged, document_cells(book.layout, aged["row"]),
                                                     item_levels(aged, result.customers.levels)), {}),
                  ("Close Summary", *closepack.summary(result, kept)),
                  ("Close Migration", *closepack.migration(result)),
                  ("What Changed", *closepack.changes(result)),
                  ("Collection Effectiveness", *closepack.effectiveness(result)),
                  ("Payment Risk", *closepack.risk(result))]
        logged = [e for d in (result.thanked, result.emailed) if d for e in d.entries]
        waiting = pending_close_emails(book.history, logged)
        if len(waiting) or pkg.marks().sheet(CLOSE_EMAILS):
            sheets.append((CLOSE_EMAILS, *closepack.emails(waiting, book.approved_messages)))
        if len(waiting):
            result.notes.append(f"{len(waiting)} email(s) of the close (statements, thank-you notes) wait for "
                                f"Approve on the {CLOSE_EMAILS} sheet: arcollect send sends the ones ticked")
        for name, cols, rows, extra in sheets:
            result.written.append(pkg.write_sheet(name, cols, rows, **extra))
        rows, chart = closepack.ledger(kept, result, role)
        result.written.append(pkg.write_sheet(LEDGER_ROLE, LEDGER, rows, table="ClosePeriods", chart=chart))
        if options.reopen and any(c.as_of > as_of for c in ledger):
            result.notes.append(f"Reopened {period.label}: the periods closed after it were computed from the old "
                                f"figures; close them again to roll forward from these")
        if logged:
            append_history(pkg, logged)
            result.written.append("History")
        step.next()
        pkg.save()
    close_folder(path).mkdir(parents=True, exist_ok=True)
    result.files = _write_pack_files(result, kept, now)
    result.log = _write_log(result, now)
    return result


def _write_pack_files(result: CloseResult, kept: list[Closed], now: datetime) -> list[Path]:
    """Beside the run log: the home currency's aging, provision (when computed) and DSO trend as PNG, and the
    pack on one PDF page with those charts."""
    from .close_report import summary_sections

    home = result.currencies.get(result.home) or next(iter(result.currencies.values()), None)
    if home is None:
        return []
    cur, label = home.currency, result.period.label
    charts = {"aging": Bars(f"Receivables by age at {result.as_of.isoformat()} ({cur})", result.buckets,
                            [from_minor(home.totals[b], cur) for b in result.buckets])}
    if home.provision is not None:
        charts["provision"] = Bars(f"Provision by bucket ({cur})", result.buckets,
                                   [from_minor(home.provision.by_bucket[b], cur) for b in result.buckets])
    trend = closepack.dso_trend(result, kept)
    charts["dso"] = Bars(f"DSO by period ({cur})", [p for p, _ in trend], [d.get(cur) for _, d in trend])
    columns, sections = summary_sections(result)
    stem = close_folder(result.book) / f"close-{label.replace(' ', '_')}"
    pdf = summary_pdf(f"Receivables close {label}", f"As of {result.as_of.isoformat()}; opening from "
                      f"{result.opening_from}", columns, sections, list(charts.values()), now.date())
    return [write_atomic(Path(f"{stem}-{name}.png"), bar_png(bars)) for name, bars in charts.items()] + [
        write_atomic(Path(f"{stem}-summary.pdf"), pdf)]


def _documents(result: CloseResult, book, aged: pd.DataFrame, options: CloseOptions, now: datetime) -> None:
    """Thank-you drafts for the accounts settled since the last close; statements when asked for, and their
    emails (drafts, through approval and ``send`` like any reminder) when asked for."""
    settings, path = book.settings, result.book

    def drafted(comms, **kw) -> DraftResult:
        out = draft_batch(comms, settings, book.history, outbox_folder(path, settings), now=now,
                          run_id=run_id(now, result.as_of), user=settings.user, base=path.parent,
                          sender=sender_address(settings), **kw)
        result.problems += out.problems
        return out

    if options.thank_you:
        result.thanked = drafted(thank_you_notes(book, settled_accounts(result.changes, aged), result.as_of))
    if options.statements or options.email_statements:
        folder = close_folder(path) / f"Statements {result.period.label}"
        written, result.statements_file, problems = write_statements(
            statements(book, aged, result.as_of, result.buckets), folder, settings, path.parent)
        result.statements = [p for _, p in written]
        result.problems += problems
        if options.email_statements:
            emails, attachments, problems, notes = statement_emails(book, aged, written, result.as_of)
            result.problems += problems
            result.notes += notes
            result.emailed = drafted(emails, attachments=attachments)
            result.notes.append(f"Drafted {len(result.emailed.entries)} statement email(s) in "
                                f"{outbox_folder(path, settings)}" + (f" ({result.emailed.skipped} drafted before)"
                                                                     if result.emailed.skipped else ""))


def close_folder(book: Path) -> Path:
    """Where a close's run logs and statements go: '<book> close' beside the workbook."""
    return book.parent / f"{book.stem} close"


def _check_order(ledger: list[Closed], period: Period, reopen: bool) -> None:
    """Refuse an as-of date earlier than the last close, unless reopening."""
    if not ledger or reopen:
        return
    last = max(ledger, key=lambda c: c.as_of)
    if period.end < last.as_of:
        raise UsageError(f"{period.end.isoformat()} is earlier than the last close ({last.period}, as of "
                         f"{last.as_of.isoformat()}): nothing was changed. To close an earlier period again, "
                         f"use --reopen")


def _previous(port, pkg, before: list[Closed], items: pd.DataFrame, period: Period, settings):
    """(previous items, their as-of date, where the opening comes from in words, problems)."""
    problems: list[Problem] = []
    if before:
        last = max(before, key=lambda c: c.as_of)
        sheet = pkg.marks().sheet(last.snapshot) if last.snapshot else None
        if sheet is not None:
            try:
                return (read_snapshot(port, sheet), last.as_of,
                        f"the close of {last.period} (as of {last.as_of.isoformat()})", problems)
            except ValueError as exc:
                problems.append(Problem(f"{sheet}!A1", f"{exc}; the opening balance is rebuilt from the book"))
        else:
            problems.append(Problem(LEDGER_ROLE, f"the snapshot {quote(last.snapshot)} of the close of {last.period} "
                                                 f"is no longer in the book; the opening balance is rebuilt from "
                                                 f"the book as it stood on {period.opening_date.isoformat()}"))
    day = period.opening_date
    aged = age_items(open_balances(items, day), day, settings.basis, settings.edges)
    opening_from = f"the book as it stood on {day.isoformat()} (no earlier close)"
    return aged.assign(bucket=aged["bucket"].astype(str)), day, opening_from, problems


def _loss_rates(options: CloseOptions, settings, buckets: list[str], problems: list[Problem]):
    """({bucket: percent}, where they come from) from --loss-rates, else Settings; (None, "derived") without:
    each currency's rates are then derived from its kept closes (roll-rate method)."""
    if options.loss_rates:
        try:
            return parse_loss_rates(options.loss_rates, buckets, settings.conventions), "--loss-rates"
        except ValueError as exc:
            raise UsageError(f"--loss-rates {quote(options.loss_rates)}: {exc}") from None
    if settings.loss_rates:
        cell = settings.cells.get("loss_rates", "Settings")
        try:
            return parse_loss_rates(settings.loss_rates, buckets, settings.conventions), f"Settings ({cell})"
        except ValueError as exc:
            problems.append(Problem(cell, f"Loss rates {quote(settings.loss_rates)}: {exc}; the rates are derived "
                                          f"from the kept closes where they can be"))
    return None, "derived"


def _sales(options: CloseOptions, settings, items: pd.DataFrame, period: Period) -> dict[str, tuple[int, str]]:
    """Credit sales per currency: --sales, else Settings, for the home currency; else the invoices dated in
    the period (positive amounts, credit notes not netted)."""
    dated = items["invoice_date"].between(pd.Timestamp(period.start), pd.Timestamp(period.end))
    invoiced = items.loc[dated & (items["amount_minor"] > 0)].groupby("currency")["amount_minor"].sum()
    out = {cur: (int(v), f"invoices dated {period.start.isoformat()} to {period.end.isoformat()}")
           for cur, v in invoiced.items()}
    home = settings.currency
    if options.sales:
        try:
            out[home] = (to_minor(parse_amount(options.sales, settings.conventions), home), "--sales")
        except ValueError:
            raise UsageError(f"--sales {quote(options.sales)} is not an amount") from None
    elif settings.credit_sales is not None:
        out[home] = (to_minor(settings.credit_sales, home),
                     f"Settings ({settings.cells.get('credit_sales', 'Settings')})")
    return out


def _per_currency(moved: Movements, aged: pd.DataFrame, buckets: list[str], sales, rates, source: str,
                  period: Period, before: list[Closed], home: str) -> dict[str, CurrencyClose]:
    totals = bucket_totals(aged)
    currencies = sorted(set(moved.rollforwards) | set(totals.index), key=lambda c: (c != home, c))
    out = {}
    for cur in currencies:
        row = {b: int(totals.at[cur, b]) if cur in totals.index else 0 for b in [*buckets, UNAPPLIED, "Total"]}
        rf = moved.rollforwards.get(cur) or RollForward(cur, 0, 0, 0, 0, 0, row["Total"])
        sold, sold_from = sales.get(cur, (0, "no invoices dated in the period"))
        earlier = sorted((c for c in before if c.currency == cur), key=lambda c: c.as_of, reverse=True)
        history = [(from_minor(sold, cur), period.days)] + [
            (from_minor(c.money("Credit Sales") or 0, cur), (c.as_of - c.start).days + 1) for c in earlier]
        kpis = compute_kpis(beginning=from_minor(rf.opening, cur), sales=from_minor(sold, cur),
                            ending_total=from_minor(row["Total"], cur), ending_current=from_minor(row[buckets[0]], cur),
                            over_90=from_minor(row[buckets[-1]], cur), days=period.days, sales_history=history)
        migration = moved.migration.get(cur)
        if migration is None:
            migration = pd.DataFrame(0, index=[*buckets, UNAPPLIED, NEW], columns=[*buckets, UNAPPLIED, CLEARED])
        rolls, written = roll_rates(migration, buckets), write_off_rate(moved.items, migration, cur, buckets[-1])
        mine, whence = rates, source
        if mine is None:
            kept = [(parse_rolls(c.figures.get("Roll Rates", "")), c.figures.get("Write-off Rate")) for c in earlier]
            mine = derived_rates([*kept, (list(rolls.values()), written)], buckets)
            whence = f"the roll rates and write-offs of {len(kept) + 1} close(s) (roll-rate method)"
            if mine is not None and not any(mine.values()):
                whence += ("; nothing of the oldest bucket written off yet, so every rate is 0 %: give "
                           "--loss-rates or Loss rates in Settings")
        provision = None if mine is None else provision_matrix(
            {b: row[b] for b in buckets}, mine, cur,
            previous=earlier[0].money("Provision") if earlier else None, source=whence)
        out[cur] = CurrencyClose(cur, rf, row, sold, sold_from, kpis, provision, migration, rolls, written)
    return out


def parse_rolls(text) -> list[Decimal | None]:
    """The ledger's 'Roll Rates' text ("81.8, 40.0, , 12.5") back as percentages, None where blank."""
    return [Decimal(p) if p.strip() else None for p in str(text or "").split(",")] if str(text or "").strip() else []


def _write_log(result: CloseResult, now: datetime) -> Path:
    """The run's report and problems in '<book> close/close-<period>-<time>.log' beside the book."""
    from .close_report import close_text

    folder = close_folder(result.book)
    name = f"close-{result.period.label.replace(' ', '_')}-{stamp(now).replace(':', '')}.log"
    lines = [f"arcollect close {result.book.name} as of {result.as_of.isoformat()} at {stamp(now)}", "",
             close_text(result), ""] + [f"{result.book.name}:{p}" for p in result.problems]
    return write_atomic(folder / name, ("\n".join(lines) + "\n").encode("utf-8"))
