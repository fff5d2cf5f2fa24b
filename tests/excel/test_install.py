"""`arcollect addin install/uninstall`: the dry run (all Linux can check) and the file steps in a scratch home."""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

from addin.app.errors import UsageError
from addin.cli import main
from addin.excel import install
from addin.excel.build import ADDIN_NAME


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    monkeypatch.setenv("USERPROFILE", str(home))
    return home


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_dry_run_prints_every_file_and_writes_none(home, capsys):
    assert main(["addin", "install", "--dry-run", "--platform", "windows"]) == 0
    out = capsys.readouterr().out
    start = home / "AppData" / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert f"create folder {start}  (XLSTART is missing" in out
    assert f"write {start / ADDIN_NAME}  (the add-in" in out
    assert f"write {home / '.arcollect' / 'arcollect.conf'}  (" in out
    assert f'"INTERPRETER_WIN","{sys.executable}"' in out and '"UDF MODULES","addin.excel.udfs"' in out
    assert "problem:" not in out                     # this interpreter imports arcollect and its xlwings
    assert _files(home) == set()


def test_dry_run_for_a_mac_adds_the_runpython_script(home, capsys):
    assert main(["addin", "install", "--dry-run", "--platform", "mac"]) == 0
    out = capsys.readouterr().out
    assert "Startup.localized/Excel/arcollect.xlam" in out
    assert "Library/Containers/com.microsoft.Excel/Data/arcollect.conf" in out
    assert "Library/Application Scripts/com.microsoft.Excel/xlwings-" in out
    assert '"INTERPRETER_MAC"' in out


def test_a_real_install_is_refused_where_there_is_no_excel(home, capsys):
    if sys.platform.startswith(("win", "darwin")):
        pytest.skip("Excel may be here")
    assert main(["addin", "install"]) == 2
    assert "only --dry-run" in capsys.readouterr().err


def test_install_then_uninstall_leaves_other_xlwings_config_alone(home):
    shared = home / ".xlwings" / "xlwings.conf"
    shared.parent.mkdir()
    shared.write_text('"INTERPRETER_WIN","C:\\other\\python.exe"\n')
    plan = install.plan_install(b"xlam bytes", "0.37.8", platform="windows", home=home,
                                environ={"APPDATA": str(home / "AppData"), "USERPROFILE": str(home)},
                                interpreter="C:\\Python\\python.exe", package_dir="C:\\site-packages")
    install.carry_out(plan)
    addin = home / "AppData" / "Microsoft" / "Excel" / "XLSTART" / ADDIN_NAME
    conf = home / ".arcollect" / "arcollect.conf"
    assert addin.read_bytes() == b"xlam bytes"
    rows = list(csv.reader(conf.read_text().splitlines()))     # as VBA's Input # reads it: quoted pairs
    assert dict(rows)["INTERPRETER_WIN"] == "C:\\Python\\python.exe"
    assert dict(rows)["PYTHONPATH"] == "C:\\site-packages"
    gone = install.plan_uninstall(platform="windows", home=home,
                                  environ={"APPDATA": str(home / "AppData"), "USERPROFILE": str(home)})
    assert [s.path for s in gone.steps] == [addin, conf]
    install.carry_out(gone)
    assert not addin.exists() and not conf.exists()
    assert shared.read_text() == '"INTERPRETER_WIN","C:\\other\\python.exe"\n'


@pytest.mark.parametrize("interpreter", ['C:\\Py "3"\\python.exe', "C:\\Py\nthon.exe"])
def test_a_config_value_that_would_break_the_buttons_is_refused(interpreter):
    with pytest.raises(UsageError, match="breaks every button"):
        install.config_text("windows", interpreter, "C:\\site")


def test_the_interpreter_is_asked_before_install():
    from addin.excel.build import xlwings_modules

    package = str(Path(install.__file__).resolve().parents[2])
    assert install.check_interpreter(sys.executable, package, xlwings_modules()[0]) == ""
    assert "was built for 0.0.1" in install.check_interpreter(sys.executable, package, "0.0.1")
    assert "cannot be run" in install.check_interpreter("/no/such/python", package, "0.37.8")


def test_antivirus_quarantine_is_recognised(tmp_path):
    f = tmp_path / ADDIN_NAME
    f.write_bytes(b"abc")
    assert not install.quarantined(f, b"abc")
    f.write_bytes(b"")          # what some scanners leave: an emptied file
    assert install.quarantined(f, b"abc")
    f.unlink()                  # or none at all
    assert install.quarantined(f, b"abc")
