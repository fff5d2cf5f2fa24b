"""The close as a controller reads it in a terminal, and as `arcollect close --json` prints it."""
from __future__ import annotations

from decimal import Decimal

from ..core.buckets import oldest_share_label
from ..core.money import format_plain
from .close import CloseResult, CurrencyClose


def _num(v: Decimal | None):
    return None if v is None else str(v)


def currency_report(c: CurrencyClose) -> dict:
    """One currency's figures: money as decimal strings, days and percentages as decimal strings too."""
    cur, rf, k = c.currency, c.rollforward, c.kpis

    def money(minor):
        return None if minor is None else format_plain(minor, cur)

    p = c.provision
    return {"currency": cur, "dso": _num(k.dso), "countback_dso": _num(k.countback_dso),
            "best_possible_dso": _num(k.best_possible_dso), "add": _num(k.add), "cei": _num(k.cei),
            "pct_over_90": _num(k.pct_over_90), "credit_sales": money(c.sales), "credit_sales_from": c.sales_source,
            "provision": {"total": money(p and p.total), "by_bucket": {b: money(v) for b, v in p.by_bucket.items()}
                          if p else {}, "previous": money(p and p.previous), "movement": money(p and p.movement),
                          "rates": {b: str(r) for b, r in p.rates.items()} if p else {},
                          "rates_from": p.source if p else None},
            "rollforward": {"opening": money(rf.opening), "invoiced": money(rf.invoiced),
                            "received": money(rf.received), "credited": money(rf.credited), "written_off": money(rf.written_off),
                            "closing": money(rf.closing), "difference": money(rf.difference),
                            "unexplained_items": rf.unexplained_items},
            "aging": {b: money(v) for b, v in c.totals.items()},
            "roll_rates": {b: _num(v) for b, v in c.roll_rates.items()}}


def changed_counts(r: CloseResult) -> dict:
    """What Changed about customers, counted: levels moved (up, down), plans completed and broken, History rows
    since the last run (None where there is nothing to compare with)."""
    c = r.customers
    moved = c.moved if c else None
    plans = [] if c is None else [now for *_, now in c.plans]
    return {"levels_up": None if moved is None else int((moved["now"] > moved["before"]).sum()),
            "levels_down": None if moved is None else int((moved["now"] < moved["before"]).sum()),
            "plans_completed": plans.count("completed"), "plans_broken": plans.count("broken"),
            "last_run": c.last_run if c else None,
            "since_last_run": None if c is None or c.since_run is None else len(c.since_run),
            "worklist_changed": None if c is None or c.worklist is None else len(c.worklist)}


def close_report(r: CloseResult) -> dict:
    """The `--json` document: the home currency's figures at the top, every currency under by_currency."""
    by = {cur: currency_report(c) for cur, c in r.currencies.items()}
    top = by.get(r.home) or next(iter(by.values()), {"currency": r.home})
    return {"as_of": r.as_of.isoformat(), "period": r.period.label, "period_start": r.period.start.isoformat(),
            "opening_from": r.opening_from, **top, "by_currency": by, "changed": changed_counts(r),
            "sheets": r.written,
            "log": str(r.log) if r.log else None, "files": [str(f) for f in r.files],
            "thank_you_drafts": len(r.thanked.entries) if r.thanked else 0,
            "statements": len(r.statements), "statements_file": str(r.statements_file) if r.statements_file else None,
            "errors": [{"cell": p.cell, "message": p.message} for p in r.problems]}


def _grouped(amount: str | None) -> str | None:
    """A decimal string as a reader reads money (4,345,207.59); the JSON keeps the plain string."""
    return None if amount is None else f"{Decimal(amount):,}"


