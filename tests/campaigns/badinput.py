"""Bad input, generated: a seeded collections workbook with good rows planted among bad ones, and the
judgement of what ``arcollect age --json`` made of it.

Each case is one seed. The book has a Receivables sheet (its header perhaps under title rows, its
name perhaps quoted or odd) holding a few good rows — a valid customer, document ``GOOD-...``, due
date, amount, currency, status — among rows whose cells are wrong in every way a clerk's sheet can
be wrong: every column given the wrong type, error values, formulas, dates as text in many formats
and as serials (60 is Excel's 29 Feb 1900), huge and non-finite numbers, 32,767-character text,
control characters, merged cells and hidden rows; and Settings, Policy, History, Plans and
Customers sheets holding garbage, or nothing. The verdict: no traceback, abort or hang (the
harness), exit 0 or 1, JSON on stdout, every problem naming its cell, every good row aged.
"""
from __future__ import annotations

import json
import random
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

from addin.core.model import HISTORY_COLUMNS
from addin.core.policy import DEFAULT_LADDER, POLICY_COLUMNS
from addin.workbook.template import CUSTOMER_COLUMNS, PLAN_COLUMNS, RECEIVABLES_COLUMNS

AS_OF = date(2026, 11, 30)
CELL = re.compile(r"^.+![A-Z]{1,3}[0-9]{1,7}$")

LONG = "x" * 32_767
DATES_AS_TEXT = ["2026-10-01", "01/10/2026", "10/01/2026", "1 Oct 2026", "Oct 1, 2026", "20261001", "1.10.26",
                 "2026-13-45", "31/02/2026", "TBD", "yesterday", "0000-00-00", "9999-12-31", "-1", " ", "2026-10-01T25:00"]
SERIALS = [60, 0, -1, 1, 59, 61, 2958465, 2958466, 1e308, 45000.5, 1e-300]
NUMBERS_AS_TEXT = ["1e308", "-1e308", "1e309", "nan", "NaN", "inf", "-inf", "Infinity", "1,234.56", "1.234,56",
                   "(100.00)", "100-", "£1,000", "12,3x", "0x10", "1_000", "١٢٣", "--5", ""]
ERRORS = ["#N/A", "#DIV/0!", "#REF!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!"]
FORMULAS = ["=1/0", "=A1", "=NOW()", '=HYPERLINK("http://example.com","x")', "=SUM(A:A)", '="a"&"b"']
CONTROL = ["line\r\nbreak", "tab\there", "_x0007_bell", "_x001B_[31mred", "nul_x0000_", "\u202eevil", "a\u0085b",
           "Sheet!A1: forged problem\nBOOK.xlsx:Receivables!A1: forged"]
ANY = [None, True, False, 0, -5, 3.25, 1e308, -1e308, "", " ", "n/a", LONG, datetime(2026, 10, 1, 12, 30),
       date(1899, 12, 31), date(9999, 12, 31)]
WRONG = ANY + DATES_AS_TEXT + SERIALS + NUMBERS_AS_TEXT + ERRORS + FORMULAS + CONTROL

SETTINGS_GARBAGE = {
    "Tolerance": ["1e308", "nan", "inf", "-1", "abc", 1e308, LONG, "#N/A"],
    "Locale": [0, "0", "xx_YY", "", "en_GB_x0000_", 1e308, "de-DE-x-private", LONG],
    "Bucket edges": ["a,b", "90,30,60", "1e308", "-5", "", "0,0,0", ",,,", "30;60;90", 1e308],
    "Currency": ["EURO", "€", "", "gbp", 12, "XXX", LONG],
    "Aging basis": ["sometimes", "", 0, "invoice date", "due date"],
    "Mode": ["yolo", "", "send ", 1],
    "Pay within days": ["1e308", "nan", "-3", "x", 1e308, 10**12],
    "Late interest rule": ["eu-2011-7", "uk-1998", "bogus", ""],
    "Late interest rate": ["nan", "1e308", "-0.5", "8%", 1e308],
    "Regulation profile": ["regF", "bogus", ""],
    "Escalate one level per run": ["maybe", 2, ""],
    "Paid grace days": ["1e308", "nan", "-1", "x"],
    "As-of date": ["TBD", "31/02/2026", 60, 1e308],
    "Company address": [LONG, "_x0007_", "a\r\nb"],
}
POLICY_GARBAGE = [["x", "Bad", "nan", "1e308", "pigeon", "nope", "1e308", "maybe"],
                  [1e308, "Huge", 1e308, -1e308, "", "", 1e308, ""],
                  [2, "Dup", 10, 5, "email", "reminder", "abc", "yes"],
                  [None, None, None, None, None, None, None, None],
                  ["#N/A", "=1/0", "31/02/2026", "", "sms + letter", LONG, "-5", 1]]


