"""The provision matrix on IFRS 9's own worked example."""
from decimal import Decimal as D

import pytest

from addin.core.close.provision import parse_loss_rates, provision_matrix
from addin.core.parse import Conventions

BUCKETS = ["Current", "1-30", "31-60", "61-90", "91+"]


def test_ifrs9_illustrative_example_12():
    # IFRS 9 Illustrative Examples, Example 12 "Provision matrix" (IE74-IE77): Company M, trade receivables
    # of CU30 million; rates 0.3 %, 1.6 %, 3.6 %, 6.6 %, 10.6 % on 15,000,000 / 7,500,000 / 4,000,000 /
    # 2,500,000 / 1,000,000 -> 45,000 + 120,000 + 144,000 + 165,000 + 106,000 = 580,000.
    rates = parse_loss_rates("0.3,1.6,3.6,6.6,10.6", BUCKETS)
    balances = dict(zip(BUCKETS, [v * 100 for v in (15_000_000, 7_500_000, 4_000_000, 2_500_000, 1_000_000)]))
    p = provision_matrix(balances, rates, "EUR", previous=50_000_000)
    assert [p.by_bucket[b] // 100 for b in BUCKETS] == [45_000, 120_000, 144_000, 165_000, 106_000]
    assert p.total == 58_000_000 and p.movement == 8_000_000


def test_ifrscommunity_lifetime_ecl_with_rates_from_a_sales_cohort():
    # IFRScommunity.com, "IFRS 9 example: lifetime ECL for trade receivables using a provision matrix"
    # (https://ifrscommunity.com/knowledge-base/ifrs-9-impairment/): of January's sales of 100,000, 2,000 is
    # never paid, so each bucket's loss rate is 2,000 over what reached it: 100,000 -> 2 %, 50,000 -> 4 %,
    # 23,000 -> 8.7 %, 8,000 -> 25 %, 2,000 -> 100 %. On 300,000 / 140,000 / 60,000 / 23,000 / 5,000 the
    # allowance is 6,000 + 5,600 + 5,217 + 5,750 + 5,000 = 27,567 (the source rounds to whole units).
    rates = {b: D(2_000) * 100 / D(reached) for b, reached in zip(BUCKETS, (100_000, 50_000, 23_000, 8_000, 2_000))}
    balances = dict(zip(BUCKETS, [v * 100 for v in (300_000, 140_000, 60_000, 23_000, 5_000)]))
    p = provision_matrix(balances, rates, "EUR")
    assert [round(D(p.by_bucket[b]) / 100) for b in BUCKETS] == [6_000, 5_600, 5_217, 5_750, 5_000]
    assert p.by_bucket["31-60"] == 521_739 and round(D(p.total) / 100) == 27_567


def test_each_bucket_is_rounded_half_up_and_the_total_is_their_sum():
    p = provision_matrix({"Current": 150, "1-30": 150}, {"Current": D("0.3"), "1-30": D("0.3")}, "GBP")
    assert p.by_bucket == {"Current": 0, "1-30": 0}   # 0.45 minor units each
    p = provision_matrix({"Current": 500}, {"Current": D("0.1")}, "GBP")
    assert p.by_bucket == {"Current": 1}              # 0.5 -> 1, half up


def test_credit_balances_carry_no_allowance():
    assert provision_matrix({"Current": -10_000}, {"Current": D(5)}, "GBP").total == 0


def test_loss_rates_are_read_the_books_way_and_checked():
    de = Conventions(locale="de_DE", decimal=",", group=".")
    assert parse_loss_rates("0,3; 1,6; 3,6; 6,6; 10,6", BUCKETS, de)["91+"] == D("10.6")
    assert parse_loss_rates("0.3% 1.6% 3.6% 6.6% 10.6%", BUCKETS)["Current"] == D("0.3")
    with pytest.raises(ValueError, match="4 loss rate"):
        parse_loss_rates("1,2,3,4", BUCKETS)
    with pytest.raises(ValueError, match="from 0 to 100"):
        parse_loss_rates("1,2,3,4,150", BUCKETS)


def test_rates_derived_from_roll_rates_and_the_write_off_rate():
    # roll-rate method: 91+ written off at 20 %; 61-90 rolls 50 % -> 10 %; 31-60 rolls 40 % -> 4 %;
    # 1-30 rolls 25 % -> 1 %; Current rolls 10 % -> 0.1 %. Two closes averaged: (30 + 50) / 2 = 40 % etc.
    from addin.core.close.provision import derived_rates

    history = [([D(10), D(20), D(40), D(50)], D(20)), ([D(10), D(30), D(40), None], None)]
    assert derived_rates(history, BUCKETS) == {"Current": D("0.10"), "1-30": D("1.00"), "31-60": D("4.00"),
                                               "61-90": D("10.00"), "91+": D("20.00")}
    assert derived_rates([([D(10), None, D(40), D(50)], D(20))], BUCKETS) is None
