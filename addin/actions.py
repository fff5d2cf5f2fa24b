"""The use cases: what a ribbon button, a cell function or a CLI command does.

Each takes a workbook path (the port) and the moment it runs (as-of date,
today), so the same call serves Excel, the command line and the tests.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from .core.aging import age_items, bucket_totals, open_balances
from .core.dunning import decide, level_per_item, summarise_history
from .communications import build_communications
from .core.model import HistoryEntry, Problem
from .core.money import format_plain, from_minor, quantize
from .drafting import DraftResult, draft_batch, outbox_folder
from .history_log import append_history, logged_message_ids, stamp
from .mail.outbox import read_draft
from .mail.smtp import SendReport, SmtpConfig, SmtpConfigError, send_batch
from .plan_book import SCHEDULE, STATUS_HEADERS, PlanReview, review_plans
from .workbook import owned
from .workbook.package import TierRule, XlsxPackage
from .workbook.reader import Book, read_book
from .workbook.schema import FLAG_HEADERS
from .workbook.xlsx_xml import col_letter

@dataclass
class Assessment:
    """A workbook read, aged and decided at one as-of date; nothing written yet."""

    book: Book
    as_of: date
    aged: pd.DataFrame
    decisions: pd.DataFrame
    totals: pd.DataFrame
    contacts: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    plans: PlanReview | None = None

    @property
    def home_currency(self) -> str:
        return self.book.settings.currency


def assess(path, as_of: date | None = None, *, today: date) -> Assessment:
    """Read the book, age every open item and decide who is contacted, as of a date."""
    book = read_book(path)
    settings = book.settings
    as_of = as_of or settings.as_of or today
    items = open_balances(book.items, as_of)
    aged = age_items(items, as_of, settings.basis, settings.edges)
    history = summarise_history(book.history, as_of)
    plans = review_plans(book, as_of, settings.plan_formulas)
    decisions = decide(aged, book.ladder, settings, as_of, history, book.customers, plans.statuses)
    return Assessment(book, as_of, aged, decisions, bucket_totals(aged), book.contacts,
                      list(book.problems) + plans.problems, plans)


def item_cells(a: Assessment) -> np.ndarray:
    """The cell naming each aged item: its document cell (column A when there is no number column)."""
    layout = a.book.layout
    col = layout.columns.get("document", layout.columns.get("customer", 0)) if layout else 0
    prefix = f"{layout.sheet if layout else 'Receivables'}!{col_letter(col + 1)}"
    return (prefix + a.aged["row"].astype(str)).to_numpy(dtype=object)


def age_report(a: Assessment) -> dict:
    """The `arcollect age --json` document (DESIGN.md), money as decimal strings."""
    aged = a.aged
    money = [format_plain(m, c) for m, c in zip(aged["balance_minor"].tolist(), aged["currency"].tolist())]
    days = [None if d != d else int(d) for d in aged["days_past_due"].tolist()]
    dues = [d.date().isoformat() if pd.notna(d) else None for d in aged["due_date"]]
    invoices = [{"cell": c, "customer": cu, "document": doc, "currency": cur, "due_date": due,
                 "balance": m, "days_past_due": dd, "bucket": b}
                for c, cu, doc, cur, due, m, dd, b in zip(item_cells(a), aged["customer"], aged["document"],
                                                          aged["currency"], dues, money, days,
                                                          aged["bucket"].astype(str))]
    customers = [{"customer": r.customer, "currency": r.currency,
                  "balance": format_plain(r.balance_minor, r.currency),
                  "overdue": format_plain(r.overdue_minor, r.currency),
                  "level": int(r.level) if r.level else None, "action": r.action, "reason": r.reason}
                 for r in a.decisions.itertuples(index=False)]
    by_currency = {cur: {b: format_plain(int(v), cur) for b, v in row.items()}
                   for cur, row in a.totals.to_dict("index").items()}
    home = a.home_currency if a.home_currency in by_currency else next(iter(by_currency), a.home_currency)
    return {"as_of": a.as_of.isoformat(), "currency": home, "invoices": invoices, "customers": customers,
            "totals": by_currency.get(home, {}), "totals_by_currency": by_currency,
            "errors": [{"cell": p.cell, "message": p.message} for p in a.problems]}


def summary_text(a: Assessment) -> str:
    """The bucket table a clerk reads in a terminal."""
    t = a.totals
    cur = list(t.index)
    lines = [f"Receivables aged as of {a.as_of.isoformat()} ({len(a.aged)} open items, "
             f"{a.decisions['customer_key'].nunique()} customers)", ""]
    head = f"{'Bucket':<12}" + "".join(f"{c:>18}" for c in cur)
    lines += [head, "-" * len(head)]
    for b in t.columns:
        if b == "Total":
            lines.append("-" * len(head))
        lines.append(f"{b:<12}" + "".join(f"{from_minor(int(t.at[c, b]), c):>18,}" for c in cur))
    counts = a.decisions["action"].value_counts()
    lines += ["", "To contact: {}   To review: {}   On hold: {}   Handed over: {}".format(
        *(int(counts.get(k, 0)) for k in ("contact", "review", "hold", "handed over")))]
    if a.problems:
        lines.append(f"{len(a.problems)} input problem(s), each naming its cell (the Errors sheet lists them)")
    return "\n".join(lines)


def next_actions(a: Assessment) -> np.ndarray:
    """Per aged item, the customer's decision in words ("Level 2 Friendly reminder: email")."""
    d = a.decisions
    text = np.where(d["action"] == "contact",
                    "Level " + d["level"].astype(str) + " " + d["level_name"] + ": "
                    + d["channels"].map(" + ".join), d["action"] + ": " + d["reason"])
    lookup = pd.Series(text, index=pd.MultiIndex.from_frame(d[["customer_key", "currency"]]))
    idx = pd.MultiIndex.from_frame(a.aged[["customer_key", "currency"]])
    return lookup.reindex(idx).fillna("").to_numpy(dtype=object)


