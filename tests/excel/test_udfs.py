"""Excel cell functions (addin.excel.udfs) as plain Python (xlwings' decorators are
no-ops on Linux), plus a check of their Function Wizard metadata through
xlwings' own UDF registration code."""
from __future__ import annotations

import importlib
from datetime import date, datetime

import pytest

from addin.excel import udfs
from addin.excel.udfs import (AR_BUCKET, AR_DAYSPASTDUE, AR_INSTALLMENTS, AR_LATEINTEREST,
                              to_date)


def test_dates_from_serials_datetimes_and_text():
    assert to_date(45322.0, "d") == date(2024, 1, 31)  # Excel serial of 31 Jan 2024
    assert to_date(45322, "d") == date(2024, 1, 31)
    assert to_date(datetime(2024, 1, 31, 0, 0), "d") == date(2024, 1, 31)
    assert to_date(" 2024-01-31 ", "d") == date(2024, 1, 31)


def test_days_past_due_and_bucket():
    assert AR_DAYSPASTDUE(45322.0, 45351.0) == 29
    assert AR_DAYSPASTDUE(datetime(2024, 1, 31), "2024-01-01") == -30
    assert isinstance(AR_DAYSPASTDUE(date.today()), int)  # blank as-of = today, at the edge
    assert AR_BUCKET("2024-01-31", "2024-03-01") == "1-30"
    assert AR_BUCKET("2024-01-31", "2024-04-30") == "61-90"
    assert AR_BUCKET("2024-01-31", "2024-05-01") == "91+"
    assert AR_BUCKET("2024-01-31", "2024-03-01", "0,15,30") == "16-30"
    assert AR_BUCKET("2024-01-31", "2024-03-01", [[0.0], [15.0], [30.0]]) == "16-30"
    assert AR_BUCKET("2024-01-31", "2024-03-01", [0.0, 10.0, None]) == "11+"


def test_installments_spill():
    out = AR_INSTALLMENTS(10000.0, 10.0, 0.08, 45322.0, None)
    assert out[0] == ["No.", "Due date", "Payment", "Interest", "Principal", "Balance"]
    assert len(out) == 11
    assert out[1] == [1, date(2024, 1, 31), 1037.03, 66.67, 970.36, 9029.64]
    assert out[2][1] == date(2024, 2, 29)
    assert out[-1][5] == 0.0 and out[-1][2] == 1037.07
    no_dates = AR_INSTALLMENTS(100.0, 3.0)
    assert [r[2] for r in no_dates[1:]] == [33.33, 33.33, 33.34] and no_dates[1][1] == ""
    assert AR_INSTALLMENTS(1000.0, 4.0, 0.12, "2024-01-31", "quarterly")[2][1] == date(2024, 4, 30)


def test_late_interest():
    assert AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21", "uk-1998") == 18.15
    assert AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21", "uk-1998", None, "total") == 88.15
    assert AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21", "uk-1998", None, "days") == 50
    assert AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21", "uk-1998", None, "rate") == 0.1325
    assert AR_LATEINTEREST(2500.0, "2025-01-01", "2025-03-02", None, 0.1) == 41.1
    assert "Directive 2011/7/EU" in AR_LATEINTEREST(1000.0, "2024-05-15", "2025-02-10",
                                                    "eu-2011-7", None, "explanation")


@pytest.mark.parametrize("call, message", [
    (lambda: AR_INSTALLMENTS(1000.0, -3.0), "#ARCOLLECT: number of installments must be a whole number above 0, got -3"),
    (lambda: AR_INSTALLMENTS(1000.0, 0.0), "above 0"),
    (lambda: AR_INSTALLMENTS(None, 3.0), "#ARCOLLECT: the principal must be a number, got a blank"),
    (lambda: AR_INSTALLMENTS(1000.0, 3.0, None, None, "daily"), "frequency must be"),
    (lambda: AR_DAYSPASTDUE("soon"), '#ARCOLLECT: the due date must be a date, got "soon"'),
    (lambda: AR_BUCKET(45322.0, 45351.0, "0,x"), "#ARCOLLECT: a bucket edge must be a number"),
    (lambda: AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21"), "needs an annual rate"),
    (lambda: AR_LATEINTEREST(1000.0, "2024-01-31", "2024-03-21", "mars"), "simple, uk-1998 or eu-2011-7"),
    (lambda: AR_LATEINTEREST("lots", "2024-01-31"), "#ARCOLLECT: the amount must be a number"),
    (lambda: AR_LATEINTEREST(1000.0, "2024-01-31", None, "simple", 0.08, "cake"), "part must be one of"),
])
def test_bad_arguments_give_readable_cell_errors(call, message):
    result = call()
    assert isinstance(result, str) and result.startswith("#ARCOLLECT: ")
    assert message in result
    assert "Traceback" not in result


def test_function_wizard_metadata(monkeypatch):
    """Run the module through xlwings' real UDF registration: every @xw.arg names a real
    argument and carries a doc, and every function has a description."""
    import sys
    import types

    import xlwings as xw

    # xlwings.udfs imports the Windows COM modules at the top; stand-ins let its pure
    # registration code (xlfunc/xlarg/xlret) run here.
    for stub in ("pythoncom", "pywintypes", "win32com", "win32com.client"):
        if stub not in sys.modules:
            monkeypatch.setitem(sys.modules, stub, types.ModuleType(stub))
    monkeypatch.setattr(sys.modules["pythoncom"], "CoInitialize", lambda: None, raising=False)
    monkeypatch.setattr(sys.modules["win32com.client"], "Dispatch", object, raising=False)
    try:
        from xlwings import udfs as xlu
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"xlwings.udfs cannot load without Windows COM here: {exc}")

    monkeypatch.setattr(xw, "func", xlu.xlfunc)
    monkeypatch.setattr(xw, "arg", xlu.xlarg)
    monkeypatch.setattr(xw, "ret", xlu.xlret)
    try:
        mod = importlib.reload(udfs)
        for name in ("AR_DAYSPASTDUE", "AR_BUCKET", "AR_INSTALLMENTS", "AR_LATEINTEREST"):
            info = getattr(mod, name).__xlfunc__
            assert info["ret"]["doc"], name
            for arg in info["args"]:
                assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
    finally:
        monkeypatch.undo()
        importlib.reload(udfs)