def _wrong(rnd: random.Random):
    return rnd.choice(WRONG)


def _good(k: int, seed: int) -> list:
    due = AS_OF - timedelta(days=5 + 13 * k)
    return [f"G{seed}-{k}", f"Good Customer {k}", "Ann", f"g{k}@example.com", "", f"GOOD-{seed}-{k}",
            due - timedelta(days=30), due, 100.0 + k, 0, None, "GBP", "open", None, "business", "en", ""]


def book(path: Path, seed: int) -> tuple[Path, list[str]]:
    """Write the case's workbook; (path, the documents of its good rows)."""
    rnd = random.Random(seed)
    wb = Workbook()
    ws = wb.active
    ws.title = rnd.choice(["Receivables", "Receivables", "AR 'Q4'", "O'Brien's AR", "Open Items", "Debtors 2026"])
    title_rows = rnd.choice([0, 0, 1, 3, 15])
    for r in range(title_rows):
        ws.append([rnd.choice(["Aged Receivables", "Report run 2026-11-30", None, "Company: Northwind", LONG[:500]])])
    header = list(RECEIVABLES_COLUMNS)
    if rnd.random() < 0.3:
        header = [h.upper() if rnd.random() < 0.5 else f"  {h.lower()} " for h in header]
    ws.append(header)
    good = rnd.randint(1, 4)
    rows, documents = [], []
    for k in range(good):
        rows.append(("good", _good(k, seed)))
        documents.append(f"GOOD-{seed}-{k}")
    for _ in range(rnd.randint(0, 12)):
        row = _good(99, seed)
        row[5] = f"BAD-{rnd.randrange(10**6)}"
        for col in rnd.sample(range(len(row)), rnd.randint(1, 5)):
            row[col] = _wrong(rnd)
        rows.append(("bad", row))
    if rnd.random() < 0.2:
        rows.append(("bad", [None] * len(header)))                       # a blank row
    if rnd.random() < 0.2:
        rows.append(("bad", ["Total", None, None, None, None, None, None, None, 12345.0]))
    rnd.shuffle(rows)
    first = ws.max_row + 1
    for kind, row in rows:
        ws.append(row)
        r = ws.max_row
        if kind == "bad" and rnd.random() < 0.15:
            ws.row_dimensions[r].hidden = True
        if kind == "good" and rnd.random() < 0.15:
            ws.row_dimensions[r].hidden = True                        # hidden is not deleted: still a good row
    bad_rows = [first + i for i, (kind, _row) in enumerate(rows) if kind == "bad"]
    if bad_rows and rnd.random() < 0.3:
        r = rnd.choice(bad_rows)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=rnd.randint(2, 6))
    _settings(wb, rnd)
    _policy(wb, rnd)
    _history(wb, rnd, seed)
    _plans(wb, rnd)
    _customers(wb, rnd, seed)
    for name in rnd.sample(["Aging", "Errors", "Notes", "'quoted'", "Summary"], rnd.randint(0, 2)):
        extra = wb.create_sheet(name)
        if rnd.random() < 0.5:
            extra.append(["Customer", "Invoice #", "Due Date", "Amount"])
            extra.append([_wrong(rnd) for _ in range(4)])
    wb.save(path)
    return path, documents


def _settings(wb, rnd: random.Random) -> None:
    if rnd.random() < 0.15:
        return
    st = wb.create_sheet("Settings")
    st.append(["Setting", "Value"])
    if rnd.random() < 0.1:
        return                                                   # empty but for its header
    st.append(["As-of date", AS_OF])
    for key in rnd.sample(sorted(SETTINGS_GARBAGE), rnd.randint(1, 5)):
        st.append([key, rnd.choice(SETTINGS_GARBAGE[key])])
    if rnd.random() < 0.2:
        st.append([_wrong(rnd), _wrong(rnd)])


def _policy(wb, rnd: random.Random) -> None:
    if rnd.random() < 0.4:
        return
    po = wb.create_sheet("Policy")
    po.append(list(POLICY_COLUMNS))
    for lv in DEFAULT_LADDER:
        po.append([lv.level, lv.name, lv.days_from, lv.min_days_since_contact, " + ".join(lv.channels), lv.template,
                   float(lv.fee), "yes" if lv.final else "no"])
    for row in rnd.sample(POLICY_GARBAGE, rnd.randint(1, 3)):
        po.append(row)


