"""The close's sheets as rows: Close Summary, Close Migration, What Changed and the ledger of closes.

Each function takes the close's result and returns (columns, rows, write
options); money is written as exact decimals at the currency's scale, days
and percentages to one decimal as the KPIs round them.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.buckets import oldest_share_label
from ..core.close.rollforward import CLEARED, NEW
from ..core.money import from_minor
from .chart import Chart
from .closebook import LEDGER, Closed
from .owned import _money
from .xlsx_xml import MAX_ROWS, Column, Columns, col_letter

NUMBER = "#,##0.00"


def _m(minor, currency):
    return None if minor is None else from_minor(int(minor), currency)


def summary(result, kept=()):
    """Measures down, currencies across: roll-forward, aging, KPIs, provision, the DSO of each period closed;
    native charts of the home currency's aging, provision by bucket and DSO trend beside them."""
    curs = list(result.currencies.values())
    columns = [Column("Measure", 44)] + [Column(c.currency, 16, NUMBER) for c in curs]
    rows: list[list] = []

    def line(label, values):
        rows.append([label, *values])

    def each(fn):
        return [fn(c) for c in curs]

    line(f"Period {result.period.label}", [])
    line(f"As of {result.as_of.isoformat()} ({result.period.days} days)", [])
    line(f"Opening from {result.opening_from}", [])
    line("Roll-forward", [])
    for label, attr in (("Opening balance", "opening"), ("+ Invoiced", "invoiced"), ("− Received", "received"),
                        ("− Credited", "credited"), ("− Written off", "written_off"), ("= Closing balance", "closing"),
                        ("Difference (unexplained)", "difference")):
        line(label, each(lambda c, a=attr: _m(getattr(c.rollforward, a), c.currency)))
    line("Items that left the book unexplained", each(lambda c: c.rollforward.unexplained_items))
    line("Aging at the close", [])
    first = len(rows) + 2                      # sheet row of the first bucket (row 1 is the header)
    for b in result.buckets:
        line(b, each(lambda c, b=b: _m(c.totals[b], c.currency)))
    line("Unapplied", each(lambda c: _m(c.totals["Unapplied"], c.currency)))
    line("Total", each(lambda c: _m(c.totals["Total"], c.currency)))
    line("KPIs (Credit Research Foundation)", [])
    line("Credit sales", each(lambda c: _m(c.sales, c.currency)))
    for label, attr in (("DSO (days)", "dso"), ("Count-back DSO (days)", "countback_dso"),
                        ("Best possible DSO (days)", "best_possible_dso"), ("Average days delinquent", "add"),
                        ("CEI (%)", "cei"), (oldest_share_label(result.buckets), "pct_over_90")):
        line(label, each(lambda c, a=attr: getattr(c.kpis, a)))
    line("Expected credit loss (provision matrix)", [])
    allowance = None                           # sheet row of the first bucket's loss allowance
    if any(c.provision is not None for c in curs):
        allowance = len(rows) + 2
        for b in result.buckets:
            line(f"Loss allowance {b}", each(lambda c, b=b: c.provision and _m(c.provision.by_bucket[b], c.currency)))
        line("Provision", each(lambda c: c.provision and _m(c.provision.total, c.currency)))
        line("Provision at the previous close", each(lambda c: c.provision and _m(c.provision.previous, c.currency)))
        line("Movement", each(lambda c: c.provision and _m(c.provision.movement, c.currency)))
        line("Loss rates (%), Current first", each(lambda c: c.provision and ", ".join(
            str(c.provision.rates.get(b, 0)) for b in result.buckets)))
        line("Loss rates from", each(lambda c: c.provision and c.provision.source))
    else:
        line("Not computed: give Settings' Loss rates or --loss-rates (or keep closes to derive them)", [])
    line("DSO by period (days)", [])
    trend = len(rows) + 2                      # sheet row of the oldest period's DSO
    for period, by_currency in dso_trend(result, kept):
        line(period, each(lambda c: by_currency.get(c.currency)))
    if not curs:
        return columns, rows, {}
    home = next((k for k, c in enumerate(curs) if c.currency == result.home), 0)
    cur, letter = curs[home].currency, col_letter(2 + home)
    buckets = f"$A${first}:$A${first + len(result.buckets) - 1}"

    periods = len(rows) + 2 - trend
    specs = [(f"Receivables by age at {result.as_of.isoformat()} ({cur})", buckets, first, len(result.buckets))]
    if allowance is not None:
        specs.append((f"Provision by bucket at {result.as_of.isoformat()} ({cur})", buckets, allowance,
                      len(result.buckets)))
    specs.append((f"DSO by period ({cur})", f"$A${trend}:$A${trend + periods - 1}", trend, periods))
    charts = [Chart(title=title, categories=categories, values=f"${letter}${top}:${letter}${top + n - 1}",
                    series_name=cur, anchor=f"{col_letter(len(columns) + 2)}{2 + 18 * k}")
              for k, (title, categories, top, n) in enumerate(specs)]
    return columns, rows, {"chart": charts}