def close_text(r: CloseResult) -> str:
    """The pack's figures per currency, in the order a controller checks them."""
    lines = [f"Close {r.period.label} as of {r.as_of.isoformat()} ({r.period.days} days); opening from "
             f"{r.opening_from}"]
    for c in r.currencies.values():
        rep = currency_report(c)
        rf = {k: _grouped(v) if k != "unexplained_items" else v for k, v in rep["rollforward"].items()}
        lines += ["", f"{c.currency}",
                  f"  Opening {rf['opening']:>16}", f"  + Invoiced {rf['invoiced']:>13}",
                  f"  - Received {rf['received']:>13}", f"  - Credited {rf['credited']:>13}",
                  f"  - Written off {rf['written_off']:>10}", f"  = Closing {rf['closing']:>14}"]
        if c.rollforward.difference:
            lines.append(f"  Difference {rf['difference']:>13}  ({c.rollforward.unexplained_items} item(s) left the "
                         f"book with no payment, credit or write-off recorded: see What Changed)")
        oldest = oldest_share_label(r.buckets).removesuffix(" days")
        lines.append("  " + "   ".join(f"{label} {rep[key] if rep[key] is not None else 'n/a'}" for label, key in (
            ("DSO", "dso"), ("count-back", "countback_dso"), ("best possible", "best_possible_dso"),
            ("ADD", "add"), ("CEI", "cei"), (oldest, "pct_over_90"))))
        lines.append(f"  Credit sales {_grouped(rep['credit_sales'])} ({c.sales_source})")
        prov = rep["provision"]
        if prov["total"] is not None:
            move = f", movement {_grouped(prov['movement'])}" if prov["movement"] is not None else ""
            lines.append(f"  Provision {_grouped(prov['total'])}{move} (rates from {c.provision.source})")
        else:
            lines.append("  Provision not computed: no loss rates given, and the kept closes do not yet give every roll rate and the write-off rate")
    n = changed_counts(r)
    levels = ("levels: no earlier levels to compare" if n["levels_up"] is None
              else f"{n['levels_up']} customer(s) moved up a level, {n['levels_down']} down")
    run = (f"{n['since_last_run']} History row(s) since the last run ({n['last_run']})" if n["last_run"]
           else "no run recorded")
    if n["worklist_changed"] is not None:
        run += f", {n['worklist_changed']} customer(s) changed on its worklist"
    lines.append(f"\nWhat Changed: {levels}; {n['plans_completed']} plan(s) completed, {n['plans_broken']} broken; "
                 f"{run}")
    if r.thanked and (r.thanked.entries or r.thanked.skipped):
        lines.append(f"\nDrafted {len(r.thanked.entries)} thank-you note(s) for customers who settled"
                     + (f" ({r.thanked.skipped} drafted before)" if r.thanked.skipped else ""))
    if r.statements:
        lines.append(f"Wrote {len(r.statements)} statement(s) of account; all of them in one file: {r.statements_file}")
    return "\n".join(lines)


def summary_sections(r: CloseResult) -> tuple[list[str], list[tuple[str, list[list]]]]:
    """(currency columns, sections of rows) for the one-page PDF: roll-forward, aging, KPIs, provision."""
    reps = [currency_report(c) for c in r.currencies.values()]

    def rows(pairs, get):
        return [[label, *(get(rep, key) for rep in reps)] for label, key in pairs]

    roll = rows([("Opening", "opening"), ("+ Invoiced", "invoiced"), ("- Received", "received"),
                 ("- Credited", "credited"), ("- Written off", "written_off"), ("= Closing", "closing"),
                 ("Difference", "difference")], lambda rep, k: _grouped(rep["rollforward"][k]))
    aging = rows([(b, b) for b in [*r.buckets, "Unapplied", "Total"]], lambda rep, k: _grouped(rep["aging"][k]))
    kpis = rows([("Credit sales", "credit_sales"), ("DSO (days)", "dso"), ("Count-back DSO", "countback_dso"),
                 ("Best possible DSO", "best_possible_dso"), ("Average days delinquent", "add"), ("CEI (%)", "cei"),
                 (oldest_share_label(r.buckets), "pct_over_90")],
                lambda rep, k: _grouped(rep[k]) if k == "credit_sales" else rep[k])
    prov = rows([("Provision", "total"), ("At the previous close", "previous"), ("Movement", "movement")],
                lambda rep, k: _grouped(rep["provision"][k]))
    prov += rows([("Loss rates (%)", "rates"), ("Rates from", "rates_from")], lambda rep, k: (
        ", ".join(rep["provision"]["rates"].values()) if k == "rates" else rep["provision"][k]) or None)
    return [rep["currency"] for rep in reps], [("Roll-forward", roll), ("Aging at the close", aging),
                                               ("KPIs (Credit Research Foundation)", kpis),
                                               ("Expected credit loss (provision matrix)", prov)]