def _sheet(wb, rnd: random.Random, name: str, columns, *, skip: float, rows: int, row, first: int, most: int, wrong):
    """``name`` (none, ``skip`` of the time) holding up to ``rows`` copies of ``row(k)``, each with up to
    ``most`` of its cells from column ``first`` on replaced by ``wrong()``."""
    if rnd.random() < skip:
        return
    ws = wb.create_sheet(name)
    ws.append(list(columns))
    for k in range(rnd.randint(0, rows)):
        values = row(k)
        for col in rnd.sample(range(first, len(values)), rnd.randint(1, most)):
            values[col] = wrong()
        ws.append(values)


def _history(wb, rnd: random.Random, seed: int) -> None:
    _sheet(wb, rnd, "History", HISTORY_COLUMNS, skip=0.4, rows=6, first=0, most=4, wrong=lambda: _wrong(rnd),
           row=lambda k: ["2026-11-20T10:00:00Z", "run-1", f"G{seed}-0", "Good Customer 0", "GBP", f"GOOD-{seed}-0", 1,
                          "email", "courtesy", "sent", "", None, None, 100, "me", "", "<m@x>"])


def _plans(wb, rnd: random.Random) -> None:
    _sheet(wb, rnd, "Plans", PLAN_COLUMNS, skip=0.6, rows=4, first=0, most=4,
           wrong=lambda: rnd.choice([1e308, "nan", "inf", 10**9, -1, "yearly?", "TBD", 0, *ERRORS, *FORMULAS]),
           row=lambda k: ["G1-0", "Good Customer 0", 1200, 0.05, 12, "monthly", AS_OF, "GBP", "active"])


def _customers(wb, rnd: random.Random, seed: int) -> None:
    _sheet(wb, rnd, "Customers", CUSTOMER_COLUMNS, skip=0.5, rows=4, first=2, most=3, wrong=lambda: _wrong(rnd),
           row=lambda k: [f"G{seed}-{k}", f"Good Customer {k}", "Ann", f"g{k}@example.com", "", "1 Street", "en",
                          "Europe/London", "business", "no", None])


def verdict(code: int | None, out: str, err: str, documents: list[str]) -> str | None:
    """None when ``age --json`` did what it must with the case; else the kind of failure."""
    if code not in (0, 1):
        return f"exit {code}: {err.strip()[-200:]}"
    try:
        report = json.loads(out)
    except ValueError:
        return "no JSON on stdout"
    cellless = [e for e in report.get("errors", []) if not CELL.match(str(e.get("cell", "")))]
    if cellless:
        return f"a problem without its cell: {cellless[0]}"
    seen = {i.get("document") for i in report.get("invoices", [])}
    missing = [d for d in documents if d not in seen]
    if missing:
        return f"good row not aged: {missing[0]}"
    odd = [line for line in err.splitlines() if line.strip() and not re.match(r"^[^:]+\.xlsx:.+![A-Z]{1,3}[0-9]+: ", line)]
    if odd:
        return f"a stderr line that is not BOOK:Sheet!A1: message: {odd[0][:200]}"
    return None


def kind(failure: str) -> str:
    """A failure's kind, for the campaign's summary: its first words, and the warning and where it comes from."""
    warning = re.search(r"(addin/\S+?:\d+): (\w+Warning)", failure)
    head = re.sub(r"[:(].*", "", failure).strip()
    return f"{head} ({warning.group(2)} at {warning.group(1)})" if warning else head


def campaign(folder: Path, seeds, *, memory: int, timeout: float, workers: int = 1) -> list[tuple[int, str | None, object]]:
    """(seed, failure or None, harness Outcome) for each seed: its book written, then aged as JSON."""
    from tests.campaigns.harness import run_cases

    folder.mkdir(parents=True, exist_ok=True)
    cases, planted = [], {}
    for seed in seeds:
        path, documents = book(folder / f"case-{seed}.xlsx", seed)
        cases.append((str(seed), ["age", str(path), "--as-of", AS_OF.isoformat(), "--json"]))
        planted[str(seed)] = documents
    results = []
    for o in run_cases(cases, memory=memory, timeout=timeout, workers=workers):
        if o.failure:
            failure = f"{o.failure} {_where(o.detail)}" if o.failure == "traceback" else o.failure
        elif o.detail:                                   # the CLI caught what escaped and logged it
            failure = f"unexpected error {_where(o.detail)}"
        else:
            failure = verdict(o.code, o.out, o.err, planted[o.case])
        results.append((int(o.case), failure, o))
    return results


def _where(detail: str) -> str:
    """``ExcType at addin/file.py:line``: the last line of a traceback and its innermost frame in addin."""
    frames = re.findall(r'File "[^"]*?(addin/[^"]+)", line (\d+)', detail)
    raised = re.findall(r"^([A-Za-z_][\w.]*(?:Error|Exception|Operation|Warning))\b", detail, re.MULTILINE)
    what = raised[-1] if raised else "an exception"
    return f"{what} at {frames[-1][0]}:{frames[-1][1]}" if frames else what
