"""The dunning decision, rule by rule, as worked examples; escalation as a property."""
from dataclasses import replace
from datetime import date, timedelta

import hypothesis.strategies as st
import pandas as pd
from hypothesis import given, settings as hsettings

from addin.core.aging import age_items, open_balances
from addin.core.dunning import decide, summarise_history
from addin.core.policy import DEFAULT_LADDER
from addin.core.settings import Settings

from .frames import AS_OF, history, items

LADDER = list(DEFAULT_LADDER)  # 1 courtesy -5, 2 reminder 1, 3 second 15, 4 final 30, 5 handover 60 (final)


def decision(frame, hist=None, customers=None, plans=None, **settings):
    aged = age_items(open_balances(frame, AS_OF), AS_OF)
    s = replace(Settings(), **settings)
    d = decide(aged, LADDER, s, AS_OF, summarise_history(hist, AS_OF) if hist is not None else None,
               customers, plans)
    return d.iloc[0] if len(d) == 1 else d


def overdue(days, amount=500_00, customer="Acme", status="open", **kw):
    return items((customer, "INV-1", AS_OF - timedelta(days=days), amount, 0, status), **kw)


def test_first_reminder_for_a_new_overdue_account():
    d = decision(overdue(5))
    assert (d.action, d.level, d.template, d.channels) == ("contact", 2, "reminder", ("email",))
    assert d.reason == "INV-1 5 days past due"


def test_courtesy_note_before_the_due_date():
    d = decision(overdue(-3))
    assert (d.action, d.level, d.template) == ("contact", 1, "courtesy")


def test_not_yet_due_outside_the_courtesy_window():
    d = decision(overdue(-20))
    assert (d.action, d.reason) == ("none", "not yet due")


def test_level_from_the_most_overdue_item_and_one_step_per_run():
    frame = items(("Acme", "I1", AS_OF - timedelta(days=3), 100_00), ("Acme", "I2", AS_OF - timedelta(days=45), 100_00))
    d = decision(frame)
    assert d.level == 2 and "one level per run (due level 4)" in d.reason
    assert d.oldest_document == "I2"
    d = decision(frame, escalate_one_level=False)
    assert d.level == 4 and d.template == "final_demand"


def test_escalates_one_level_after_the_last_contact():
    d = decision(overdue(45), history(("Acme", AS_OF - timedelta(days=12), "sent", 2)))
    assert d.level == 3


def test_minimum_interval_since_last_contact_holds():
    d = decision(overdue(45), history(("Acme", AS_OF - timedelta(days=4), "sent", 2)))
    assert (d.action, d.reason) == ("hold", "last contacted 4 days ago; level 3 waits 10 days")


def test_same_level_is_not_repeated():
    d = decision(overdue(10), history(("Acme", AS_OF - timedelta(days=5), "drafted", 2)))
    assert d.action == "hold" and d.reason.startswith("level 2 sent on")


def test_rerun_on_the_same_day_does_nothing():
    d = decision(overdue(10), history(("Acme", AS_OF, "drafted", 2)))
    assert (d.action, d.reason) == ("none", "level 2 already done today")


def test_balance_below_tolerance_is_not_chased():
    d = decision(overdue(40, amount=3_20))
    assert (d.action, d.reason) == ("none", "balance 3.20 GBP below tolerance 5.00")


def test_disputed_items_are_not_chased():
    d = decision(overdue(40, status="disputed"))
    assert (d.action, d.reason) == ("hold", "disputed 500.00 GBP: on hold until resolved")


def test_hold_until_in_the_future_and_expired():
    frame = items(("Acme", "I1", AS_OF - timedelta(days=20), 100_00, 0, "open", None, None, AS_OF + timedelta(days=5)))
    assert decision(frame).action == "hold"
    frame = items(("Acme", "I1", AS_OF - timedelta(days=20), 100_00, 0, "open", None, None, AS_OF - timedelta(days=1)))
    assert decision(frame).action == "contact"


def test_promise_to_pay_holds_until_its_date():
    h = history(("Acme", AS_OF - timedelta(days=2), "promise", None, date(2026, 12, 4), 500_00))
    d = decision(overdue(20), h)
    assert (d.action, d.reason) == ("hold", "held until 2026-12-04: promise to pay 500.00 GBP by 2026-12-04")


def test_missed_promise_resumes_the_ladder_and_says_so():
    h = history(("Acme", AS_OF - timedelta(days=20), "promise", None, AS_OF - timedelta(days=5), 500_00))
    d = decision(overdue(20), h)
    assert d.action == "contact" and "missed promise to pay 500.00 GBP by 2026-11-25" in d.reason


def test_credit_notes_and_unapplied_cash_go_to_review():
    frame = items(("Acme", "I1", AS_OF - timedelta(days=20), 100_00), ("Acme", "CN-1", None, -30_00, 0, "open",
                                                                     None, AS_OF - timedelta(days=3)))
    d = decision(frame)
    assert (d.action, d.reason) == ("review", "credit notes or unapplied cash of 30.00 GBP: apply them before any reminder")


def test_kept_plan_holds_and_broken_plan_resumes():
    assert decision(overdue(40), plans={"acme": "on track"}).action == "hold"
    d = decision(overdue(40), plans={"acme": "broken"})
    assert d.action == "contact" and "payment plan broken" in d.reason


def test_final_level_reached_means_no_more_automatic_contact():
    d = decision(overdue(90), history(("Acme", AS_OF - timedelta(days=30), "sent", 5)))
    assert d.action == "handed over" and "no further automatic contact" in d.reason


