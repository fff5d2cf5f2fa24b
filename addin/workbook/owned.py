"""The sheets arcollect owns and recomputes on every refresh: columns and rows.

Bulk money columns are written from integer minor units divided by the
currency's scale: the shortest repr of that float is the exact decimal
(1234.5 for 123450 cents), which is what lands in the cell's XML.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.dunning import WORKLIST, action_counts
from ..core.money import from_minor, minor_digits
from .chart import Chart
from .xlsx_xml import Column, Columns, Link, col_letter

AGING = [Column("Cell", 16), Column("Customer ID", 12), Column("Customer", 28), Column("Document", 14),
         Column("Currency", 9), Column("Invoice Date", 12, "date"), Column("Due Date", 12, "date"),
         Column("Balance", 14, "money"), Column("Days Past Due", 13, "int"), Column("Bucket", 10),
         Column("Level", 7, "int"), Column("Next Action", 40)]
ACTIONS = [Column("Customer Key", 14), Column("Customer", 28), Column("Currency", 9), Column("Level", 7, "int"),
           Column("Level Name", 18), Column("Channel", 14), Column("Template", 16),
           Column("Total Overdue", 14, "money"), Column("Balance", 14, "money"),
           Column("Oldest Item", 14), Column("Oldest Due", 12, "date"), Column("Days Past Due", 13, "int"),
           Column("Action", 10), Column("Reason", 50), Column("Email", 26), Column("Phone", 16),
           Column("Approve", 9), Column("Document", 40), Column("Risk", 7, "int"), Column("Risk Why", 80)]
ERRORS = [Column("Cell", 22), Column("Problem", 100)]


def _money(minor: pd.Series, currency: pd.Series) -> np.ndarray:
    """Amounts as floats from minor units, each at its currency's scale (looked up once per currency)."""
    codes, currencies = pd.factorize(currency)
    digits = np.array([minor_digits(c) for c in currencies] + [2], dtype="float64")   # -1: no currency
    return minor.to_numpy(dtype="float64") / np.power(10.0, digits[codes])


def aging_rows(aged: pd.DataFrame, cells: np.ndarray, levels: np.ndarray, next_action: np.ndarray) -> Columns:
    """One row per open item, in sheet order, as typed columns (dates as datetime64, NaN days as no cell);
    text stays in its Series until written, a chunk at a time."""
    return Columns([cells, aged["customer_id"], aged["customer"], aged["document"], aged["currency"],
                    aged["invoice_date"].to_numpy(), aged["due_date"].to_numpy(),
                    _money(aged["balance_minor"], aged["currency"]), aged["days_past_due"].to_numpy(dtype="float64"),
                    aged["bucket"], levels, next_action])


def action_rows(decisions: pd.DataFrame, contacts: pd.DataFrame, approvals: dict, documents: dict,
                risk: pd.DataFrame | None = None) -> Columns:
    """The clerk's worklist: customers to contact first, then to review; in each, who most needs a call first
    (the payment-risk score of ``risk``: customer_key, currency, score, why), then the most overdue."""
    todo = decisions.loc[decisions["action"].isin(WORKLIST)].copy()
    todo["_order"] = todo["action"].map({"contact": 0, "review": 1})
    if risk is not None and len(risk):
        todo = todo.merge(risk[["customer_key", "currency", "score", "why"]], on=["customer_key", "currency"],
                          how="left")
    else:
        todo = todo.assign(score=np.nan, why="")
    todo["_risk"] = todo["score"].fillna(-1)
    todo = todo.sort_values(["_order", "_risk", "max_days", "overdue_minor"], ascending=[True, False, False, False],
                            kind="stable")
    keys, currencies = todo["customer_key"].tolist(), todo["currency"].tolist()
    contact = (todo["action"] == "contact").to_numpy()
    level = np.where(contact, todo["level"].to_numpy(dtype="float64"), np.nan)
    key_level = [(k, c, int(v) if v == v else 0) for k, c, v in zip(keys, currencies, level.tolist())]
    email = dict(zip(contacts["customer_key"], contacts["email"]))
    phone = dict(zip(contacts["customer_key"], contacts["phone"]))
    return Columns([
        keys, todo["customer"], currencies, level, todo["level_name"],
        [" + ".join(c) for c in todo["channels"]], todo["template"],
        _money(todo["overdue_minor"], todo["currency"]), _money(todo["balance_minor"], todo["currency"]),
        [d if isinstance(d, str) else "" for d in todo["oldest_document"].tolist()],
        todo["oldest_due"].to_numpy().astype("datetime64[D]"), np.trunc(todo["max_days"].to_numpy(dtype="float64")),
        todo["action"].tolist(), todo["reason"], [email.get(k, "") for k in keys],
        [phone.get(k, "") for k in keys], ["yes" if approvals.get(kl) else "" for kl in key_level],
        [documents.get((k, c), "") for k, c in zip(keys, currencies)],
        todo["score"].to_numpy(dtype="float64"), todo["why"].fillna("").tolist()])


RUN_AT, RUN_ID = "Run at (UTC)", "Run ID"


def summary_sheet(totals: pd.DataFrame, decisions: pd.DataFrame, as_of, problems: int, home: str,
                  edges: tuple[int, ...], run: tuple[str, str] | None = None):
    """(columns, rows, chart): buckets down and currencies across; beside them the counts a clerk acts on, and
    when the run ran (``run``: its UTC timestamp and id — the next close reads them for "since the last run").

    The chart's ranges name no sheet: write_sheet puts them on the sheet it writes, whatever its name.
    """
    currencies = list(totals.index)
    buckets = [b for b in totals.columns if b != "Total"]
    columns = ([Column("Bucket", 14)] + [Column(c, 16, "money") for c in currencies]
               + [Column(" ", 3), Column("Measure", 26), Column("Value", 14)])
    left = [[b] + [from_minor(totals.at[c, b], c) for c in currencies] for b in buckets]
    left.append(["Total"] + [from_minor(totals.at[c, "Total"], c) for c in currencies])
    counts = action_counts(decisions)
    right = [[label, counts[key]] for label, key in (
        ("Customers to contact", "contact"), ("Customers to review", "review"), ("Customers on hold", "hold"),
        ("Customers handed over", "handed over"))]
    right += [["Input problems", problems], ["As of", as_of.isoformat()]]
    if run:
        right += [[RUN_AT, run[0]], [RUN_ID, run[1]]]
    oldest = [b for b in buckets if b.endswith("+")]
    for c in currencies:
        total = int(totals.at[c, "Total"])
        if total > 0 and oldest:
            right.append([f"% over {edges[-1]} days ({c})", round(100 * int(totals.at[c, oldest[0]]) / total, 1)])
    blank_left = [None] * (1 + len(currencies))
    rows = [(left[k] if k < len(left) else blank_left) + [None] + (right[k] if k < len(right) else [])
            for k in range(max(len(left), len(right)))]
    shown = home if home in currencies else (currencies[0] if currencies else home)
    letter = col_letter(2 + currencies.index(shown)) if shown in currencies else "B"
    chart = Chart(title=f"Receivables by age ({shown})", categories=f"$A$2:$A${len(buckets) + 1}",
                  values=f"${letter}$2:${letter}${len(buckets) + 1}", series_name=shown,
                  anchor=f"{col_letter(len(columns) + 2)}2")
    return columns, rows, chart


def error_rows(problems):
    """Each problem with a link that jumps to its cell."""
    for p in problems:
        yield [Link(p.cell, p.cell) if "!" in p.cell else p.cell, p.message]