@dataclass
class RunResult:
    assessment: Assessment
    written: list[str]
    drafts: DraftResult | None = None


def as_problem(text: str) -> Problem:
    """A message from documents/mail ("Sheet!A1: ...") back into a cell-addressed Problem."""
    m = re.match(r"(\S+![A-Z]{1,3}\d+): (.*)", text, re.S)
    return Problem(m[1], m[2]) if m else Problem("", text)


def _run_id(now: datetime, as_of: date | None = None) -> str:
    """'run-20261130-101500Z': the as-of date the run worked for, then the UTC time it ran."""
    return f"run-{(as_of or now.date()):%Y%m%d}-{now.astimezone(timezone.utc):%H%M%S}Z"


def refresh(path, as_of: date | None = None, *, today: date, now: datetime | None = None,
            drafts: bool = True, user: str = "") -> RunResult:
    """Refresh the workbook (flags, Aging, Actions, Summary, Errors, Plans) and draft the reminders.

    Drafts (.eml, letters, call sheet, SMS) go to the outbox and are logged to
    History in the same atomic save as the refreshed sheets.
    """
    path = Path(path)
    now = now or datetime.combine(today, datetime.min.time(), timezone.utc)
    a = assess(path, as_of, today=today)
    pkg = XlsxPackage.open(path)  # refuses a book open in Excel before anything is written
    settings = a.book.settings
    result = RunResult(a, [])
    if drafts:
        comms = build_communications(a)
        result.drafts = draft_batch(comms, settings, a.book.history, outbox_folder(path, settings), now=now,
                                    run_id=_run_id(now, a.as_of), user=user or settings.user, base=path.parent)
        a.problems += [as_problem(p) for p in result.drafts.problems]
    levels = level_per_item(a.aged, a.book.ladder)
    layout = a.book.layout
    if layout is not None:
        pkg.update_columns(layout.sheet, layout.header_row, list(FLAG_HEADERS), a.aged["row"].to_numpy(),
                           [a.aged["days_past_due"].to_numpy(), a.aged["bucket"].astype(str).to_numpy(dtype=object),
                            levels], tiers=TierRule())
    columns, rows, chart = owned.summary_sheet(a.totals, a.decisions, a.as_of, len(a.problems), a.home_currency,
                                               settings.edges)
    pkg.write_sheet("Summary", columns, rows, chart=chart)
    documents = result.drafts.documents if result.drafts else {}
    pkg.write_sheet("Actions", owned.ACTIONS, owned.action_rows(a.decisions, a.contacts, a.book.approvals,
                                                                documents), table="Actions")
    pkg.write_sheet("Aging", owned.AGING, owned.aging_rows(a.aged, item_cells(a), levels, next_actions(a)),
                    table="Aging")
    pkg.write_sheet("Errors", owned.ERRORS, owned.error_rows(a.problems))
    result.written = ["Summary", "Actions", "Aging", "Errors"]
    if a.plans and a.plans.rows:
        pkg.update_columns(a.plans.sheet, 1, list(STATUS_HEADERS), a.plans.rows, a.plans.values)
        pkg.write_sheet("Plan Schedule", SCHEDULE, a.plans.schedule, table="PlanSchedule")
        result.written += ["Plans", "Plan Schedule"]
    if result.drafts:
        append_history(pkg, result.drafts.entries)
        if result.drafts.entries:
            result.written.append("History")
    pkg.save()
    return result


@dataclass
class SendResult:
    report: SendReport | None
    entries: list[HistoryEntry]
    not_approved: int
    problems: list[str]


