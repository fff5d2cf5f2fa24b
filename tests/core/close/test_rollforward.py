"""Roll-forward and migration: a worked month, and the property that it always ties."""
from datetime import date, timedelta

from hypothesis import given, settings, strategies as st

from addin.core.aging import age_items, open_balances
from addin.core.buckets import bucket_labels
from addin.core.close.rollforward import CLEARED, NEW, movements, roll_rates, with_occurrence
from tests.core.frames import items

EDGES = (0, 30, 60, 90)
BUCKETS = bucket_labels(EDGES)
OCT, NOV = date(2026, 10, 31), date(2026, 11, 30)


def snapshot(frame, as_of):
    """What a close keeps: the open items aged at its as-of date."""
    aged = age_items(open_balances(with_occurrence(frame), as_of), as_of, "due", EDGES)
    return aged.assign(bucket=aged["bucket"].astype(str))


def test_a_month_rolls_forward_item_by_item():
    october = items(("Acme", "INV-1", "2026-10-20", 100_00, 0, "open", None, "2026-09-20"),
                    ("Acme", "INV-2", "2026-10-01", 50_00, 0, "open", None, "2026-09-01"),
                    ("Birch", "INV-3", "2026-09-15", 80_00, 0, "open", None, "2026-08-15"),
                    ("Cobalt", "INV-4", "2026-08-01", 30_00, 0, "open", None, "2026-07-01"))
    prev = snapshot(october, OCT)
    november = items(("Acme", "INV-1", "2026-10-20", 100_00, 40_00, "open", "2026-11-10", "2026-09-20"),  # part paid
                     ("Acme", "INV-2", "2026-10-01", 50_00, 50_00, "closed", "2026-11-05", "2026-09-01"),  # paid
                     ("Birch", "INV-3", "2026-09-15", 80_00, 0, "written off", None, "2026-08-15"),
                     ("Acme", "INV-5", "2026-12-05", 200_00, 0, "open", None, "2026-11-05"),  # new
                     ("Acme", "CN-1", "2026-11-20", -10_00, 0, "open", None, "2026-11-20"))  # credit note
    m = movements(prev, with_occurrence(november), NOV, OCT, "due", EDGES, BUCKETS)
    rf = m.rollforwards["GBP"]
    assert (rf.opening, rf.invoiced, rf.received, rf.credited, rf.written_off, rf.closing) == (
        260_00, 200_00, 90_00, 10_00, 80_00, 250_00)
    assert rf.unexplained_items == 1 and rf.difference == -30_00       # Cobalt's INV-4 left the book
    mig = m.migration["GBP"]
    assert mig.at["1-30", "31-60"] == 60_00                     # INV-1 aged a bucket, part paid
    assert mig.at["1-30", CLEARED] == 40_00 + 50_00              # ... and INV-2 paid in full
    assert mig.at["31-60", CLEARED] == 80_00 and mig.at[NEW, "Current"] == 200_00 and mig.at[NEW, "1-30"] == -10_00
    assert mig.loc["1-30"].sum() == prev.loc[prev["bucket"] == "1-30", "balance_minor"].sum()
    assert roll_rates(mig, BUCKETS)["1-30"] == 40        # 60 of the 150 in 1-30 rolled to 31-60
    gone = m.items.loc[m.items["gone"]]
    assert gone["document"].tolist() == ["INV-4"]


def test_items_settled_before_the_period_are_not_movements():
    frame = items(("Acme", "OLD", "2026-06-01", 10_00, 10_00, "closed", "2026-07-01", "2026-05-01"))
    m = movements(snapshot(frame, OCT), with_occurrence(frame), NOV, OCT, "due", EDGES, BUCKETS)
    assert m.rollforwards == {} and m.items.empty


def test_a_paid_a_written_off_and_a_void_item_and_a_credit_note_each_land_in_their_own_column():
    october = items(("Acme", "INV-1", "2026-10-20", 100_00, 0, "open", None, "2026-09-20"),
                    ("Birch", "INV-2", "2026-09-15", 80_00, 30_00, "open", "2026-10-10", "2026-08-15"),
                    ("Cobalt", "INV-3", "2026-10-25", 45_00, 0, "open", None, "2026-09-25"))
    prev = snapshot(october, OCT)
    november = items(("Acme", "INV-1", "2026-10-20", 100_00, 100_00, "paid", "2026-11-12", "2026-09-20"),
                     ("Birch", "INV-2", "2026-09-15", 80_00, 30_00, "written off", "2026-10-10", "2026-08-15"),
                     ("Cobalt", "INV-3", "2026-10-25", 45_00, 0, "void", None, "2026-09-25"),
                     ("Cobalt", "CN-9", "2026-11-18", -15_00, 0, "open", None, "2026-11-18"))
    m = movements(prev, with_occurrence(november), NOV, OCT, "due", EDGES, BUCKETS)
    rf = m.rollforwards["GBP"]
    assert (rf.opening, rf.invoiced, rf.received, rf.credited, rf.written_off, rf.closing, rf.difference) == (
        195_00, 0, 100_00, 45_00 + 15_00, 50_00, -15_00, 0)
    moved = m.items.set_index("document")
    assert moved.loc["INV-1", ["received", "credited", "written_off"]].tolist() == [100_00, 0, 0]
    assert moved.loc["INV-2", ["received", "credited", "written_off"]].tolist() == [0, 0, 50_00]
    assert moved.loc["INV-3", ["received", "credited", "written_off"]].tolist() == [0, 45_00, 0]
    assert moved.loc["CN-9", ["received", "credited", "written_off"]].tolist() == [0, 15_00, 0]


