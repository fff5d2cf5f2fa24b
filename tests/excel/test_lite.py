"""`arcollect addin lite`: the generated main.py is a thin shell over the ribbon's use cases and the cell functions.

On Linux xlwings' decorators return the function unchanged, so the generated
module is imported and run as plain Python: its scripts on the fake book, its
functions against the desktop cell functions. Pyodide cannot install packages
here (no network); the check of the core's dependencies against Pyodide's own
package list runs when ARCOLLECT_PYODIDE_LOCK names a pyodide-lock.json
(`npm install pyodide` ships it).
"""
from __future__ import annotations

import importlib.util
import json
import os
from datetime import date

import pytest

from addin.cli import main
from addin.excel import lite, lite_runtime, ribbon, udfs
from tests.workbook import fake_xlwings
from tests.workbook.test_port_contract import demo_book


@pytest.fixture
def generated(tmp_path):
    assert main(["addin", "lite", "--out", str(tmp_path / "lite"), "--wheel", "https://example.test/arcollect.whl"]) == 0
    spec = importlib.util.spec_from_file_location("lite_main", tmp_path / "lite" / "main.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, tmp_path / "lite"


def test_requirements_name_pyodides_packages_and_the_wheel(generated):
    _, folder = generated
    assert (folder / "requirements.txt").read_text().split() == [
        "pandas", "numpy", "python-dateutil", "https://example.test/arcollect.whl"]


def test_the_functions_are_the_desktop_cell_functions(generated):
    m, _ = generated
    due, as_of = date(2026, 10, 1), date(2026, 11, 30)
    assert m.ar_dayspastdue(due, as_of) == udfs.AR_DAYSPASTDUE(due, as_of) == 60
    assert m.ar_bucket(due, as_of) == udfs.AR_BUCKET(due, as_of)
    assert m.ar_installments(1000.0, 3) == udfs.AR_INSTALLMENTS(1000.0, 3)
    assert m.ar_lateinterest(1000.0, due, as_of, None, 0.08) == udfs.AR_LATEINTEREST(1000.0, due, as_of, None, 0.08)
    source = (generated[1] / "main.py").read_text()
    assert source.count('@func(namespace="AR"') == len(lite.FUNCTIONS)


def test_every_script_is_a_ribbon_button(generated):
    assert {button for _, button, _ in lite.SCRIPTS} <= set(ribbon.BUTTONS)
    assert "arSend" not in {button for _, button, _ in lite.SCRIPTS}    # no SMTP in Pyodide


def test_refresh_from_lite_on_the_open_book(generated, tmp_path):
    m, _ = generated
    book = fake_xlwings.Book.from_file(demo_book(tmp_path / "ar.xlsx"))
    m.refresh_aging(book)
    assert book.app.alerts[-1][1].startswith("Aged ")


def test_log_contact_from_the_log_sheet(generated, tmp_path):
    m, _ = generated
    book = fake_xlwings.Book.from_file(demo_book(tmp_path / "ar.xlsx"))
    m.log_contact(book)
    assert lite_runtime.LOG_SHEET in [s.name for s in book.sheets]
    assert "Type the contact in column B" in book.app.alerts[-1][1]
    sheet = book.sheets[lite_runtime.LOG_SHEET]
    sheet.range((1, 2)).value = [["C0004"], ["promise"], [date(2026, 12, 7)], [300.0], ["after payday"]]
    m.log_contact(book)
    assert book.app.alerts[-1][1].startswith("Logged promise for ")
    assert "after payday" in " ".join(map(str, book.sheets["History"].grid()[-1]))
    assert sheet.range((1, 2), (5, 2)).options(ndim=2).value == [[None]] * 5


@pytest.mark.skipif(not os.environ.get("ARCOLLECT_PYODIDE_LOCK"), reason="set ARCOLLECT_PYODIDE_LOCK to Pyodide's "
                    "pyodide-lock.json (npm install pyodide) to check the core's dependencies against it")
def test_the_cores_dependencies_are_in_pyodide():
    from packaging.version import Version
    from tests.core.test_purity import ALLOWED

    packages = json.loads(open(os.environ["ARCOLLECT_PYODIDE_LOCK"], encoding="utf-8").read())["packages"]
    third_party = {"pandas": "2.1.4", "numpy": "1.26.4", "python-dateutil": "2.8.2"}   # pyproject's lower bounds
    assert {"pandas", "numpy", "dateutil"} == ALLOWED & {"pandas", "numpy", "dateutil", "scipy", "pyarrow"}
    for name, lowest in third_party.items():
        assert Version(packages[name]["version"]) >= Version(lowest), name
    assert set(lite.REQUIREMENTS) == set(third_party)