def pending_drafts(book: Book, outbox: Path, approve_all: bool):
    """(approved [(path, message)], not approved count, problems) among drafted, unsent emails.

    Documents are logged relative to the workbook's folder; only files inside the outbox are sent.
    """
    h = book.history
    sent = logged_message_ids(h, "sent")
    drafted = h.loc[(h["action"] == "drafted") & (h["channel"] == "email") & (h["message_id"] != "")
                    & ~h["message_id"].isin(sent)].drop_duplicates("message_id")
    approved, waiting, problems = [], 0, []
    root = outbox.resolve()
    for r in drafted.itertuples(index=False):
        if not (approve_all or book.approvals.get((r.customer_key, int(r.level) if r.level == r.level else 0))):
            waiting += 1
            continue
        file = (book.path.parent / r.document).resolve() if r.document else None
        if file is None or root not in file.parents or not file.is_file():
            problems.append(f"History!O{r.row}: draft {r.document!r} is not a file in the outbox {outbox}; "
                            f"not sent")
            continue
        approved.append((file, read_draft(file), r))
    return approved, waiting, problems


def send(path, *, approve_all: bool = False, now: datetime, environ=None, user: str = "") -> SendResult:
    """Send the approved drafts once each over SMTP and log every outcome to History."""
    path = Path(path)
    book = read_book(path)
    pkg = XlsxPackage.open(path)
    outbox = outbox_folder(path, book.settings)
    approved, waiting, problems = pending_drafts(book, outbox, approve_all)
    if not approved:
        return SendResult(None, [], waiting, problems)
    config = SmtpConfig.from_settings(book.settings, environ)
    if not config.host:
        raise SmtpConfigError("no SMTP host: set 'SMTP host' in Settings or ARCOLLECT_SMTP_HOST; nothing was sent")
    report = send_batch([(p, m) for p, m, _ in approved], config, logged_message_ids(book.history, "sent"))
    by_id = {m["Message-ID"]: (p, r) for p, m, r in approved}
    run_id, who = _run_id(now), user or book.settings.user
    entries = []
    outcomes = [(mid, "sent", ", ".join(to)) for mid, to in report.sent] + \
               [(mid, "failed", reason) for mid, reason in report.failed]
    for mid, action, outcome in outcomes:
        file, r = by_id[mid]
        entries.append(HistoryEntry(timestamp=stamp(now), run_id=run_id, customer_id=r.customer_key,
                                    customer=r.customer, level=int(r.level), channel="email", action=action,
                                    outcome=outcome, user=who, document=r.document, message_id=mid))
    append_history(pkg, entries)
    pkg.save()
    return SendResult(report, entries, waiting, problems)


class UsageError(ValueError):
    """A request that cannot be carried out as asked (unknown customer, missing argument)."""


OUTCOMES = {  # --outcome: (History action, what the clerk heard)
    "no-answer": ("called", "no answer"), "called": ("called", "spoke to customer"),
    "promise": ("promise", "promise to pay"), "dispute": ("dispute", "dispute"), "paid": ("paid", "paid"),
    "plan": ("plan", "asked for a payment plan"), "note": ("note", ""), "cease": ("cease", "asked not to be contacted"),
}


def find_customer(book: Book, text: str) -> tuple[str, str]:
    """(customer key, name) for an id or a name, case-insensitively; ValueError if none or several."""
    wanted = " ".join(text.casefold().split())
    names = pd.concat([book.items[["customer_key", "customer", "customer_id"]],
                       book.customers.assign(customer_id=book.customers["customer_key"])[
                           ["customer_key", "customer", "customer_id"]]]).drop_duplicates("customer_key")
    hit = names.loc[(names["customer_key"].str.casefold() == wanted)
                    | (names["customer"].map(lambda n: " ".join(str(n).casefold().split())) == wanted)
                    | (names["customer_id"].str.casefold() == wanted)]
    if len(hit) != 1:
        raise UsageError(f"no customer {text!r} in the workbook" if hit.empty else
                         f"{text!r} matches {len(hit)} customers; use the customer id")
    return hit["customer_key"].iloc[0], hit["customer"].iloc[0]


def log_contact(path, customer: str, outcome: str, *, now: datetime, when: date | None = None,
                amount=None, reason: str = "", user: str = "", channel: str = "phone") -> HistoryEntry:
    """Append one contact or event (a call, a promise, a dispute...) to History."""
    path = Path(path)
    book = read_book(path)
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
    if outcome == "promise" and (when is None or amount is None):
        raise UsageError("a promise to pay needs --date and --amount")
    key, name = find_customer(book, customer)
    action, heard = OUTCOMES[outcome]
    currency = book.settings.currency
    entry = HistoryEntry(
        timestamp=stamp(now), run_id="manual", customer_id=key, customer=name, channel=channel, action=action,
        outcome="; ".join(x for x in (heard, reason) if x),
        promise_date=when if outcome == "promise" else None,
        promise_amount=quantize(amount, currency) if outcome == "promise" else None,
        amount_due=quantize(amount, currency) if outcome == "paid" and amount is not None else None,
        user=user or book.settings.user)
    pkg = XlsxPackage.open(path)
    append_history(pkg, [entry])
    pkg.save()
    return entry
