"""Customer changes between two closes and since the last run: levels, plans, History, the worklist."""
import pandas as pd

from addin.core.close.changes import level_moves, plan_moves, since_last_run, worklist_moves


def levels(*rows):
    return pd.DataFrame(rows, columns=["customer_key", "currency", "level"])


def test_levels_that_moved_the_biggest_up_first_and_a_customer_with_nothing_open_is_at_zero():
    moved = level_moves(levels(("a", "GBP", 1), ("b", "GBP", 3), ("c", "GBP", 2)),
                        levels(("a", "GBP", 3), ("c", "GBP", 2), ("d", "EUR", 1)))
    assert moved[["customer_key", "before", "now", "open_now"]].values.tolist() == [
        ["a", 1, 3, True], ["d", 0, 1, True], ["b", 3, 0, False]]


def test_plans_completed_or_broken_since_the_previous_close():
    assert plan_moves({2: "on track", 3: "late", 4: "broken", 5: "completed"},
                      {2: "completed", 3: "broken", 4: "broken", 5: "completed", 6: "completed"}) == [
        (2, "on track", "completed"), (3, "late", "broken"), (6, "", "completed")]


def history(*rows):
    frame = pd.DataFrame(rows, columns=["row", "run_id", "action", "template", "stamp"])
    frame["stamp"] = pd.to_datetime(frame["stamp"]).astype("datetime64[s]")
    return frame


def test_since_the_last_run_is_what_history_logged_after_it():
    h = history((2, "run-20261127-090000Z", "drafted", "reminder", "2026-11-27T09:00:00"),
                (3, "manual", "called", "", "2026-11-27T08:59:00"),        # logged before the run
                (4, "manual", "promise", "", "2026-11-28T10:00:00"),
                (5, "run-20261130-220000Z", "drafted", "thank_you", "2026-11-30T22:00:00"))
    run, rows = since_last_run(h, pd.Timestamp("2026-11-27T09:00:00"), "run-20261127-090000Z")
    assert run == "run-20261127-090000Z" and rows["row"].tolist() == [4, 5]
    run, rows = since_last_run(h)          # no Summary stamp: the last run's rows in History, not a thank-you
    assert run == "run-20261127-090000Z" and rows["row"].tolist() == [3, 4, 5]


def test_the_worklist_of_the_last_run_against_the_decisions_now():
    before = pd.DataFrame([("a", "GBP", "A", 2.0, "contact"), ("b", "GBP", "B", 1.0, "contact"),
                           ("c", "GBP", "C", float("nan"), "review"), ("e", "GBP", "E", 1.0, "contact")],
                          columns=["customer_key", "currency", "customer", "level", "action"])
    now = pd.DataFrame([("a", "GBP", "A", 3, "contact", "due"), ("b", "GBP", "B", 0, "hold", "promise"),
                        ("c", "GBP", "C", 0, "review", "credit"), ("d", "GBP", "D", 1, "contact", "new"),
                        ("e", "GBP", "E", 1, "contact", "due")],
                       columns=["customer_key", "currency", "customer", "level", "action", "reason"])
    moved = worklist_moves(before, now)
    assert moved[["customer_key", "was", "now"]].values.tolist() == [
        ["a", "contact at level 2", "contact at level 3"], ["b", "contact at level 1", "hold"],
        ["d", "", "contact at level 1"]]
    gone = worklist_moves(before.iloc[:1], now.iloc[1:])
    assert gone[["customer_key", "was", "now"]].values.tolist()[0] == ["a", "contact at level 2", ""]
