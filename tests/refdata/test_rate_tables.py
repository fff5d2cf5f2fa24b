"""The shipped reference-rate tables: contents, sources, how far they are checked, and the warning past it."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from importlib import resources

import pytest

from addin.core.interest import reference_date
from addin.refdata import (TABLES, RateTable, boe_bank_rate, ecb_mro_rate, load_rate_table, parse_rate_table,
                           reference_rates, unchecked_warning)

D = Decimal
HEADER = "effective_date,rate_percent\n"


def _text(name: str) -> str:
    return resources.files("addin.refdata").joinpath(name).read_text(encoding="utf-8")


def test_tables_cover_2015_to_2026_and_name_sources():
    for table in (boe_bank_rate(), ecb_mro_rate()):
        rows = table.rows
        assert rows[0][0] <= date(2015, 1, 1) and rows[-1][0] >= date(2025, 6, 1)
        assert [d for d, _ in rows] == sorted({d for d, _ in rows})
    for name in TABLES.values():
        assert "Source:" in _text(name)
    boe = dict(boe_bank_rate().rows)
    assert boe[date(2016, 8, 4)] == D("0.0025") and boe[date(2020, 3, 19)] == D("0.001")
    assert boe[date(2025, 12, 18)] == D("0.0375")
    ecb = dict(ecb_mro_rate().rows)
    assert ecb[date(2016, 3, 16)] == 0 and ecb[date(2025, 6, 11)] == D("0.0215")
    assert ecb[date(2026, 6, 17)] == D("0.024")  # decision of 11 June 2026


@pytest.mark.parametrize("name", sorted(TABLES.values()))
def test_every_2026_row_names_its_source(name):
    """A row added in 2026 or later is mentioned in a comment line that carries a link."""
    text = _text(name)
    comments = [ln for ln in text.splitlines() if ln.startswith("#")]
    for when, _ in parse_rate_table(text, name).rows:
        if when.year >= 2026:
            assert any(when.isoformat() in ln and "http" in " ".join(comments[i:i + 4])
                       for i, ln in enumerate(comments)), f"{name}: no source for the {when} row"


def test_shipped_tables_are_checked_through_the_second_half_of_2026():
    """The demo and 2026's month-ends need the rates fixing July-December 2026 interest."""
    for rule, table in (("uk-1998", boe_bank_rate()), ("eu-2011-7", ecb_mro_rate())):
        assert table.valid_through >= reference_date(rule, date(2026, 12, 31))
        assert table.source.startswith(TABLES[rule])
        assert unchecked_warning(rule, date(2026, 12, 31)) is None


@pytest.mark.parametrize("rule", sorted(TABLES))
def test_a_run_needing_a_rate_past_the_checked_date_is_warned_naming_the_file(rule):
    table = reference_rates(rule)
    # the first as-of date whose latest needed rate lies past the table's checked date
    as_of = table.valid_through
    while reference_date(rule, as_of) <= table.valid_through:
        as_of += timedelta(days=1)
    assert unchecked_warning(rule, as_of - timedelta(days=1)) is None
    warning = unchecked_warning(rule, as_of)
    assert TABLES[rule] in warning
    assert f"checked through {table.valid_through.isoformat()}" in warning
    assert reference_date(rule, as_of).isoformat() in warning


def test_the_simple_rule_needs_no_table():
    assert reference_rates("simple") is None
    assert unchecked_warning("simple", date(2099, 1, 1)) is None


def test_valid_through_is_parsed_and_checked():
    t = parse_rate_table("# src\n# Valid through: 2026-06-30\n" + HEADER + "2020-01-01,1.5\n", "mine.csv")
    assert t == RateTable(((date(2020, 1, 1), D("0.015")),), date(2026, 6, 30), "mine.csv")
    assert t.unchecked(date(2026, 6, 30)) is None
    assert "mine.csv is checked through 2026-06-30" in t.unchecked(date(2026, 7, 1))


@pytest.mark.parametrize("head, message", [
    ("# valid through: 2026-06-30\n# valid through: 2026-07-30\n", "more than one"),
    ("# valid through: soon\n", "not a date"),
    ("# valid through: 2019-12-31\n", "before its last row"),
])
def test_bad_valid_through_lines_are_refused_naming_the_file(head, message):
    with pytest.raises(ValueError, match=f"mine.csv: .*{message}"):
        parse_rate_table(head + HEADER + "2020-01-01,1.5\n", "mine.csv")


def test_user_rate_file(tmp_path):
    p = tmp_path / "rates.csv"
    p.write_text("# my own\n" + HEADER + "2020-01-01,1.5\n", encoding="utf-8")
    table = load_rate_table(p)
    assert table.rows == ((date(2020, 1, 1), D("0.015")),) and table.source == str(p)
    assert table.valid_through is None
    assert "does not say how far it is checked" in table.unchecked(date(2020, 1, 1))
    assert unchecked_warning("uk-1998", date(2020, 8, 1), p).startswith(f"the rate table {p} ")
    with pytest.raises(ValueError, match="header"):
        parse_rate_table("date,rate\n2020-01-01,1\n")