def dso_trend(result, kept) -> list[tuple[str, dict]]:
    """(period, {currency: DSO}) for every period closed before this one, oldest first, then this one."""
    earlier: dict[str, dict] = {}
    for c in sorted((c for c in kept if c.as_of < result.as_of), key=lambda c: c.as_of):
        earlier.setdefault(c.period, {})[c.currency] = c.figures.get("DSO")
    return [*earlier.items(), (result.period.label, {c.currency: c.kpis.dso for c in result.currencies.values()})]


def migration(result):
    """Per currency: the balance of each bucket at the previous close by where it is now, and its roll rate."""
    cols = [*result.buckets, "Unapplied", CLEARED]
    columns = ([Column("Currency", 9), Column("Bucket Before", 14)] + [Column(c, 14, NUMBER) for c in cols]
               + [Column("Total Before", 14, NUMBER), Column("Roll Rate %", 11, "0.0")])
    rows = []
    for c in result.currencies.values():
        for bucket in [*result.buckets, "Unapplied", NEW]:
            values = c.migration.loc[bucket, cols] if bucket in c.migration.index else pd.Series(0, index=cols)
            rows.append([c.currency, bucket, *(_m(v, c.currency) for v in values),
                         _m(values.sum(), c.currency) if bucket != NEW else None, c.roll_rates.get(bucket)])
    return columns, rows, {"table": "CloseMigration"}


def _kind(t: pd.DataFrame) -> np.ndarray:
    """What happened to each moved item, in the controller's words."""
    return np.select(
        [t["gone"], t["new"], t["written_off"] != 0, t["credited"] != 0, t["closing"] == 0,
         t["closing"] != t["before"]],
        ["left the book (unexplained)", "new", "written off", "voided or credited", "settled", "part settled"],
        "aged")


CHANGE_MONEY = ("before", "closing", "received", "credited", "written_off")


def _customer_rows(result) -> list[pd.DataFrame]:
    """Promises due in the period, levels moved, plans completed or broken, History since the last run."""
    p, c, name = result.promises, result.customers, result.names
    out = [pd.DataFrame({
        "change": np.where(p["kept"].to_numpy(dtype=bool), "promise kept", "promise broken"),
        "customer": [name.get(k, k) for k in p["customer_key"]], "currency": p["currency"].to_numpy(),
        "document": ["promised for " + d.date().isoformat() for d in p["promise_date"]],
        "before": p["promise_minor"].to_numpy(dtype="float64")})]
    if c is None:
        return out
    if c.moved is not None:
        m = c.moved
        out.append(pd.DataFrame({
            "change": np.where(m["now"] > m["before"], "level up", "level down"),
            "customer": [name.get(k, k) for k in m["customer_key"]], "currency": m["currency"].to_numpy(),
            "detail": [f"level {b} at the previous close, " + (f"{n} now" if o else "nothing open now")
                       for b, n, o in zip(m["before"], m["now"], m["open_now"])]}))
    if c.plans:
        out.append(pd.DataFrame({
            "change": [f"plan {now}" for *_, now in c.plans], "customer": [r[1] for r in c.plans],
            "currency": [r[2] for r in c.plans], "document": [f"Plans row {r[0]}" for r in c.plans],
            "detail": [f"{was or 'not tracked'} at the previous close, {now} now" for *_, was, now in c.plans]}))
    if c.since_run is not None and len(c.since_run):
        h = c.since_run
        out.append(pd.DataFrame({
            "change": "since the last run: " + h["action"].astype(str), "customer": h["customer"].to_numpy(),
            "currency": h["currency"].to_numpy(), "document": h["document"].to_numpy(),
            "before": np.where(h["action"] == "promise", h["promise_minor"], np.nan),
            "detail": [f"History row {r}" + (f": {o}" if o else "") + (f" (after {c.last_run})" if c.last_run else "")
                       for r, o in zip(h["row"], h["outcome"])]}))
    if c.worklist is not None and len(c.worklist):
        w = c.worklist
        out.append(pd.DataFrame({
            "change": "since the last run: worklist", "customer": w["customer"].to_numpy(),
            "currency": w["currency"].to_numpy(),
            "detail": [f"{was or 'not on it'} at the last run, " + (f"{now} now" if now else "nothing open now")
                       + (f": {why}" if now and why else "")
                       for was, now, why in zip(w["was"], w["now"], w["reason"])]}))
    return out


