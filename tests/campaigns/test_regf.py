"""Reg F (12 CFR 1006) over simulated months: daily refresh, a clerk calling and logging, an independent checker.

A consumer book (regF profile, customers across US time zones, one with no
zone and one with a zone that does not exist) with a phone-heavy ladder - a
call level for every day from 2 to 9 days past due, so that escalating one
level a day calls eight days running - is refreshed once a simulated day at
a seeded random hour of the US working day, early or late
(``addin.app.refresh``). The simulated clerk then makes every call the
run put on the call sheet and logs it (``addin.app.log_contact``): no
answer (sometimes tried again within the hour), a conversation, a promise to
pay, a dispute, a payment, a cease request; now and then a dispute is
resolved. Each day the approved emails go to an aiosmtpd server on loopback
(``addin.app.send``) an hour after the run; those it holds (night at the
customer's, or no known zone) wait for a later day's send.

The checker reads only History, the call sheets and the time zones this test
gave the customers, and applies the rules as the regulation words them: a
call is a breach when 7 attempts were already made in the 7 days ending that
day, when a conversation took place in the 7 days starting with its day, or
when it falls outside 08:00-21:00 at the customer's local time (or the zone
is unknown); any contact is a breach after a cease request, or after a
dispute not yet resolved. ``bench/campaign_regf.py`` runs 90 days, several seeds.
"""
from __future__ import annotations

import html
import random
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from addin.app import log_contact, refresh, send
from addin.cli import _print_send
from addin.workbook.template import build_workbook
from tests.files.workload import SmtpServer, history

START = date(2026, 9, 1)
ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Phoenix",
         "America/Anchorage", "Pacific/Honolulu", "", "Mars/Olympus_Mons")
LADDER = [(1, "Courtesy", -5, 0, "email", "courtesy"), (2, "Reminder", 1, 0, "email + phone", "reminder"),
          *[(3 + i, f"Call {i + 1}", 3 + i, 1, "phone + sms" if i == 2 else "phone", "second_notice")
            for i in range(7)],
          (10, "Final demand", 30, 3, "email + letter + phone", "final_demand"),
          (11, "Handover", 60, 7, "letter", "handover")]
CONVERSATIONS = ("promise", "dispute", "cease", "paid", "plan")   # logged by phone: the clerk spoke to them
RESOLVED_BY = ("paid", "note", "plan")
NEVER_ANSWERS = "C001"      # rings out every time, and the clerk always tries again: the 7-in-7 limit is reached
WINDOW = (time(8), time(21))
DAYS, SEED = 14, 3          # the short simulation (bench/campaign_regf.py: 90 days, several seeds)


def consumer_book(folder: Path, customers: int, ladder=LADDER) -> tuple[Path, dict[str, str]]:
    """The regF book, and each customer's time zone as this test set it."""
    receivables, people, zones = [], [], {}
    for i in range(1, customers + 1):
        cid, zone = f"C{i:03d}", ZONES[(i - 1) % len(ZONES)]
        zones[cid] = zone
        for j in range(1 + i % 2):                      # every other customer owes two debts
            due = START - timedelta(days=i % 4 + 3 * j)     # overdue from the start, a few days apart
            receivables.append([cid, f"Consumer {i:03d}", f"Pat {i}", f"pat{i}@home{i}.example",
                                f"+1 212 555 {i:04d}", f"INV-{i:03d}-{j}", due - timedelta(days=30), due,
                                150 + 35 * i + 20 * j, 0, None, "USD", "open", None, "consumer", "en", ""])
        people.append([cid, f"Consumer {i:03d}", f"Pat {i}", f"pat{i}@home{i}.example", f"+1 212 555 {i:04d}",
                       f"{i} Main Street\nSpringfield", "en", zone, "consumer", "no", None])
    path = build_workbook(folder / "consumer.xlsx", receivables, people, settings={
        "Regulation profile": "regF", "Locale": "en_US", "Currency": "USD", "From": "ar@northwind.example",
        "Tolerance": Decimal("1.00")})
    wb = load_workbook(path)                             # our own new file: the ladder set with openpyxl
    ws = wb["Policy"]
    ws.delete_rows(2, ws.max_row)
    for level in ladder:
        ws.append([*level, 0, "yes" if level[1] == "Handover" else "no"])
    ws.tables["Policy"].ref = f"A1:H{len(ladder) + 1}"
    wb.save(path)
    return path, zones


