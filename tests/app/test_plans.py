"""`arcollect plan` (and the ribbon's Payment plan): a plan row for the customer's open balance, logged."""
from __future__ import annotations

from decimal import Decimal

import pytest
from python_calamine import CalamineWorkbook

from addin.app import age_report, assess
from addin.app.errors import UsageError
from addin.app.plans import add_plan
from addin.cli import main
from tests.workbook.test_port_contract import AS_OF, NOW, demo_book


def rows(path, sheet):
    return [r for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python() if any(r)]


def test_a_plan_row_and_its_history_row(tmp_path, capsys):
    book = demo_book(tmp_path / "ar.xlsx")
    plans, history = len(rows(book, "Plans")), len(rows(book, "History"))
    assert main(["plan", str(book), "--customer", "C0005", "--installments", "4"]) == 0
    assert "Added a plan for " in capsys.readouterr().out
    new = rows(book, "Plans")
    assert len(new) == plans + 1 and new[-1][4] == 4 and new[-1][5] == "monthly" and new[-1][-1] == "active"
    logged = rows(book, "History")
    assert len(logged) == history + 1 and logged[-1][9] == "plan"


def test_the_principal_is_the_open_balance_to_the_cent(tmp_path):
    book = demo_book(tmp_path / "ar.xlsx")
    report = age_report(assess(book, AS_OF, today=AS_OF))
    p = add_plan(book, "C0005", today=AS_OF, now=NOW)
    owed = sum(Decimal(i["balance"]) for i in report["invoices"]
               if i["customer"] == p.customer and i["currency"] == p.currency)
    assert p.principal == owed and owed > 0


@pytest.mark.parametrize("customer, installments, message", [
    ("Nobody", 3, 'no customer "Nobody"'), ("C0005", 0, "at least one installment")])
def test_refusals_name_what_is_wrong(tmp_path, customer, installments, message):
    book = demo_book(tmp_path / "ar.xlsx")
    with pytest.raises(UsageError, match=message):
        add_plan(book, customer, today=AS_OF, now=NOW, installments=installments)
