"""Collection effectiveness and the payment-risk score, on small records worked by hand."""
from datetime import date

from addin.core.aging import age_items, open_balances
from addin.core.close.behaviour import effectiveness, payment_risk, promise_outcomes
from tests.core.frames import history, items

AS_OF = date(2026, 11, 30)


def book():
    return items(("Acme", "INV-1", "2026-09-30", 100_00, 100_00, "closed", "2026-10-20", "2026-08-31"),  # 20 days late
                 ("Acme", "INV-2", "2026-10-31", 100_00, 100_00, "closed", "2026-11-10", "2026-09-30"),  # 10 days late
                 ("Acme", "INV-3", "2026-11-15", 50_00, 0, "open", None, "2026-10-15"),                  # 15 overdue
                 ("Birch", "R-1", "2026-08-31", 300_00, 0, "disputed", None, "2026-07-31"),              # 91 overdue
                 ("Cobalt", "C-1", "2026-12-15", 80_00, 0, "open", None, "2026-11-15"))                  # not due


def test_each_level_shows_who_paid_after_it_and_how_fast():
    h = history(("Acme", "2026-10-05", "sent", 1), ("Acme", "2026-10-06", "sent", 1),   # one episode
                ("Acme", "2026-11-01", "sent", 2),
                ("Birch", "2026-10-01", "sent", 2), ("Birch", "2026-11-01", "called", 3))
    got = effectiveness(h, book(), AS_OF).set_index("level")
    assert got.loc[1, ["contacted", "paid", "median_days", "within_14_days"]].tolist() == [1, 1, 15, 0]
    assert got.loc[2, ["contacted", "paid", "median_days", "within_14_days"]].tolist() == [2, 1, 9, 1]
    assert got.loc[3, ["contacted", "paid"]].tolist() == [1, 0]


def test_promises_are_kept_by_a_payment_before_their_date_and_grace():
    h = history(("Acme", "2026-11-01", "promise", None, "2026-11-08", 100_00),      # paid 10 Nov: within 5 days
                ("Birch", "2026-10-01", "promise", None, "2026-10-10", 300_00))     # never paid
    got = promise_outcomes(h, book(), AS_OF, 5).set_index("customer_key")["kept"].to_dict()
    assert got == {"acme": True, "birch": False}


def test_the_score_is_explained_in_words_and_orders_the_riskiest_first():
    b = book()
    aged = age_items(open_balances(b, AS_OF), AS_OF)
    h = history(("Birch", "2026-10-01", "promise", None, "2026-10-10", 300_00),
                ("Birch", "2026-10-12", "dispute"))
    risks = payment_risk(aged, b, h, AS_OF)
    assert [r.customer_key for r in risks] == ["birch", "acme", "cobalt"]
    birch, acme, cobalt = risks
    # Birch: nothing settled; 91 days overdue -> 30; one broken promise -> 10; a logged and a status dispute -> 10
    assert birch.score == 50 and birch.why == ("no settled items to judge by; oldest open item 91 days overdue; "
                                               "broke 1 of 1 promise(s) to pay; 2 dispute(s)")
    # Acme: settled 2 items on average 15 days late -> 10; oldest open 15 days -> 5
    assert acme.score == 15 and acme.why.startswith("settled 2 item(s) on average 15 days late; oldest open item "
                                                    "15 days overdue")
    assert cobalt.score == 0 and "nothing overdue" in cobalt.why