@dataclass
class Simulation:
    """What was done, and what the checker found."""
    days: int
    seed: int
    counts: Counter = field(default_factory=Counter)
    breaches: list[tuple[str, str]] = field(default_factory=list)


def smtp_environ(port: int) -> dict[str, str]:
    return {"ARCOLLECT_SMTP_HOST": "127.0.0.1", "ARCOLLECT_SMTP_PORT": str(port), "ARCOLLECT_SMTP_TLS": "none"}


def simulate(folder: Path, *, days: int, seed: int, customers: int, smtp_port: int) -> Simulation:
    rng = random.Random(seed)
    book, zones = consumer_book(folder, customers)
    sim = Simulation(days, seed)
    environ = smtp_environ(smtp_port)
    disputed: set[str] = set()
    for n in range(days):
        day = START + timedelta(days=n)
        # the office runs it during the US day, early or late: 11:00-04:00 UTC
        now = datetime.combine(day, time(), UTC) + timedelta(minutes=rng.randrange(11 * 60, 28 * 60))
        result = refresh(book, as_of=day, today=day, now=now)
        calls = [e.customer_id for e in result.drafts.entries if e.channel == "phone"] if result.drafts else []
        sim.counts["runs"] += 1
        sim.counts["calls scheduled"] += len(calls)
        for k, customer in enumerate(calls):
            at = now + timedelta(minutes=3 * k + 1)
            outcome = "no-answer" if customer == NEVER_ANSWERS else rng.choices(
                ["no-answer", "called", "promise", "dispute", "paid", "cease"], [42, 20, 14, 10, 7, 7])[0]
            extra = {}
            if outcome == "promise":
                extra = dict(when=day + timedelta(days=rng.randint(1, 10)), amount=Decimal("50.00"))
            elif outcome == "paid":
                extra = dict(amount=Decimal("25.00"))
            log_contact(book, customer, outcome, now=at, **extra)
            sim.counts[f"logged {outcome}"] += 1
            if outcome == "dispute":
                disputed.add(customer)
            if outcome == "no-answer" and (customer == NEVER_ANSWERS or rng.random() < 0.3):  # again, same hour
                log_contact(book, customer, "no-answer", now=at + timedelta(minutes=40), again=True)
                sim.counts["logged no-answer"] += 1
        sent = send(book, approve_all=True, now=now + timedelta(hours=1), today=day, environ=environ)
        sim.counts["emails sent"] += len(sent.report.sent) if sent.report else 0
        sim.counts["emails held (local night, unknown zone)"] += len(sent.held)
        for customer in sorted(disputed):
            if rng.random() < 0.15:              # looked into and settled, after the day's send
                log_contact(book, customer, "note", now=now + timedelta(hours=2), reason="dispute resolved",
                            channel="email")
                disputed.discard(customer)
                sim.counts["disputes resolved"] += 1
    sim.breaches = check(book, zones, folder / "consumer outbox")
    sim.counts["most call attempts in 7 days"] = attempt_peak(history(book))
    return sim


# --------------------------------------------------------------------------- the independent checker


