"""Values as exports write them: dates with month names, separators by convention, status words, and the
cell values fastexcel hands back when a cell did not fit its column's type."""
from datetime import date

import pytest

from addin.core.parse import Conventions
from addin.workbook.schema import concepts, header_candidates
from addin.workbook.statuses import status_of
from addin.workbook.typed import error_value
from addin.workbook.values import feasible_orders, read_text_date, reads_all, swapped

EN, DE = Conventions(), Conventions(locale="de_DE", decimal=",", group=".")


@pytest.mark.parametrize("text, want", [
    ("Jan 28 2021", date(2021, 1, 28)), ("28-Jan-21", date(2021, 1, 28)), ("January 28, 2021", date(2021, 1, 28)),
    ("28. Januar 2021", date(2021, 1, 28)), ("3 de abril de 2026", date(2026, 4, 3)), ("1 maart 2024", date(2024, 3, 1)),
    ("12 août 2025 10:30", date(2025, 8, 12)), ("5 dicembre 2025", date(2025, 12, 5)), ("2026-11-30", date(2026, 11, 30)),
])
def test_text_dates_with_month_names_in_six_languages(text, want):
    assert read_text_date(text) == want


def test_day_month_order_is_what_every_value_allows():
    assert feasible_orders(["1/26/2013", "3/4/2013"]) == {"MDY"}
    assert feasible_orders(["26/1/2013"]) == {"DMY"}
    assert feasible_orders(["3/4/2013", "2026-01-01"]) == {"DMY", "MDY"}


def test_separators_where_the_convention_puts_them():
    assert reads_all(["1,234.50", "(120.00)", "$13.50", "12.5"], EN)
    assert not reads_all(["12,50"], EN)  # a group of two digits: a decimal comma
    assert reads_all(["12,50", "1.234,56", "-5,00 €"], DE) and reads_all(["12,50"], swapped(EN))
    assert not reads_all(["1,234.50"], DE)


@pytest.mark.parametrize("detail, want", [
    ("Expected datetime but got 'String(\"TBD\")'", "TBD"),
    ("Expected float but got 'String(\"He said \\\"hi\\\"\\n\")'", 'He said "hi"\n'),
    ("Expected datetime but got 'Bool(true)'", True),
    ("Expected float but got 'DateTime(ExcelDateTime { value: 46056.0, datetime_type: DateTime, is_1904: false })'",
     date(2026, 2, 3)),
    ("Expected float but got 'Float(7.25)'", 7.25),
])
def test_the_cell_value_behind_a_fastexcel_coercion_error(detail, want):
    assert error_value(detail) == want


@pytest.mark.parametrize("word, status", [
    ("Partially Paid", "open"), ("NOT DUE", "open"), ("Financed", "open"), ("Received", "closed"),
    ("Written off", "closed"), ("In Dispute", "disputed"), ("On Hold", "disputed"), ("PTP", "promise"),
    ("Payment plan", "plan"), ("Inkasso", "legal"), ("", "open"), ("01", None), ("Frozen", None),
])
def test_status_words(word, status):
    assert status_of(word) == status


def test_header_words_split_compounds_but_not_inside_unrelated_words():
    assert concepts("pduedate")[0] == {"due", "date"} and concepts("codcli")[0] == {"customer", "number"}
    assert concepts("Rechnungsnr.")[0] == {"invoice", "number"} and concepts("Region")[0] == set()
    assert concepts("GlobalCustomer")[0] == {"customer"}  # "bal" inside "global" is not a balance
    assert [c.field for c in header_candidates("Customer Type", 0)] == ["customer_type"]
    assert [c.field for c in header_candidates("Days Past Due", 0)] == []
