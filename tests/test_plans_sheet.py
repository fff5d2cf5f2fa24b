"""The Plans sheet: schedules written, plans tracked against logged payments, broken plans back on the ladder."""
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

import addin
from addin.app import assess, refresh
from addin.workbook.template import build_workbook
from tests.libreoffice import recalculate, require_soffice
from tests.xlsx_checks import check_package

AS_OF = date(2026, 11, 30)


def book_with_plan(tmp_path, payments, formulas=False):
    rows = [["C1", "Acme Ltd", "", "ap@acme.example", "", "INV-1", date(2026, 6, 1), date(2026, 7, 1), 1200, 0,
             None, "GBP", "plan", None, "business", "en", ""],
            ["C1", "Acme Ltd", "", "ap@acme.example", "", "INV-2", date(2026, 9, 1), date(2026, 10, 1), 300, 0,
             None, "GBP", "open", None, "business", "en", ""]]
    history = [[f"{d.isoformat()}T12:00:00Z", "manual", "C1", "Acme Ltd", "GBP", "", None, "bank", "", "paid", "",
                None, None, amt, "clerk", "", ""] for d, amt in payments]
    plans = [["C1", "Acme Ltd", 1200, 0.06, 6, "monthly", date(2026, 9, 15), "GBP", "active"]]
    return build_workbook(tmp_path / "plan.xlsx", rows, history=history, plans=plans,
                          settings={"Plan schedule as formulas": "yes" if formulas else "no"})


def schedule():
    return addin.installments(Decimal("1200"), 6, Decimal("0.06"), date(2026, 9, 15), currency="GBP")


def test_a_kept_plan_holds_the_customer_and_its_status_is_written(tmp_path):
    pay = schedule()[0].payment
    path = book_with_plan(tmp_path, [(date(2026, 9, 15), pay), (date(2026, 10, 15), pay), (date(2026, 11, 14), pay)])
    result = refresh(path, AS_OF, today=AS_OF, drafts=False)
    d = result.assessment.decisions.iloc[0]
    assert (d.action, d.reason) == ("hold", "payment plan on track")
    check_package(path)
    wb = CalamineWorkbook.from_path(str(path))
    plans = wb.get_sheet_by_name("Plans").to_python()
    assert plans[0][-5:] == ["Next Due", "Next Amount", "Paid to Date", "Missed", "Plan Status"]
    assert plans[1][-5:] == [date(2026, 12, 15), float(pay), float(3 * pay), 0.0, "on track"]
    sched = wb.get_sheet_by_name("Plan Schedule").to_python()
    assert len(sched) == 7 and sched[1][:4] == [2.0, "Acme Ltd", 1.0, date(2026, 9, 15)]
    assert sum(Decimal(repr(r[4])) for r in sched[1:]) == sum(r.payment for r in schedule())


def test_a_broken_plan_puts_the_customer_back_on_the_ladder(tmp_path):
    path = book_with_plan(tmp_path, [(date(2026, 9, 15), schedule()[0].payment)])
    a = assess(path, AS_OF, today=AS_OF)
    d = a.decisions.iloc[0]
    assert d.action == "contact" and "payment plan broken" in d.reason
    assert a.plans.values[-1] == ["broken"]


def test_plan_schedule_as_live_formulas_computes_the_same_cents(tmp_path):
    soffice = require_soffice()
    assert soffice
    path = book_with_plan(tmp_path, [], formulas=True)
    refresh(path, AS_OF, today=AS_OF, drafts=False)
    check_package(path)
    (out,) = recalculate([path], tmp_path / "recalc")
    ws = load_workbook(out, data_only=True)["Plan Schedule"]
    got = [(r[2], r[3].date(), Decimal(str(r[4])).quantize(Decimal("0.01")))
           for r in ws.iter_rows(min_row=2, values_only=True)]
    assert got == [(r.number, r.due_date, r.payment) for r in schedule()]
