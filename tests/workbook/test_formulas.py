"""The schedule as native Excel formulas, recalculated by LibreOffice, equals the Python schedule.

LibreOffice headless is the independent formula engine (FACTS.md: PMT, EDATE,
ROUND computed correctly; OOXMLRecalcMode=0 forces a recalculation on load).
All books are recalculated in a single soffice call.
"""
from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from addin.core.money import minor_digits  # noqa: E402
from addin.core.plans import installments  # noqa: E402
from addin.workbook.formulas import (SCHEDULE_HEADER, column_index, column_letter,  # noqa: E402
                                     number_formats, schedule_formulas)
from tests.libreoffice import recalculate, require_soffice  # noqa: E402

START_ROW = 7
PLANS = [
    # id, principal, annual rate, n, first due, frequency, when, currency, remainder
    ("excel_pmt", "10000", "0.08", 10, date(2024, 1, 31), "monthly", "end", "", "last"),
    ("npf_pmt", "200000", "0.075", 180, date(2025, 1, 31), "monthly", "end", "", "last"),
    ("no_interest", "1000", "0", 3, date(2025, 3, 15), "monthly", "end", "", "last"),
    ("no_interest_first", "1000", "0", 7, date(2025, 3, 15), "weekly", "end", "", "first"),
    ("quarterly_begin", "5000", "0.12", 8, date(2024, 8, 31), "quarterly", "begin", "", "last"),
    ("fortnightly_begin", "2500", "0.095", 26, date(2025, 2, 28), "fortnightly", "begin", "", "last"),
    ("weekly_end", "8000", "0.10", 36, date(2025, 1, 6), "weekly", "end", "", "last"),
    ("yen", "123457", "0.05", 12, date(2025, 1, 31), "monthly", "end", "JPY", "last"),
    ("tiny_clamped", "0.10", "0.01", 15, date(2025, 5, 31), "monthly", "end", "", "last"),
    ("odd_cents", "1234.56", "0.1999", 17, None, "monthly", "begin", "", "last"),
]


def test_helpers():
    assert column_letter(1) == "A" and column_letter(27) == "AA" and column_index("AB") == 28
    assert number_formats("JPY")[2] == "#,##0"
    rows = schedule_formulas("$B$1", "$B$2", "$B$3", "$B$4", "monthly", 3, 7)
    assert rows[0][1] == '=IF($B$4="","",EDATE($B$4,0))'
    assert rows[2][2] == "=ROUND(F8+D9,2)"  # the last row absorbs the remainder
    # only functions every Excel since 2010 has
    text = " ".join(str(c) for r in rows for c in r).upper()
    for banned in ("XLOOKUP", "LET(", "SEQUENCE", "LAMBDA", "_XLFN"):
        assert banned not in text
    with pytest.raises(ValueError, match="above 0"):
        schedule_formulas("$B$1", "$B$2", "$B$3", None, "monthly", 0, 7)


def _write_book(path: Path, plan) -> None:
    pid, principal, rate, n, first, freq, when, cur, rem = plan
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Plan"
    ws["A1"], ws["B1"] = "Principal", float(principal)
    ws["A2"], ws["B2"] = "Annual rate", float(rate)
    ws["A3"], ws["B3"] = "Installments", n
    ws["A4"], ws["B4"] = "First due", first
    ws["B4"].number_format = "yyyy-mm-dd"
    for j, h in enumerate(SCHEDULE_HEADER, start=1):
        ws.cell(START_ROW - 1, j, h)
    fmts = number_formats(cur)
    rows = schedule_formulas("$B$1", "$B$2", "$B$3", "$B$4" if first else None, freq, n,
                             START_ROW, when=when, currency=cur, remainder=rem)
    for i, row in enumerate(rows):
        for j, value in enumerate(row, start=1):
            c = ws.cell(START_ROW + i, j, value)
            c.number_format = fmts[j - 1]
    wb.save(path)


def test_libreoffice_recalculates_the_python_schedule(tmp_path):
    """Write the formulas for several plans, recalculate with LibreOffice, compare to the cent."""
    require_soffice()
    src = tmp_path / "src"
    src.mkdir()
    books = []
    for plan in PLANS:
        p = src / f"{plan[0]}.xlsx"
        _write_book(p, plan)
        books.append(p)
    outs = recalculate(books, tmp_path / "out")
    for plan, out in zip(PLANS, outs):
        pid, principal, rate, n, first, freq, when, cur, rem = plan
        expected = installments(Decimal(principal), n, Decimal(rate), first, freq, when, cur, rem)
        ws = openpyxl.load_workbook(out, data_only=True)["Plan"]
        q = Decimal(1).scaleb(-minor_digits(cur))
        for i, row in enumerate(expected):
            got = [ws.cell(START_ROW + i, j).value for j in range(1, 7)]
            assert got[0] == row.number, (pid, i)
            if row.due_date is None:
                assert got[1] in (None, ""), (pid, i, got[1])
            else:
                assert isinstance(got[1], datetime), (pid, i, got[1])
                assert got[1].date() == row.due_date, (pid, i)
            money = [Decimal(repr(float(v))).quantize(q) for v in got[2:]]
            assert money == [row.payment, row.interest, row.principal, row.balance], (pid, row, got)
