"""What changed for customers between two closes, and since the last run: levels, plans, History events.

A customer's level at a date is where it stands on the dunning ladder: the
level it was last contacted at by then (History: drafted, sent, printed or
called with a level), or the level the decision of that date contacts it at
when that is higher; 0 when neither. A close keeps each account's level in
its snapshot so the next close compares with what it saw, not with a History
edited since.

"Since the last run" is every History row logged after the last `run`: after
the time that run wrote on its Summary sheet (its own rows excluded). A book
whose Summary says nothing of a run falls back on History alone: the latest
run id written by `run` (rows drafted, sent, withdrawn, printed or failed; not
the close's thank-you notes), and the rows below its last one — History is
append-only, so its order is the order things were logged in. Beside History,
the last run's Actions worklist is compared with the close's decisions: a
customer that was to contact or review and is not now (settled, on hold,
handed over), one that is now and was not, and one whose level to contact at
changed.
"""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ..dunning import CONTACT, CONTACT_ACTIONS, THANK_YOU, WORKLIST

ACCOUNT = ["customer_key", "currency"]
RUN_ACTIONS = ("drafted", "sent", "withdrawn", "printed", "failed")


def account_levels(decisions: pd.DataFrame, history: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per account with a decision: customer_key, currency, level (see the module docstring)."""
    cutoff = pd.Timestamp(as_of)
    h = history.loc[history["action"].isin(CONTACT_ACTIONS) & history["level"].notna() & (history["date"] <= cutoff)]
    last = (h.sort_values(["date", "row"] if "row" in h else ["date"], kind="stable")
            .drop_duplicates(ACCOUNT, keep="last").set_index(ACCOUNT)["level"])
    decided = pd.Series(np.where(decisions["action"] == CONTACT, decisions["level"].astype("int64"), 0),
                        index=pd.MultiIndex.from_frame(decisions[ACCOUNT]))
    contacted = last.reindex(decided.index).fillna(0).astype("int64")
    return pd.DataFrame({"level": np.maximum(decided.to_numpy(), contacted.to_numpy())},
                        index=decided.index).reset_index()


def level_moves(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose level differs between two level frames (an account missing from one is at level 0 there):
    customer_key, currency, before, now, open_now (False: nothing open now), the biggest moves up first."""
    both = before.rename(columns={"level": "before"}).merge(now.rename(columns={"level": "now"}), on=ACCOUNT,
                                                            how="outer", indicator=True)
    both["open_now"] = both.pop("_merge") != "left_only"
    both[["before", "now"]] = both[["before", "now"]].fillna(0).astype("int64")
    moved = both.loc[both["before"] != both["now"]]
    return (moved.assign(_up=moved["now"] - moved["before"])
            .sort_values(["_up", "customer_key", "currency"], ascending=[False, True, True], kind="stable")
            .drop(columns="_up").reset_index(drop=True))


def since_last_run(history: pd.DataFrame, ran_at: pd.Timestamp | None = None,
                   run: str | None = None) -> tuple[str | None, pd.DataFrame]:
    """(the last run's id, or None when nothing says; the History rows logged after it), see the module."""
    if ran_at is not None:
        later = history.loc[(history["stamp"] >= ran_at) & (history["run_id"] != (run or ""))]   # to the second
        return run, later.sort_values("row", kind="stable")
    runs = history.loc[history["run_id"].str.startswith("run-") & history["action"].isin(RUN_ACTIONS)
                       & (history["template"] != THANK_YOU)]
    if runs.empty:
        return None, history.iloc[:0]
    last = runs.loc[runs["row"].idxmax()]
    return str(last["run_id"]), history.loc[history["row"] > history.loc[
        history["run_id"] == last["run_id"], "row"].max()].sort_values("row", kind="stable")


def _doing(action, level) -> str:
    return f"{action} at level {int(level)}" if action == CONTACT and level == level else str(action)


def worklist_moves(before: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """The last run's worklist (customer_key, currency, customer, level, action) against this close's decisions:
    customer_key, currency, customer, was, now ("" when nothing is open now), reason — one row per account that
    left the worklist, joined it, or changed level on it."""
    now = decisions.loc[:, [*ACCOUNT, "customer", "level", "action", "reason"]].rename(
        columns={"level": "level_now", "action": "action_now", "customer": "customer_now"})
    both = before.merge(now, on=ACCOUNT, how="outer")
    was = [_doing(a, lv) if isinstance(a, str) else "" for a, lv in zip(both["action"], both["level"])]
    is_ = [_doing(a, lv) if isinstance(a, str) else "" for a, lv in zip(both["action_now"], both["level_now"])]
    on_before = both["action"].isin(WORKLIST).to_numpy()
    on_now = both["action_now"].isin(WORKLIST).to_numpy()
    changed = (on_before | on_now) & (np.array(was, dtype=object) != np.array(is_, dtype=object))
    out = pd.DataFrame({"customer_key": both["customer_key"], "currency": both["currency"],
                        "customer": both["customer_now"].fillna(both["customer"]), "was": was, "now": is_,
                        "reason": both["reason"].fillna("")})
    return out.loc[changed].sort_values(ACCOUNT, kind="stable").reset_index(drop=True)


def plan_moves(before: dict[int, str], now: dict[int, str]) -> list[tuple[int, str, str]]:
    """(plan row, status before, status now) for the plans completed or broken between two dates."""
    return [(row, before.get(row, ""), status) for row, status in sorted(now.items())
            if status in ("completed", "broken") and before.get(row) != status]
