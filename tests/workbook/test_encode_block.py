"""The sheet writer's cells are the same XML whichever form a column comes in: a list of Python values, or a
pandas column (whose few distinct values are each made text once and repeated by code)."""
import pandas as pd
import pytest

from addin.workbook.xlsx_xml import CellContext, encode_block

COLUMNS = {
    "currencies": ["EUR", "USD", None, "EUR", "GBP", "EUR", "USD", "EUR"] * 4,
    "markup and edges": ["a & b", " lead", "<x>", "a & b", " lead", None, "<x>", "a & b"] * 4,
    "mixed types": ["EUR", 1, "EUR", 2.5, "EUR", "EUR", "EUR", "EUR"] * 4,
    "control character": ["ok\x01", "ok", "ok", "ok", "ok", "ok", "ok", "ok"] * 4,
    "mostly distinct": [f"INV-{i}" for i in range(32)],
}


def _xml(column) -> str:
    rows = [str(r) for r in range(2, 2 + len(column))]
    return encode_block(["B"], rows, [column], [""], CellContext(False, 1, 2, 3), [False], True)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_a_pandas_column_writes_as_its_list_does(name):
    values = COLUMNS[name]
    assert _xml(pd.Series(values, dtype=object)) == _xml(values)


def test_a_categorical_column_writes_as_its_list_does():
    values = COLUMNS["currencies"]
    assert _xml(pd.Series(values).astype("category")) == _xml(values)


def test_an_arrow_text_column_with_missing_values_writes_no_cell_for_them():
    values = COLUMNS["currencies"]
    xml = _xml(pd.Series(values, dtype="string[pyarrow]"))
    assert xml == _xml(values)
    assert xml.count("<c ") == sum(v is not None for v in values)
    assert '<c r="B4"' not in xml and xml.count(">EUR<") == values.count("EUR")
