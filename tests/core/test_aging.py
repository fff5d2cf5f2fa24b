"""Aging rules as worked examples, and the invariants as properties."""
from datetime import date, timedelta

import hypothesis.strategies as st
import pandas as pd
from hypothesis import given, settings

from addin.core.aging import UNAPPLIED, age_items, bucket_totals, open_balances

from .frames import AS_OF, items


def aged(frame, **kw):
    return age_items(open_balances(frame, AS_OF), AS_OF, **kw)


def test_days_past_due_and_default_buckets():
    a = aged(items(("Acme", "I1", date(2026, 12, 5), 100_00), ("Acme", "I2", date(2026, 11, 30), 100_00),
                   ("Acme", "I3", date(2026, 11, 29), 100_00), ("Acme", "I4", date(2026, 10, 31), 100_00),
                   ("Acme", "I5", date(2026, 10, 30), 100_00), ("Acme", "I6", date(2026, 8, 31), 100_00),
                   ("Acme", "I7", date(2026, 8, 30), 100_00)))
    assert a["days_past_due"].tolist() == [-5, 0, 1, 30, 31, 91, 92]
    assert a["bucket"].astype(str).tolist() == ["Current", "Current", "1-30", "1-30", "31-60", "91+", "91+"]


def test_partial_payment_ages_the_open_balance():
    a = aged(items(("Acme", "I1", date(2026, 11, 1), 1000_00, 400_00, "open", date(2026, 11, 10))))
    assert a["balance_minor"].tolist() == [600_00]


def test_payment_dated_after_as_of_is_not_applied():
    a = aged(items(("Acme", "I1", date(2026, 11, 1), 1000_00, 1000_00, "open", date(2026, 12, 2))))
    assert a["balance_minor"].tolist() == [1000_00]


def test_fully_paid_and_closed_items_are_not_open():
    a = aged(items(("Acme", "I1", date(2026, 11, 1), 50_00, 50_00, "open", date(2026, 11, 2)),
                   ("Acme", "I2", date(2026, 11, 1), 50_00, 0, "closed")))
    assert a.empty


def test_document_dated_after_as_of_is_out_of_scope():
    a = aged(items(("Acme", "I1", date(2027, 1, 1), 50_00, 0, "open", None, date(2026, 12, 1))))
    assert a.empty


def test_credit_note_ages_by_its_own_date_and_undated_cash_is_unapplied():
    a = aged(items(("Acme", "CN1", None, -120_00, 0, "open", None, date(2026, 11, 10)),
                   ("Acme", "", None, -250_00)))
    assert a["bucket"].astype(str).tolist() == ["1-30", UNAPPLIED]
    assert int(bucket_totals(a).loc["GBP", "Total"]) == -370_00


def test_invoice_date_basis_and_custom_edges():
    a = aged(items(("Acme", "I1", date(2026, 12, 30), 10_00, 0, "open", None, date(2026, 11, 20))),
             basis="invoice", edges=(0, 15, 45))
    assert a["days_past_due"].tolist() == [10]
    assert a["bucket"].astype(str).tolist() == ["1-15"]


def test_totals_are_per_currency():
    frame = pd.concat([items(("A", "I1", date(2026, 11, 1), 10_00)),
                       items(("B", "I2", date(2026, 11, 1), 20_00), currency="EUR")])
    t = bucket_totals(aged(frame))
    assert t.loc["GBP", "Total"] == 10_00 and t.loc["EUR", "Total"] == 20_00


item = st.tuples(st.sampled_from(["A", "B", "C"]), st.text("XYZ0123", min_size=1, max_size=4),
                 st.one_of(st.none(), st.integers(-400, 400)), st.integers(-10**9, 10**9),
                 st.integers(0, 10**9), st.sampled_from(["open", "disputed", "closed"]),
                 st.one_of(st.none(), st.integers(-30, 30)), st.one_of(st.none(), st.integers(-400, 10)))


@settings(max_examples=200, deadline=None)
@given(st.lists(item, min_size=1, max_size=40), st.lists(st.integers(0, 400), min_size=1, max_size=6, unique=True))
def test_totals_reconcile_and_every_item_is_in_exactly_one_bucket(raw, edges):
    def day(k):
        return None if k is None else AS_OF - timedelta(days=k)
    rows = [(c, d, day(due), amt, paid, status, day(pd_), day(inv)) for c, d, due, amt, paid, status, pd_, inv in raw]
    a = aged(items(*rows), edges=tuple(sorted(edges)))
    assert a["bucket"].notna().all()
    t = bucket_totals(a)
    net = int(a["balance_minor"].sum())
    assert int(t["Total"].sum()) == net
    assert int(t.drop(columns="Total").to_numpy().sum()) == net
    for _, r in a.iterrows():  # each item's bucket is the first whose edge is >= its age
        if pd.isna(r["days_past_due"]):
            assert r["bucket"] == UNAPPLIED
        else:
            i = next((k for k, e in enumerate(sorted(edges)) if e >= r["days_past_due"]), len(edges))
            assert list(a["bucket"].cat.categories).index(r["bucket"]) == i
