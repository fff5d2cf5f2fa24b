"""The dunning decision: who is contacted, at which level, through which channel, and why.

Deciding is separate from doing: this module returns one row per customer
and currency with the decision and its reason in words; documents, mail and
the History log act on it elsewhere.

Inputs are frames (see ``aging`` for items) plus:
  customers: customer_key, do_not_contact (bool), hold_until (datetime64)
  history:   customer_key, date (datetime64), level (float), action, promise_date,
             promise_minor (int64), outcome, and optionally run_date (the as-of date of
             the run that wrote the row) and channel (phone, email...)
  plans:     {customer_key: plan status} ("on track", "late", "broken", "completed")
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from functools import lru_cache
from operator import attrgetter

import numpy as np
import pandas as pd

from .model import Level
from .money import format_amount, to_minor
from .settings import Settings

HELD_STATUSES = ("disputed", "closed", "promise", "plan", "legal")
CONTACT_ACTIONS = ("drafted", "sent", "printed", "called")
_minor = lru_cache(maxsize=256)(to_minor)  # tolerance and fees, converted once per currency
CONTACT, REVIEW, HOLD, NONE, HANDED_OVER = "contact", "review", "hold", "none", "handed over"
WORKLIST = (CONTACT, REVIEW)  # the decisions the Actions worklist lists
# the templates of messages that are not rungs of the ladder: only the holds on every contact stop them
THANK_YOU, STATEMENT = "thank_you", "statement"


@dataclass(frozen=True)
class Decision:
    """What is done about one customer in one currency, and why in words (one row of the decisions)."""

    action: str  # contact, review, hold, none, handed over
    reason: str
    level: int = 0
    level_name: str = ""
    channels: tuple[str, ...] = ()
    template: str = ""
    fee_minor: int = 0
    final: bool = False


@dataclass(frozen=True)
class CustomerHistory:
    """What History says about one customer in one currency, as of the run date."""

    last_level: int = 0
    last_contact: date | None = None
    last_level_contact: date | None = None  # when last_level was reached
    promise_date: date | None = None
    promise_minor: int = 0
    promise_logged: date | None = None
    cease: bool = False
    disputed: bool = False
    calls_7d: int = 0
    conversation_7d: bool = False
    reported_paid_minor: int = 0  # 'paid' logged within the grace period: the ledger may not show it yet
    reported_paid_on: date | None = None


@dataclass(frozen=True)
class HistorySummary:
    """Per (customer key, currency), what History says; and how many later events were counted."""

    accounts: dict = field(default_factory=dict)
    later_events: int = 0  # holds, promises, disputes, cease and payments dated after the as-of date

    def get(self, key: str, currency: str) -> CustomerHistory:
        return self.accounts.get((key, currency)) or self.accounts.get((key, "")) or CustomerHistory()


EVENT_ACTIONS = ("promise", "dispute", "cease", "paid", "plan", "note")
PHONE_EVENTS = ("promise", "dispute", "cease", "paid", "plan")  # logged by phone: the clerk spoke to them


def summarise_history(history: pd.DataFrame, as_of: date, paid_grace_days: int = 5) -> HistorySummary:
    """Per customer and currency: last contact and level, latest promise, cease/dispute, calls, reported payments.

    Contacts dated after the as-of date are ignored, so an old as-of reproduces an
    old run; events (promises, disputes, cease requests, payments reported) are
    counted whenever they were logged: they happened, and a pinned as-of date
    must not let a reminder go to a customer who has just promised to pay.
    Vectorised: History grows by a row per contact, and is read on every run.
    """
    if history is None or history.empty:
        return HistorySummary()
    cutoff = pd.Timestamp(as_of)
    key = "customer_key"
    h = history.copy()
    if "currency" not in h:
        h["currency"] = ""
    events = h["action"].isin(EVENT_ACTIONS)
    later = h["date"] > cutoff
    withdrawn = set(h.loc[h["action"] == "withdrawn", "message_id"]) - {""}
    h = h.loc[~later | events]
    if "run_date" in h:  # drafts of a run for this same as-of date are this run's output, not a past contact
        h = h.loc[~((h["action"] == "drafted") & (h["run_date"] == cutoff))]
    h = h.loc[~((h["action"] == "drafted") & h["message_id"].isin(withdrawn))]
    h = h.sort_values("date", kind="stable")
    acct = [key, "currency"]
    contacts = h.loc[h["action"].isin(CONTACT_ACTIONS) & h["level"].notna()]
    last = contacts.drop_duplicates(acct, keep="last").set_index(acct)
    at_last = contacts.merge(last[["level"]].reset_index(), on=[*acct, "level"])
    since = at_last.groupby(acct)["date"].min()
    promises = h.loc[h["action"] == "promise"].drop_duplicates(acct, keep="last").set_index(acct)
    promises = promises.loc[promises["promise_date"].notna()]
    grace = cutoff - pd.Timedelta(days=paid_grace_days)
    paid = h.loc[(h["action"] == "paid") & (h["date"] > grace)]
    paid_sum, paid_on = paid.groupby(acct)["amount_minor"].sum(), paid.groupby(acct)["date"].max()
    # Reg F counts call attempts and telephone conversations: a promise, dispute, payment, plan or cease
    # request logged by phone was both. Those logged after a pinned as-of date happened (as events do).
    by_phone = h["channel"].fillna("").str.strip().str.lower().eq("phone") if "channel" in h else False
    spoken = h["action"].isin(PHONE_EVENTS) & by_phone
    calls = h.loc[((h["action"] == "called") & (h["date"] <= cutoff) | spoken)
                  & (h["date"] >= cutoff - pd.Timedelta(days=6))]
    talked = calls.loc[calls["action"].ne("called") | (calls["outcome"].fillna("").str.strip().ne("")
                                                       & calls["outcome"].str.lower().ne("no answer"))]
    calls_7d = calls.groupby(key).size().to_dict()
    ceased = set(h.loc[h["action"] == "cease", key])
    last_dispute = h.loc[h["action"] == "dispute"].groupby(key)["date"].max()
    resolved = h.loc[h["action"].isin(["paid", "note", "plan"])].groupby(key)["date"].max()
    disputed = set(last_dispute.loc[~(resolved.reindex(last_dispute.index) >= last_dispute)].index)
    talked = set(talked[key])
    level, contact, since = last["level"].to_dict(), last["date"].to_dict(), since.to_dict()
    p_date, p_minor, p_logged = (promises["promise_date"].to_dict(), promises["promise_minor"].to_dict(),
                                 promises["date"].to_dict())
    paid_sum, paid_on = paid_sum.to_dict(), paid_on.to_dict()

    def day(ts):
        return ts.date() if ts is not None else None

    accounts = {}
    for k, cur in h[acct].drop_duplicates().itertuples(index=False):
        a = (k, cur)
        accounts[a] = CustomerHistory(
            last_level=int(level[a]) if a in level else 0, last_contact=day(contact.get(a)),
            last_level_contact=day(since.get(a)), promise_date=day(p_date.get(a)),
            promise_minor=int(p_minor[a]) if a in p_minor and pd.notna(p_minor[a]) else 0,
            promise_logged=day(p_logged.get(a)), cease=k in ceased, disputed=k in disputed,
            calls_7d=int(calls_7d.get(k, 0)), conversation_7d=k in talked,
            reported_paid_minor=int(paid_sum.get(a, 0)), reported_paid_on=day(paid_on.get(a)))
    return HistorySummary(accounts, int((later & events).sum()))


def days_text(n: int) -> str:
    """'1 day', '5 days': reasons are read by clerks."""
    return f"{n} day" if abs(n) == 1 else f"{n} days"


def _level_for(days: float, ladder: list[Level]) -> Level | None:
    """The highest rung whose start (days past due) the item has reached."""
    reached = [lv for lv in ladder if days >= lv.days_from]
    return reached[-1] if reached else None


def decide(aged: pd.DataFrame, ladder: list[Level], settings: Settings, as_of: date,
           history: HistorySummary | None = None,
           customers: pd.DataFrame | None = None,
           plans: dict[str, str] | None = None) -> pd.DataFrame:
    """One decision row per customer and currency (see module docstring for inputs).

    Columns: customer_key, customer, currency, balance_minor, overdue_minor,
    max_days, oldest_document, oldest_due, oldest_cell, level, level_name,
    channels, template, fee_minor, final, action, reason.
    """
    ladder = sorted(ladder, key=lambda lv: lv.level)
    by_level = {lv.level: lv for lv in ladder}
    history = history or HistorySummary()
    plans = plans or {}
    cutoff = pd.Timestamp(as_of)

    items = aged.copy()
    hold = items["hold_until"] > cutoff
    items["eligible"] = (items["balance_minor"] > 0) & ~items["status"].isin(HELD_STATUSES) & ~hold
    items["overdue_minor"] = items["balance_minor"].where(items["eligible"] & (items["days_past_due"] > 0), 0)
    items["elig_days"] = items["days_past_due"].where(items["eligible"])
    items["credit_minor"] = items["balance_minor"].clip(upper=0)
    items["disputed_minor"] = items["balance_minor"].where(items["status"] == "disputed", 0)
    items["held_minor"] = items["balance_minor"].where(hold & (items["balance_minor"] > 0), 0)

    keys = ["customer_key", "currency"]
    g = items.groupby(keys, sort=True, observed=True)
    agg = g.agg(customer=("customer", "first"), balance_minor=("balance_minor", "sum"),
                overdue_minor=("overdue_minor", "sum"), max_days=("elig_days", "max"),
                credit_minor=("credit_minor", "sum"), disputed_minor=("disputed_minor", "sum"),
                held_minor=("held_minor", "sum"), hold_until=("hold_until", "max"))
    agg = agg.reset_index()
    oldest = _oldest_items(items, g.ngroup().to_numpy(), len(agg))
    found = oldest >= 0
    for column, source in (("oldest_document", "document"), ("oldest_due", "due_date"), ("oldest_row", "row")):
        agg[column] = items[source].iloc[oldest[found]].set_axis(agg.index[found]).reindex(agg.index)

    dnc, customer_hold = _customer_flags(customers, cutoff)
    rows = []
    for rec in agg.itertuples(index=False):
        rows.append(_decide_one(rec, ladder, by_level, settings, as_of, history.get(rec.customer_key, rec.currency),
                                dnc.get(rec.customer_key, False), customer_hold.get(rec.customer_key),
                                plans.get(rec.customer_key)))
    names = [f.name for f in fields(Decision)]
    decisions = pd.DataFrame(map(attrgetter(*names), rows), columns=names)  # astuple would deep-copy each
    return pd.concat([agg.reset_index(drop=True), decisions], axis=1)


def _oldest_items(items: pd.DataFrame, group: np.ndarray, groups: int) -> np.ndarray:
    """Per group, the position of its first eligible item with the most days past due (-1: none).

    The same item as pandas' groupby idxmax, found by one stable sort instead of a filtered copy of
    every item (a million of them, a second each way).
    """
    days = items["elig_days"].to_numpy(dtype="float64", na_value=np.nan)
    eligible = np.flatnonzero(~np.isnan(days))
    out = np.full(groups, -1, dtype=np.int64)
    if not len(eligible):
        return out
    d, g = days[eligible], group[eligible]
    whole = d.astype(np.int64)
    if (whole == d).all():        # whole days, as ageing gives them: one key, radix-sorted
        top = whole.max()
        order = eligible[np.argsort(g * (top - whole.min() + 1) + (top - whole), kind="stable")]
    else:
        order = eligible[np.lexsort((-d, g))]
    sorted_groups = group[order]
    first = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    out[sorted_groups[first]] = order[first]
    return out


def _customer_flags(customers: pd.DataFrame | None, cutoff: pd.Timestamp) -> tuple[dict, dict]:
    """({customer key: do not contact}, {customer key: hold-until still in the future}) from the Customers sheet."""
    if customers is None or customers.empty:
        return {}, {}
    held = customers.loc[customers["hold_until"] > cutoff]
    return (dict(zip(customers["customer_key"], customers["do_not_contact"].fillna(False))),
            dict(zip(held["customer_key"], held["hold_until"])))


def _barred(hist: CustomerHistory, do_not_contact: bool, by_level) -> Decision | None:
    """The holds that stop every message, reminder or not: do not contact (or a cease request), handed over."""
    if do_not_contact or hist.cease:
        return Decision(HOLD, "do not contact" + (" (cease request logged)" if hist.cease else ""))
    last = by_level.get(hist.last_level)
    if last is not None and last.final:
        return Decision(HANDED_OVER, f"handed over at level {last.level} ({last.name}) on "
                                     f"{hist.last_level_contact}: no further automatic contact")
    return None


def not_to_message(accounts, ladder: list[Level], settings: Settings, as_of: date, history: HistorySummary,
                   customers: pd.DataFrame | None, disputed: set | frozenset = frozenset()) -> dict:
    """{(customer key, currency): why not}, for the accounts no message may go to even when it is not a
    reminder (a statement of account, a thank-you note): do not contact or a cease request, handed over at a
    final level, and under regF a dispute (logged, or an item in ``disputed`` accounts), since disputes stop
    collection there. Accounts missing from the answer may be written to, whatever the ladder says."""
    by_level = {lv.level: lv for lv in ladder}
    dnc, _ = _customer_flags(customers, pd.Timestamp(as_of))
    out = {}
    for key, cur in accounts:
        hist = history.get(key, cur)
        bar = _barred(hist, dnc.get(key, False), by_level)
        if bar is not None:
            out[(key, cur)] = bar.reason
        elif settings.regulation == "regF" and (hist.disputed or (key, cur) in disputed):
            out[(key, cur)] = "regF: a dispute stops collection until it is resolved"
    return out


def _decide_one(rec, ladder, by_level, settings: Settings, as_of: date, hist: CustomerHistory | None,
                do_not_contact: bool, hold_until, plan_status: str | None):
    cur = rec.currency
    hist = hist or CustomerHistory()
    none = lambda action, reason: Decision(action=action, reason=reason)  # noqa: E731

    if (bar := _barred(hist, do_not_contact, by_level)) is not None:
        return bar
    if hist.disputed:
        return none(HOLD, "dispute logged in History: collection paused until it is resolved")
    if rec.credit_minor < 0:
        return none(REVIEW, f"credit notes or unapplied cash of {format_amount(-rec.credit_minor, cur)}: "
                            f"apply them before any reminder")
    if pd.isna(rec.max_days):
        if rec.disputed_minor > 0:
            return none(HOLD, f"disputed {format_amount(rec.disputed_minor, cur)}: on hold until resolved")
        if rec.held_minor > 0:
            return none(HOLD, f"items held until {pd.Timestamp(rec.hold_until).date()}")
        return none(NONE, "nothing to collect")
    tolerance = _minor(settings.tolerance, cur)
    if rec.balance_minor < tolerance:
        return none(NONE, f"balance {format_amount(rec.balance_minor, cur)} below tolerance {settings.tolerance}")
    if hold_until is not None:
        return none(HOLD, f"held until {pd.Timestamp(hold_until).date()}")
    notes = []
    if hist.promise_date is not None:
        promise = f"promise to pay {format_amount(hist.promise_minor, cur)} by {hist.promise_date}"
        if hist.promise_date >= as_of:
            return none(HOLD, f"held until {hist.promise_date}: {promise}")
        if hist.last_contact is None or hist.last_contact <= hist.promise_logged:
            notes.append(f"missed {promise}")
    if hist.reported_paid_minor > 0:
        paid = f"customer reported paying {format_amount(hist.reported_paid_minor, cur)} on {hist.reported_paid_on}"
        left = rec.overdue_minor - hist.reported_paid_minor
        if left < _minor(settings.tolerance, cur):
            until = hist.reported_paid_on + timedelta(days=settings.paid_grace_days)
            return none(HOLD, f"{paid}: held until {until} for the ledger to catch up")
        notes.append(f"{paid}; {format_amount(left, cur)} still overdue after it")
    if plan_status in ("on track", "late"):
        return none(HOLD, f"payment plan {plan_status}")
    if plan_status == "broken":
        notes.append("payment plan broken")

    target = _level_for(rec.max_days, ladder)
    if target is None:
        return none(NONE, "not yet due")
    level = target
    if settings.escalate_one_level and target.level > hist.last_level + 1:
        # Pre-due courtesy rungs are not steps on the way up for an overdue account.
        nxt = [lv for lv in ladder if lv.level > hist.last_level and lv.days_from > 0]
        level = nxt[0] if nxt else target
        if level is not target:
            notes.append(f"one level per run (due level {target.level})")
    if hist.last_contact is not None:
        since = (as_of - hist.last_contact).days
        if level.level == hist.last_level and since == 0:
            return none(NONE, f"level {level.level} already done today")
        if level.level <= hist.last_level and not notes:
            nxt = [lv for lv in ladder if lv.level > hist.last_level]
            when = f"; level {nxt[0].level} from {days_text(nxt[0].days_from)} past due" if nxt else ""
            return none(HOLD, f"level {hist.last_level} sent on {hist.last_contact}{when}")
        if since < level.min_days_since_contact:
            return none(HOLD, f"last contacted {days_text(since)} ago; level {level.level} waits "
                              f"{days_text(level.min_days_since_contact)}")
    channels = level.channels
    if settings.regulation == "regF" and "phone" in channels:
        if hist.calls_7d >= 7 or hist.conversation_7d:
            channels = tuple(c for c in channels if c != "phone")
            notes.append("Reg F: no call (7 attempts in 7 days or a conversation within 7 days)")
            if not channels:
                return none(HOLD, notes[-1])
    days = int(rec.max_days)
    due = f"{days_text(days)} past due" if days > 0 else ("due today" if days == 0 else f"due in {days_text(-days)}")
    reason = f"{rec.oldest_document} {due}" + "".join(f"; {n}" for n in notes)
    return Decision(CONTACT, reason, level.level, level.name, channels, level.template, _minor(level.fee, cur),
                    level.final)


def pay_by(as_of: date, settings: Settings) -> date:
    """The date a reminder asks payment by."""
    return as_of + timedelta(days=settings.pay_within_days)


def action_counts(decisions: pd.DataFrame) -> dict[str, int]:
    """Customers to contact, review, hold and handed over; a contact at a final level is a handover."""
    over = (decisions["action"] == HANDED_OVER) | ((decisions["action"] == CONTACT) & decisions["final"].astype(bool))
    counts = decisions.loc[~over, "action"].value_counts()
    return {CONTACT: int(counts.get(CONTACT, 0)), REVIEW: int(counts.get(REVIEW, 0)), HOLD: int(counts.get(HOLD, 0)),
            HANDED_OVER: int(over.sum())}