def test_an_item_paid_after_the_as_of_date_was_open_then_in_the_aging_and_the_roll_forward():
    october = items(("Acme", "INV-1", "2026-11-20", 100_00, 0, "open", None, "2026-10-20"))
    book = items(("Acme", "INV-1", "2026-11-20", 100_00, 100_00, "paid", "2026-12-02", "2026-10-20"),
                 ("Acme", "INV-2", "2026-11-25", 70_00, 0, "written off", None, "2026-10-25", None, "2026-12-03"))
    aged = open_balances(with_occurrence(book), NOV)
    assert aged["document"].tolist() == ["INV-1", "INV-2"] and aged["balance_minor"].tolist() == [100_00, 70_00]
    m = movements(snapshot(october, OCT), with_occurrence(book), NOV, OCT, "due", EDGES, BUCKETS)
    rf = m.rollforwards["GBP"]
    assert (rf.received, rf.written_off, rf.closing) == (0, 0, 170_00)     # nothing left the open set by 30 Nov
    december = movements(snapshot(book, NOV), with_occurrence(book), date(2026, 12, 31), NOV, "due", EDGES,
                         BUCKETS).rollforwards["GBP"]
    assert (december.opening, december.received, december.written_off, december.closing) == (
        170_00, 100_00, 70_00, 0)


STATUSES = st.sampled_from(["open", "open", "closed", "paid", "written off", "void", "disputed"])


@st.composite
def ledgers(draw):
    """A book of items at two dates: amounts (some negative), payments before, during and after the month."""
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        inv = date(2026, 7, 1) + timedelta(days=draw(st.integers(0, 160)))
        amount = draw(st.integers(-50_000, 500_000).filter(bool))
        paid = draw(st.integers(0, abs(amount))) * (1 if amount > 0 else -1)
        paid_on = inv + timedelta(days=draw(st.integers(0, 90))) if paid else None
        closed_on = draw(st.none() | st.integers(0, 150).map(lambda d: (inv + timedelta(days=d)).isoformat()))
        rows.append((f"C{draw(st.integers(1, 4))}", f"D{draw(st.integers(1, 8))}",
                     (inv + timedelta(days=30)).isoformat(), amount, paid, draw(STATUSES),
                     paid_on and paid_on.isoformat(), inv.isoformat(), None, closed_on))
    before = items(*rows)
    dropped = draw(st.sets(st.integers(0, n - 1), max_size=3))
    return before, before.drop(index=list(dropped))


@settings(max_examples=200, deadline=None)
@given(ledgers())
def test_the_roll_forward_always_ties(ledger):
    before, now = ledger
    prev = snapshot(before, OCT)
    m = movements(prev, with_occurrence(now), NOV, OCT, "due", EDGES, BUCKETS)
    closing = open_balances(with_occurrence(now), NOV)
    for cur, rf in m.rollforwards.items():
        assert rf.opening == prev.loc[prev["currency"] == cur, "balance_minor"].sum()
        assert rf.closing == closing.loc[closing["currency"] == cur, "balance_minor"].sum()
        explained = rf.opening + rf.invoiced - rf.received - rf.credited - rf.written_off
        assert rf.closing - explained == rf.difference
        gone = m.items.loc[m.items["gone"] & (m.items["currency"] == cur), "before"].sum()
        assert rf.difference == -gone          # only what left the book unexplained breaks the tie
        mig = m.migration[cur]
        for b in BUCKETS:                       # each row of the matrix adds up to that bucket's opening balance
            assert mig.loc[b].sum() == prev.loc[(prev["currency"] == cur) & (prev["bucket"] == b),
                                                "balance_minor"].sum()
        assert mig.drop(columns=CLEARED).to_numpy().sum() == rf.closing


def test_an_undated_settled_item_is_no_movement_and_an_undated_open_one_is_new():
    frame = items(("Acme", "OLD", "2026-06-01", 10_00, 10_00, "closed"),       # no invoice or paid date
                  ("Acme", "NEW", "2026-11-20", 25_00))
    m = movements(snapshot(frame.iloc[:0], OCT), with_occurrence(frame), NOV, OCT, "due", EDGES, BUCKETS)
    rf = m.rollforwards["GBP"]
    assert (rf.invoiced, rf.received, rf.closing, rf.difference) == (25_00, 0, 25_00, 0)
