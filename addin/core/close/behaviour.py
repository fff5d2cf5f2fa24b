"""What History and the settled items say about collecting: which contacts work, and who pays late.

Collection effectiveness: each contact episode (a customer contacted at a
level with a template, the first contact of that level counting) is matched
to the customer's first payment on or after it — a paid date on one of its
items in the book, or a 'paid' logged in History — so each level and template
shows how many customers it reached, how many then paid, and in how many days.

Payment risk: a score from 0 to 100 per customer from its own record, each
part capped so no one habit dominates, and said in words:
    up to 40  how late it settled items (average days past due when paid, 60 days = 40)
    up to 30  how overdue its oldest open item is now (90 days = 30)
    up to 20  promises to pay broken (10 each: no payment by the promised date + grace days)
    up to 10  disputes (5 each: logged in History, or an item's status)
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..dunning import CONTACT_ACTIONS, days_text

ACCOUNT = ["customer_key", "currency"]


def _payments(items: pd.DataFrame, history: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Every payment seen, per account and day: paid dates in the book and 'paid' rows in History."""
    cutoff = pd.Timestamp(as_of)
    paid = items.loc[(items["paid_minor"] > 0) & items["paid_date"].notna() & (items["paid_date"] <= cutoff),
                     [*ACCOUNT, "paid_date"]].rename(columns={"paid_date": "paid_on"})
    logged = history.loc[(history["action"] == "paid") & (history["date"] <= cutoff), [*ACCOUNT, "date"]]
    both = pd.concat([paid, logged.rename(columns={"date": "paid_on"})], ignore_index=True)
    both["paid_on"] = both["paid_on"].astype("datetime64[s]")
    return both.drop_duplicates().sort_values("paid_on", kind="stable")


def _first_payment_after(events: pd.DataFrame, on: str, payments: pd.DataFrame) -> pd.Series:
    """Per event row, the first payment date of its account on or after ``events[on]`` (NaT when none)."""
    left = events.reset_index().sort_values(on, kind="stable")
    left[on] = left[on].astype("datetime64[s]")
    got = pd.merge_asof(left, payments, left_on=on, right_on="paid_on", by=ACCOUNT, direction="forward")
    return got.set_index("index")["paid_on"].reindex(events.index)


def effectiveness(history: pd.DataFrame, items: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per level and template: customers contacted, how many paid after, the median days to pay, how many
    within 14 days."""
    cols = ["level", "template", "contacted", "paid", "median_days", "within_14_days"]
    cutoff = pd.Timestamp(as_of)
    h = history.loc[history["action"].isin(CONTACT_ACTIONS) & history["level"].notna() & (history["date"] <= cutoff)]
    if h.empty:
        return pd.DataFrame(columns=cols)
    template = h["template"].fillna("") if "template" in h else ""
    episodes = (h.assign(template=template, level=h["level"].astype("int64"))
                .sort_values("date", kind="stable")
                .drop_duplicates([*ACCOUNT, "level", "template"])[[*ACCOUNT, "level", "template", "date"]]
                .reset_index(drop=True))
    paid_on = _first_payment_after(episodes, "date", _payments(items, history, as_of))
    days = (paid_on - episodes["date"]).dt.days
    episodes = episodes.assign(paid=paid_on.notna(), days=days, quick=days <= 14)
    out = episodes.groupby(["level", "template"], sort=True).agg(
        contacted=("customer_key", "size"), paid=("paid", "sum"), median_days=("days", "median"),
        within_14_days=("quick", "sum")).reset_index()
    return out[cols]


@dataclass(frozen=True)
class Risk:
    customer_key: str
    currency: str
    score: int
    why: str


def _per_account(series: pd.Series) -> dict:
    return series.to_dict() if not series.empty else {}


def promise_outcomes(history: pd.DataFrame, items: pd.DataFrame, as_of: date, grace_days: int) -> pd.DataFrame:
    """Promises whose date (+ grace) has passed by ``as_of``: kept when a payment came between the promise
    being logged and its date + grace, else broken."""
    cutoff = pd.Timestamp(as_of)
    grace = pd.Timedelta(days=grace_days)
    p = history.loc[(history["action"] == "promise") & history["promise_date"].notna()
                    & (history["promise_date"] + grace < cutoff), [*ACCOUNT, "date", "promise_date",
                                                                   "promise_minor"]]
    if p.empty:
        return p.assign(kept=pd.Series(dtype=bool))
    first = _first_payment_after(p, "date", _payments(items, history, as_of))
    return p.assign(kept=(first.notna() & (first <= p["promise_date"] + grace)).to_numpy())


def payment_risk(aged: pd.DataFrame, items: pd.DataFrame, history: pd.DataFrame, as_of: date,
                 grace_days: int = 5) -> list[Risk]:
    """A score and its reasons for every account with an open balance, the riskiest first."""
    cutoff = pd.Timestamp(as_of)
    settled = items.loc[(items["paid_minor"] > 0) & items["paid_date"].notna() & (items["paid_date"] <= cutoff)
                        & items["due_date"].notna()]
    late = (settled["paid_date"] - settled["due_date"]).dt.days.clip(lower=0)
    by_late = settled.assign(late=late).groupby(ACCOUNT)["late"]
    avg_late, n_settled = _per_account(by_late.mean()), _per_account(by_late.size())
    oldest = _per_account(aged.groupby(ACCOUNT)["days_past_due"].max())
    promises = promise_outcomes(history, items, as_of, grace_days)
    broken = _per_account((~promises["kept"]).groupby([promises[c] for c in ACCOUNT]).sum()) if len(promises) else {}
    made = _per_account(promises.groupby(ACCOUNT).size()) if len(promises) else {}
    logged = history.loc[(history["action"] == "dispute") & (history["date"] <= cutoff)].groupby(ACCOUNT).size()
    status = aged.loc[aged["status"] == "disputed"].groupby(ACCOUNT).size()
    disputes = _per_account(logged.add(status, fill_value=0))
    out = []
    for account in aged[ACCOUNT].drop_duplicates().itertuples(index=False, name=None):
        avg, settled_n = avg_late.get(account), n_settled.get(account, 0)
        now = oldest.get(account)
        now = 0 if now is None or now != now else max(0, int(now))
        b, m, d = int(broken.get(account, 0)), int(made.get(account, 0)), int(disputes.get(account, 0))
        score = (min(avg or 0, 60) / 60 * 40 + min(now, 90) / 90 * 30 + min(b, 2) * 10 + min(d, 2) * 5)
        words = [f"settled {settled_n} item(s) on average {days_text(round(avg))} late" if settled_n and avg
                 else (f"settled {settled_n} item(s) on time" if settled_n else "no settled items to judge by"),
                 f"oldest open item {days_text(now)} overdue" if now else "nothing overdue",
                 f"broke {b} of {m} promise(s) to pay" if m else "no promises due",
                 f"{d} dispute(s)" if d else "no disputes"]
        out.append(Risk(account[0], account[1], int(np.floor(score + 0.5)), "; ".join(words)))
    return sorted(out, key=lambda r: (-r.score, r.customer_key, r.currency))
