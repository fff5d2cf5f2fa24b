"""Days past due and aging buckets (addin.core.buckets), DESIGN.md "Aging":
Current (<= 0), 1-30, 31-60, 61-90, 91+; an item goes in the first bucket whose
upper edge is >= its age."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from addin.core.buckets import bucket_index, bucket_label, bucket_labels, days_past_due, oldest_share_label


def test_days_past_due():
    assert days_past_due(date(2025, 1, 31), date(2025, 3, 1)) == 29
    assert days_past_due(date(2025, 3, 1), date(2025, 1, 31)) == -29
    assert days_past_due(datetime(2025, 1, 31, 12), date(2025, 2, 1)) == 1
    with pytest.raises(ValueError, match="the due date must be a date"):
        days_past_due("2025-01-31", date(2025, 2, 1))


def test_default_labels_and_edges():
    assert bucket_labels() == ["Current", "1-30", "31-60", "61-90", "91+"]
    cases = {-5: "Current", 0: "Current", 1: "1-30", 30: "1-30", 31: "31-60", 60: "31-60",
             61: "61-90", 90: "61-90", 91: "91+", 5000: "91+"}
    assert {d: bucket_label(d) for d in cases} == cases


def test_custom_edges():
    assert bucket_labels((0, 15, 30)) == ["Current", "1-15", "16-30", "31+"]
    assert bucket_label(16, [0, 15, 30]) == "16-30"
    assert bucket_labels((30, 60)) == ["Up to 30", "31-60", "61+"]
    for bad, msg in (((30, 10), "increase"), ((), "at least one"), ((-1, 5), "0 or more"),
                     ((0, 1.5), "whole numbers")):
        with pytest.raises(ValueError, match=msg):
            bucket_labels(bad)


@given(days=st.integers(-1000, 10000),
       edges=st.lists(st.integers(0, 400), min_size=1, max_size=8, unique=True).map(sorted))
def test_first_bucket_whose_edge_is_at_least_the_age(days, edges):
    i = bucket_index(days, edges)
    if i < len(edges):
        assert edges[i] >= days and (i == 0 or edges[i - 1] < days)
    else:
        assert days > edges[-1]
    assert bucket_label(days, edges) == bucket_labels(edges)[i]


def test_the_oldest_buckets_share_is_named_by_its_edge():
    assert oldest_share_label(bucket_labels()) == "% over 90 days"            # 91+ is over 90, not over 91
    assert oldest_share_label(bucket_labels((0, 30, 60, 90, 120))) == "% over 120 days"
    assert oldest_share_label(["Current", "Old"]) == "% in Old"