def changes(result):
    """Every item whose balance moved since the previous close (new, settled, part settled, voided, written
    off, left the book) and how (received, credited, written off); then the promises due in the period, the
    customers whose level moved, the plans completed or broken, and what History logged since the last run.
    Items that only aged a bucket are counted on Close Migration, not listed: at month end that is most of
    the book."""
    t = result.changes
    columns = [Column("Change", 26), Column("Customer", 28), Column("Currency", 9), Column("Document", 24),
               Column("Before", 14, "money"), Column("Now", 14, "money"), Column("Received", 14, "money"),
               Column("Credited", 14, "money"), Column("Written Off", 14, "money"),
               Column("Bucket Before", 13), Column("Bucket Now", 13), Column("Detail", 50)]
    t = t.assign(change=_kind(t))
    t = t.loc[t["change"] != "aged"].sort_values(["change", "customer", "document"], kind="stable")
    t = t.assign(before=t["before"].where(~t["new"].astype(bool)),
                 bucket_before=t["bucket_before"].where(~t["new"].astype(bool), ""),
                 bucket_now=t["bucket_now"].where(t["closing"] != 0, ""))
    both = pd.concat([t, *_customer_rows(result)], ignore_index=True)
    if len(both) >= MAX_ROWS:      # a sheet holds 1,048,575 rows
        result.notes.append(f"What Changed lists the first {MAX_ROWS - 1:,} of {len(both):,} changes (more than a "
                            f"sheet holds)")
        both = both.head(MAX_ROWS - 1)
    cur = both["currency"].fillna("")
    money = {c: np.where(both[c].notna(), _money(both[c].fillna(0).astype("int64"), cur), np.nan)
             for c in CHANGE_MONEY}
    text = {c: both[c].fillna("") if c in both else pd.Series("", index=both.index)
            for c in ("document", "bucket_before", "bucket_now", "detail")}
    return columns, Columns([
        both["change"], both["customer"], cur, text["document"], *(money[c] for c in CHANGE_MONEY),
        text["bucket_before"], text["bucket_now"], text["detail"]]), {"table": "WhatChanged"}


def _ledger_row(c, result, snapshot: str) -> list:
    k, rf, cur = c.kpis, c.rollforward, c.currency
    return [result.period.label, result.period.start, result.as_of, cur, snapshot,
            *(_m(v, cur) for v in (rf.opening, rf.invoiced, rf.received, rf.credited, rf.written_off,
                                   rf.closing, rf.difference, c.sales, c.totals[result.buckets[0]],
                                   c.totals[result.buckets[-1]])),
            k.dso, k.countback_dso, k.best_possible_dso, k.add, k.cei, k.pct_over_90,
            c.provision and _m(c.provision.total, cur),
            ", ".join(str(c.provision.rates[b]) for b in result.buckets) if c.provision else "",
            ", ".join("" if v is None else str(v) for v in c.roll_rates.values()), c.write_off_rate]


