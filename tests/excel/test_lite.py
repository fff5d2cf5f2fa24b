"""`arcollect addin lite`: the generated main.py is a thin shell over the ribbon's use cases and the cell functions.

On Linux xlwings' decorators return the function unchanged, so the generated
module is imported and run as plain Python: its scripts on the fake book, its
functions against the desktop cell functions; and once more in a subprocess
where the modules Pyodide lacks cannot be imported (lite_without_file_readers).
Pyodide cannot install packages here (no network for its packages): the wheel's
dependencies are checked by their markers for an emscripten machine, and against
Pyodide's own package list when ARCOLLECT_PYODIDE_LOCK names a
pyodide-lock.json (`npm install pyodide` ships it); with ARCOLLECT_PYODIDE_DIR
naming that npm package (and node on PATH), every module of the wheel is
compiled and imported in Pyodide itself.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from datetime import date
from email.parser import Parser
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


ROOT = Path(__file__).resolve().parents[2]
# xlwings Lite's Python (pyodide-lock.json of Pyodide 314.0.8: CPython 3.14.2, emscripten 5.0.3, wasm32)
PYODIDE = {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten",
           "platform_machine": "wasm32", "os_name": "posix", "python_version": "3.14",
           "python_full_version": "3.14.2", "implementation_name": "cpython",
           "platform_python_implementation": "CPython", "extra": ""}
# What micropip installs for the wheel: Pyodide's own builds ...
IN_PYODIDE = {"pandas", "numpy", "python-dateutil", "pyarrow", "jinja2", "lxml", "tqdm", "pillow"}
# ... and pure-Python wheels from PyPI (py3-none-any; `pip download --only-binary=:all: --platform any` found
# babel 2.19.0, reportlab 5.1.0, openpyxl 3.1.5 and pypdf 7.1.1 so in December 2026)
PURE = {"babel", "reportlab", "openpyxl", "pypdf"}
LITE_OWN = {"xlwings"}   # Lite brings its own xlwings: the one the generated main.py imports


def _left(requirements) -> set[str]:
    """The requirements an emscripten machine installs, by canonical name."""
    return {canonicalize_name(r.name) for r in map(Requirement, requirements)
            if r.marker is None or r.marker.evaluate(PYODIDE)}


def _with_dependencies(names: set[str]) -> set[str]:
    """``names`` and what they require on an emscripten machine (as installed here), transitively."""
    found, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            try:
                todo += _left(requires(name) or [])
            except PackageNotFoundError:
                pass
    return found


def test_requirements_name_the_wheel_alone(generated):
    _, folder = generated
    assert (folder / "requirements.txt").read_text().split() == ["https://example.test/arcollect.whl"]


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


def test_the_scripts_run_without_what_pyodide_lacks(tmp_path):
    """Every Lite script, in a Python where python-calamine, fastexcel, the zip guard, isal, keyring, aiosmtpd and
    pyOpenVBA cannot be imported: the live port reads Excel's values, and the drafts are written."""
    assert main(["addin", "lite", "--out", str(tmp_path / "lite")]) == 0
    book = demo_book(tmp_path / "ar.xlsx")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([sys.executable, str(Path(__file__).with_name("lite_without_file_readers.py")),
                           str(tmp_path / "lite" / "main.py"), str(book)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    refresh, draft, ask, logged, plan = got["alerts"]
    assert refresh.startswith("Aged ") and "Drafted" not in refresh
    assert draft.startswith("Aged ") and "Drafted 13 document(s) for 12 customer(s)" in draft
    assert "Type the contact in column B" in ask
    assert logged.startswith("Logged promise for ")
    assert plan.startswith("Added a plan for ")
    assert sum(name.endswith(".eml") for name in got["drafts"]) == 12 and any(n.endswith(".pdf") for n in got["drafts"])
    assert got["loaded"] == []
    assert set(got["refused"]) <= {"isal"}   # zipparts tries ISA-L and falls back to zlib
    # every distribution the scripts loaded is one micropip installs for the wheel (or Lite's own xlwings);
    # pypdf uses cryptography when it is there and does without it otherwise
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    allowed = _with_dependencies(_left(deps)) | LITE_OWN | {"cryptography", "cffi", "pycparser"}
    assert {canonicalize_name(d) for d in got["distributions"]} <= allowed


def test_the_wheel_installs_in_pyodide(tmp_path):
    """The built wheel's Requires-Dist, markers evaluated for xlwings Lite's emscripten Python: what is left is
    in Pyodide's distribution or pure Python, and (with ARCOLLECT_PYODIDE_LOCK) at a version the lock satisfies."""
    from tests.test_wheel import build_wheel

    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        meta = Parser().parsestr(zf.read(next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA")))
                                 .decode())
    requirements = [Requirement(r) for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    left = {canonicalize_name(r.name): r for r in requirements if r.marker is None or r.marker.evaluate(PYODIDE)}
    assert set(left) == IN_PYODIDE | PURE
    assert not {"python-calamine", "fastexcel", "keyring", "aiosmtpd", "pyopenvba", "xlwings"} & set(left)
    lock = os.environ.get("ARCOLLECT_PYODIDE_LOCK")
    if not lock:
        pytest.skip("set ARCOLLECT_PYODIDE_LOCK to Pyodide's pyodide-lock.json to check the versions against it")
    packages = json.loads(Path(lock).read_text(encoding="utf-8"))["packages"]
    for name in IN_PYODIDE:
        assert left[name].specifier.contains(packages[name]["version"], prereleases=True), (name, packages[name])
    for name in PURE:
        assert name not in packages or packages[name]["file_name"].endswith("-none-any.whl")


@pytest.mark.skipif(not (os.environ.get("ARCOLLECT_PYODIDE_DIR") and shutil.which("node")),
                    reason="set ARCOLLECT_PYODIDE_DIR to the npm pyodide package (npm install pyodide) and have node")
def test_the_wheel_in_pyodide(tmp_path):
    """In Pyodide itself (no package of its own can be fetched here): every module compiles under its CPython,
    and a module that does not import lacks only a dependency micropip installs, Lite's own xlwings, or a
    desktop-only one in a module the Lite scripts never import."""
    from tests.test_wheel import build_wheel

    wheel = build_wheel(tmp_path)
    proc = subprocess.run(["node", str(Path(__file__).with_name("pyodide_modules.mjs")),
                           os.environ["ARCOLLECT_PYODIDE_DIR"], str(wheel)], capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.splitlines()[-1])
    assert got["platform"] == "emscripten" and got["python"].startswith("3.14") and got["compiled"]
    assert got["other"] == {}
    installable = {"numpy", "pandas", "dateutil", "pyarrow", "jinja2", "lxml", "tqdm", "babel", "reportlab",
                   "openpyxl", "pypdf", "xlwings", "PIL"}
    desktop = {"addin.workbook.filesheets": "python_calamine", "addin.excel.build": "pyopenvba"}
    unexpected = {m: lacked for m, lacked in got["lacked"].items() if lacked not in installable | {desktop.get(m)}}
    assert unexpected == {}