def test_do_not_contact_and_cease_request():
    customers = pd.DataFrame({"customer_key": ["acme"], "do_not_contact": [True],
                              "hold_until": pd.Series([pd.NaT], dtype="datetime64[s]")})
    assert decision(overdue(40), customers=customers).reason == "do not contact"
    d = decision(overdue(40), history(("Acme", AS_OF - timedelta(days=1), "cease")))
    assert d.action == "hold" and "cease" in d.reason


def test_dispute_logged_in_history_pauses_collection():
    d = decision(overdue(40), history(("Acme", AS_OF - timedelta(days=1), "dispute")))
    assert d.action == "hold" and "dispute" in d.reason


def test_reg_f_drops_calls_after_seven_attempts_in_seven_days():
    calls = [("Acme", AS_OF - timedelta(days=k % 6), "called", None, None, 0, "no answer") for k in range(7)]
    h = history(("Acme", AS_OF - timedelta(days=12), "sent", 2), *calls)
    d = decision(overdue(20), h, regulation="regF")
    assert d.level == 3 and d.channels == ("email",) and "Reg F" in d.reason


def test_each_currency_is_decided_on_its_own():
    frame = pd.concat([overdue(5), overdue(40, currency="EUR")], ignore_index=True)
    d = decision(frame, escalate_one_level=False)
    assert sorted(zip(d["currency"], d["level"])) == [("EUR", 4), ("GBP", 2)]


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.integers(-30, 200), min_size=1, max_size=5), st.integers(0, 5), st.integers(1, 40))
def test_the_level_never_skips_with_one_level_escalation(ages, last_level, days_ago):
    frame = items(*[("Acme", f"I{k}", AS_OF - timedelta(days=a), 100_00) for k, a in enumerate(ages)])
    h = history(("Acme", AS_OF - timedelta(days=days_ago), "sent", last_level)) if last_level else None
    d = decision(frame, h)
    if d.action == "contact":
        overdue_rungs = [lv.level for lv in LADDER if lv.days_from > 0 and lv.level > last_level]
        assert d.level <= max(last_level + 1, overdue_rungs[0] if overdue_rungs else 0) or \
            LADDER[d.level - 1].days_from <= 0


def test_this_runs_own_drafts_do_not_count_as_a_past_contact():
    h = history(("Acme", AS_OF - timedelta(days=2), "drafted", 2))
    h["run_date"] = pd.Timestamp(AS_OF)  # drafted by an earlier run for the same as-of date
    d = decision(overdue(10), h)
    assert (d.action, d.level) == ("contact", 2)


def test_a_promise_logged_after_a_pinned_as_of_date_still_holds():
    """Settings pin the as-of date to 30 Nov; the clerk logs a promise on 1 Dec: it happened, it holds."""
    h = history(("Acme", AS_OF + timedelta(days=1), "promise", None, AS_OF + timedelta(days=7), 500_00))
    assert summarise_history(h, AS_OF).later_events == 1
    d = decision(overdue(20), h)
    assert d.action == "hold" and "promise to pay 500.00" in d.reason


def test_a_dispute_or_cease_logged_after_the_as_of_date_stops_collection():
    for action in ("dispute", "cease"):
        d = decision(overdue(20), history(("Acme", AS_OF + timedelta(days=2), action)))
        assert d.action == "hold", action


def test_contacts_after_the_as_of_date_are_ignored_to_reproduce_an_old_run():
    d = decision(overdue(20), history(("Acme", AS_OF + timedelta(days=1), "sent", 3)), escalate_one_level=False)
    assert d.action == "contact" and d.level == 3


def test_a_reported_payment_holds_that_amount_for_the_grace_period():
    paid = history(("Acme", AS_OF - timedelta(days=2), "paid", None, None, 0, "", 500_00))
    d = decision(overdue(20), paid)
    assert d.action == "hold" and "customer reported paying 500.00 GBP" in d.reason
    assert "held until " + str(AS_OF - timedelta(days=2) + timedelta(days=5)) in d.reason
    part = history(("Acme", AS_OF - timedelta(days=2), "paid", None, None, 0, "", 200_00))
    d = decision(overdue(20), part)
    assert d.action == "contact" and "300.00 GBP still overdue" in d.reason
    old = history(("Acme", AS_OF - timedelta(days=9), "paid", None, None, 0, "", 500_00))
    assert decision(overdue(20), old).action == "contact"  # the grace period is over: the ledger rules


def test_history_is_kept_per_currency():
    """A level-3 reminder in EUR does not make the GBP account wait."""
    frame = pd.concat([overdue(20), overdue(20, currency="EUR")], ignore_index=True)
    h = history(("Acme", AS_OF - timedelta(days=2), "sent", 3), currency="EUR")
    d = decision(frame, h, escalate_one_level=False).set_index("currency")
    assert d.loc["GBP", "action"] == "contact" and d.loc["EUR", "action"] == "hold"


def test_reasons_say_one_day_not_one_days():
    assert "1 day past due" in decision(overdue(1)).reason


def test_reg_f_no_call_within_7_days_of_a_promise_made_on_the_phone():
    """A promise, dispute, payment or plan taken on the phone was a conversation (12 CFR 1006.14(b)(2)(ii))."""
    h = history(("Acme", AS_OF - timedelta(days=12), "sent", 2),
                ("Acme", AS_OF - timedelta(days=6), "promise", None, AS_OF - timedelta(days=2), 100_00))
    h["channel"] = ["email", "phone"]
    d = decision(overdue(20), h, regulation="regF")
    assert d.level == 3 and d.channels == ("email",) and "Reg F: no call" in d.reason
    h["channel"] = ["email", "email"]  # promised in an email: no conversation, the call may go
    assert decision(overdue(20), h, regulation="regF").channels == ("email", "phone")