def _kept_row(c: Closed) -> list:
    fig = c.figures
    return [c.period, c.start, c.as_of, c.currency, c.snapshot] + [
        _m(fig.get(col.header), c.currency) if col.fmt == "money" else fig.get(col.header) for col in LEDGER[5:]]


def ledger(kept: list[Closed], result, snapshot: str):
    """(rows, chart): every close so far, this one's rows replacing its period's; the home currency first,
    oldest period first, so the DSO trend chart reads one block of rows."""
    rows = [_kept_row(c) for c in kept] + [_ledger_row(c, result, snapshot) for c in result.currencies.values()]
    rows.sort(key=lambda r: (r[3] != result.home, r[3], r[2]))
    n = sum(1 for r in rows if r[3] == result.home) or 1
    dso = col_letter(1 + [c.header for c in LEDGER].index("DSO"))
    chart = Chart(title=f"DSO by period ({result.home})", categories=f"$A$2:$A${n + 1}",
                  values=f"${dso}$2:${dso}${n + 1}", series_name="DSO", anchor=f"{col_letter(len(LEDGER) + 2)}2")
    return rows, chart


def effectiveness(result):
    """Per level and template: customers contacted, paid after, the share, the median days, paid within 14."""
    e = result.effectiveness
    columns = [Column("Level", 7, "int"), Column("Template", 20), Column("Customers Contacted", 12, "int"),
               Column("Paid After", 11, "int"), Column("Paid %", 9, "0.0"), Column("Median Days To Pay", 12, "0.0"),
               Column("Paid Within 14 Days", 12, "int")]
    rows = [[int(r.level), r.template, int(r.contacted), int(r.paid),
             round(100 * int(r.paid) / int(r.contacted), 1) if r.contacted else None,
             None if r.median_days != r.median_days else float(r.median_days), int(r.within_14_days)]
            for r in e.itertuples(index=False)]
    return columns, rows, {"table": "CollectionEffectiveness"}


def risk(result):
    """Every customer with a balance, the riskiest first — the order to call them in — with the reasons for its
    score, its level and what this close's decision does about it; run orders Actions by these scores."""
    columns = [Column("Customer Key", 14), Column("Customer", 28), Column("Currency", 9), Column("Score", 7, "int"),
               Column("Why", 110), Column("Level", 7, "int"), Column("Next Action", 40), Column("Period", 10)]
    d, c = result.decisions, result.customers
    action = {} if d is None else {(k, cur): f"{a}: {why}" for k, cur, a, why in zip(
        *(d[f].tolist() for f in ("customer_key", "currency", "action", "reason")))}   # lists: Arrow iterates slowly
    level = {} if c is None else dict(zip(zip(*(c.levels[f].tolist() for f in ("customer_key", "currency"))),
                                          c.levels["level"].tolist()))
    rows = [[r.customer_key, result.names.get(r.customer_key, ""), r.currency, r.score, r.why,
             level.get((r.customer_key, r.currency)), action.get((r.customer_key, r.currency), ""),
             result.period.label] for r in result.risks]
    return columns, rows, {"table": "PaymentRisk"}


def emails(pending: pd.DataFrame, approved: set[str]):
    """The close's emails that are not reminders (statements, thank-you notes) waiting to be sent, one row each,
    to approve one by one: a tick in Approve sends that message at the next send (send --approve-all sends
    them all). A tick given before survives the sheet's rewrite, by the message's Message-ID."""
    columns = [Column("Kind", 11), Column("Customer Key", 14), Column("Customer", 28), Column("Currency", 9),
               Column("Amount Due", 14, "money"), Column("Drafted", 12, "date"), Column("Draft", 50),
               Column("Message-ID", 44), Column("Approve", 9)]
    p = pending.sort_values(["template", "customer", "currency"], kind="stable")
    ids = p["message_id"].tolist()
    return columns, Columns([[t.replace("_", " ") for t in p["template"]], p["customer_key"].tolist(),
                             p["customer"].tolist(), p["currency"].tolist(),
                             _money(p["amount_minor"], p["currency"]), p["date"].to_numpy(),
                             p["document"].tolist(), ids, ["yes" if i in approved else "" for i in ids]]), \
        {"table": "CloseEmails"}