def _at(row) -> datetime:
    return datetime.strptime(str(row["Timestamp (UTC)"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _run_day(row) -> str:
    """The as-of day of the run that drafted ``row`` ('run-20260908-014800Z'): the call sheet's name."""
    d = str(row["Run ID"]).split("-")[1]
    return f"{d[:4]}-{d[4:6]}-{d[6:]}"


def _local(zone: str, at: datetime) -> datetime | None:
    try:
        return at.astimezone(ZoneInfo(zone)) if zone else None
    except (ValueError, KeyError, OSError):
        return None


def listed_on_call_sheets(outbox: Path) -> Counter:
    """(day, customer number) of every call a call sheet lists: a card headed "Name (C001) - USD - level 3"."""
    found = Counter()
    for sheet in outbox.glob("call-sheet-*.html"):
        day = sheet.stem.removeprefix("call-sheet-")
        listed = html.unescape(sheet.read_text(encoding="utf-8")).partition("<h1>Not to be called now</h1>")[0]
        for number in re.findall(r"<h2>[^<]*<span[^>]*>\((C\d{3})\) - ", listed):
            found[(day, number)] += 1
    return found


RULES = ("frequency", "conversation", "time of day", "dispute", "cease", "call sheets")


def _attempts(rows) -> dict[str, list[date]]:
    """Per customer, the days of its call attempts: every call logged by phone, answered or not."""
    days = defaultdict(list)
    for r in rows:
        if r["Channel"] == "phone" and r["Action"] in ("called", *CONVERSATIONS):
            days[r["Customer ID"]].append(_at(r).date())
    return days


def attempt_peak(rows) -> int:
    """The most call attempts any customer had in 7 consecutive days (the clerk's retries included)."""
    return max((sum(0 <= (d - a).days <= 6 for a in mine) for mine in _attempts(rows).values() for d in mine),
               default=0)


def check(book: Path, zones: dict[str, str], outbox: Path) -> list[tuple[str, str]]:
    """Every breach History shows, as (rule, what happened): frequency, conversation, time of day, dispute, cease.

    "call sheets": a call drafted in History and not on that day's call sheet, or the other way round.
    """
    rows = sorted(history(book), key=_at)
    breaches = []
    by_customer = defaultdict(list)
    for r in rows:
        by_customer[r["Customer ID"]].append(r)
    for customer, mine in by_customer.items():
        attempts, conversations = [], []
        ceased, disputed = None, None
        for r in mine:
            at, action, channel = _at(r), r["Action"], r["Channel"]
            # contacts made when logged: calls when drafted (the clerk works the call sheet at once), emails
            # when sent; drafted letters and texts are contacts too, mailed or uploaded some time later
            now_contact = action == "drafted" and channel == "phone" or action == "sent"
            contact = now_contact or action == "drafted" and channel in ("letter", "sms")
            scheduled_call = action == "drafted" and channel == "phone"
            what = f"{customer} {action} by {channel} at {at:%Y-%m-%d %H:%M}Z"
            if contact and ceased is not None:
                breaches.append(("cease", f"{what}: after the cease request of {ceased:%Y-%m-%d %H:%M}Z"))
            if contact and disputed is not None:
                breaches.append(("dispute", f"{what}: during the dispute logged {disputed:%Y-%m-%d %H:%M}Z, "
                                            "not resolved"))
            if scheduled_call:
                day = at.date()
                recent = [a for a in attempts if 0 <= (day - a.date()).days <= 6]
                if len(recent) >= 7:
                    breaches.append(("frequency", f"{what}: an 8th call attempt within 7 days ({len(recent)} already)"))
                talked = [c for c in conversations if 0 <= (day - c.date()).days <= 6]
                if talked:
                    breaches.append(("conversation", f"{what}: within 7 days of the conversation of "
                                                     f"{talked[-1]:%Y-%m-%d %H:%M}Z"))
            if now_contact:
                local = _local(zones.get(customer, ""), at)
                if local is None:
                    breaches.append(("time of day", f"{what}: the customer's local time cannot be known "
                                                    f"(time zone {zones.get(customer)!r})"))
                elif not WINDOW[0] <= local.time() < WINDOW[1]:
                    breaches.append(("time of day", f"{what}: {local:%H:%M} local ({zones[customer]}), "
                                                    "outside 08:00-21:00"))
            if channel == "phone" and action in ("called", *CONVERSATIONS):
                attempts.append(at)
                if action != "called" or str(r["Outcome"]).partition(";")[0].strip() != "no answer":
                    conversations.append(at)
            if action == "cease":
                ceased = at
            elif action == "dispute":
                disputed = at
            elif action in RESOLVED_BY:
                disputed = None
    drafted_calls = Counter((_run_day(r), r["Customer ID"]) for r in rows
                            if r["Action"] == "drafted" and r["Channel"] == "phone")
    listed = listed_on_call_sheets(outbox)
    if +drafted_calls != +listed:
        breaches.append(("call sheets", f"only in History {dict(drafted_calls - listed)}, "
                                        f"only on call sheets {dict(listed - drafted_calls)}"))
    return breaches


@pytest.fixture(scope="module")
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def simulation(tmp_path_factory, smtp):
    sim = simulate(tmp_path_factory.mktemp("regf"), days=DAYS, seed=SEED, customers=9, smtp_port=smtp.port)
    assert sim.counts["calls scheduled"] >= 15 and sim.counts["logged dispute"] and sim.counts["logged cease"], \
        sim.counts
    assert sim.counts["most call attempts in 7 days"] >= 7, sim.counts     # the frequency limit was reached
    return sim


@pytest.mark.parametrize("rule", RULES)
def test_simulated_weeks_of_regf_collections_breach_no_rule(simulation, rule):
    assert [text for r, text in simulation.breaches if r == rule] == []


def _one_customer(tmp_path, ladder=LADDER) -> tuple[Path, dict[str, str]]:
    return consumer_book(tmp_path, 1, ladder)             # C001 in New York, two debts 1 and 4 days overdue


def test_no_call_within_7_days_of_a_promise_made_on_the_phone(tmp_path):
    book, zones = _one_customer(tmp_path)
    day1 = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)                           # 11:00 in New York
    refresh(book, as_of=day1.date(), today=day1.date(), now=day1)            # level 2: email and a call
    log_contact(book, "C001", "promise", now=day1 + timedelta(minutes=5), when=date(2026, 9, 3),
                amount=Decimal("50.00"))                                     # a conversation, by phone
    day4 = day1 + timedelta(days=3)
    refresh(book, as_of=day4.date(), today=day4.date(), now=day4)            # the promise is missed: a call
    assert check(book, zones, tmp_path / "consumer outbox") == []


def test_no_email_is_sent_at_night_local_time(tmp_path, smtp, capsys):
    book, zones = _one_customer(tmp_path, [(1, "Reminder", 1, 0, "email", "reminder")])
    day1 = datetime(2026, 9, 1, 15, 0, tzinfo=UTC)
    refresh(book, as_of=day1.date(), today=day1.date(), now=day1)
    night = datetime(2026, 9, 2, 7, 0, tzinfo=UTC)                           # 03:00 in New York
    sent = send(book, approve_all=True, now=night, today=night.date(),
                environ=smtp_environ(smtp.port))
    assert sent.report is None or not sent.report.sent
    assert check(book, zones, tmp_path / "consumer outbox") == []
    (held,) = sent.held                                                      # kept, and told when it may go
    assert held.not_before == datetime(2026, 9, 2, 12, 0, tzinfo=UTC)       # 08:00 in New York
    assert _print_send(book, sent) == 0                                      # what the clerk reads
    assert ("Held, not sent now: Consumer 001 (USD, level 1): local time 03:00 (America/New_York) is outside "
            "08:00-21:00 (regF); it may go from 2026-09-02 08:00 local (2026-09-02 12:00 UTC): send again then\n"
            "Nothing sent: 1 held; 0 draft(s) waiting") in capsys.readouterr().out
    morning = send(book, approve_all=True, now=held.not_before, today=night.date(),
                   environ=smtp_environ(smtp.port))
    assert len(morning.report.sent) == 1 and not morning.held
    assert check(book, zones, tmp_path / "consumer outbox") == []
