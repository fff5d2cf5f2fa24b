"""Packaging: the wheel as a clerk installs it, where templates are found, `arcollect templates export`.

A wheel carries only what is inside the import package, so templates kept at
the top of the repository can be there in a checkout and missing from an
install (they were: `arcollect demo` drafted nothing and exited 0). So the
wheel is built from the working tree the way pip builds it, installed (not
editable) into a fresh virtual environment with its dependencies from the
package index, and run from a folder outside the repository with no
PYTHONPATH, so nothing can resolve to the source tree.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from addin.app.templates import export_templates
from addin.documents.sources import REPOSITORY, WORKBOOK_TEMPLATE, letters_dir

ROOT = Path(__file__).resolve().parents[1]
NOT_BUILT_FROM = ("tests/", "bench/", ".ci/")  # in the tree, not part of the package


def _run(cmd, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    print(f"$ {' '.join(map(str, cmd))}  -> {proc.returncode}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc


def _source_copy(dest: Path) -> Path:
    """The working tree as git sees it (tracked and new files, not ignored ones), without tests and benches.

    Building from a copy keeps the build's build/ and egg-info out of the shared checkout, and a
    stale build/ from an earlier build out of the wheel.
    """
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for name in listed:
        if name and not name.startswith(NOT_BUILT_FROM) and (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def build_wheel(base: Path) -> Path:
    """The wheel pip builds from the working tree, in ``base``/dist."""
    source = _source_copy(base / "source")
    built = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
                  "-w", base / "dist", "."], source, 600)
    assert built.returncode == 0, "the wheel did not build"
    (wheel,) = (base / "dist").glob("arcollect-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, venv bin folder, a working folder outside the repository)."""
    base = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(base)
    venv.create(base / "venv", with_pip=True)
    bin_dir = base / "venv" / ("Scripts" if os.name == "nt" else "bin")
    got = _run([bin_dir / "python", "-m", "pip", "install", "--disable-pip-version-check", "-q", wheel], base, 900)
    assert got.returncode == 0, "the wheel did not install with its dependencies"
    work = base / "work"
    work.mkdir()
    return wheel, bin_dir, work


def test_wheel_carries_every_template_and_the_workbook(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    letters = {f"addin/letters/{p.relative_to(ROOT / 'letters').as_posix()}"
               for p in (ROOT / "letters").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert {"addin/letters/en/reminder.txt.j2", "addin/letters/de/reminder.txt.j2"} <= letters
    assert letters <= names, f"missing from the wheel: {sorted(letters - names)[:5]}"
    assert {f"addin/{WORKBOOK_TEMPLATE}", "addin/refdata/boe_bank_rate.csv", "addin/refdata/ecb_mro_rate.csv",
            "addin/documents/sources.py"} <= names
    assert not any(n.startswith(("tests/", "letters/", "workbook_templates/")) for n in names)


def test_installed_package_uses_its_own_templates(installed):
    _, bin_dir, work = installed
    proc = _run([bin_dir / "python", "-c", "from addin.documents.render import DEFAULT_TEMPLATE_DIR as d; "
                 "print(d); assert (d / 'en' / 'reminder.txt.j2').is_file()"], work, 120)
    assert proc.returncode == 0
    found = Path(proc.stdout.strip())
    assert found.parts[-2:] == ("addin", "letters") and ROOT not in found.parents


def test_demo_from_the_installed_wheel_drafts_emails_and_letters(installed):
    _, bin_dir, work = installed
    proc = _run([bin_dir / "arcollect", "demo", "demo"], work, 600)
    assert proc.returncode == 0
    outbox = work / "demo" / "collections-demo outbox"
    emails, letters = list(outbox.glob("*.eml")), list(outbox.glob("*.pdf"))
    print(f"outbox: {len(emails)} .eml, {len(letters)} .pdf")
    assert emails and letters, "the installed wheel drafted nothing"


def test_templates_export_from_the_installed_wheel(installed):
    _, bin_dir, work = installed
    export = [bin_dir / "arcollect", "templates", "export", "edited"]
    first = _run(export, work, 120)
    assert first.returncode == 0 and "wrote " in first.stdout and "Templates folder" in first.stdout
    reminder = work / "edited" / "en" / "reminder.txt.j2"
    assert reminder.read_bytes() == (ROOT / "letters" / "en" / "reminder.txt.j2").read_bytes()
    assert (work / "edited" / "collections.xlsx").read_bytes() == (ROOT / WORKBOOK_TEMPLATE).read_bytes()
    reminder.write_text("Dear {{ greeting_name }}, please pay.\n", encoding="utf-8")
    refused = _run(export, work, 120)
    assert refused.returncode == 2 and "reminder.txt.j2" in refused.stderr and "--force" in refused.stderr
    assert reminder.read_text(encoding="utf-8") == "Dear {{ greeting_name }}, please pay.\n"
    forced = _run(export + ["--force"], work, 120)
    assert forced.returncode == 0 and reminder.read_bytes() == (ROOT / "letters/en/reminder.txt.j2").read_bytes()


def test_addin_build_from_the_installed_wheel(installed):
    """The add-in's sources (ribbon XML, VBA, form) are package data: the wheel builds the .xlam."""
    _, bin_dir, work = installed
    proc = _run([bin_dir / "arcollect", "addin", "build", "--out", work / "addin"], work, 300)
    assert proc.returncode == 0 and (work / "addin" / "arcollect.xlam").stat().st_size > 10_000


def test_a_checkout_uses_the_repository_letters():
    assert REPOSITORY == ROOT and letters_dir() == ROOT / "letters"


def test_templates_folder_from_settings_comes_first(tmp_path):
    assert letters_dir(str(tmp_path)) == tmp_path
    assert letters_dir("my letters", base=tmp_path) == tmp_path / "my letters"  # beside the workbook
    assert letters_dir("  ", base=tmp_path) == ROOT / "letters"


def test_export_refuses_all_when_one_file_was_edited(tmp_path):
    first = export_templates(tmp_path)
    assert len(first.written) > 40 and not first.edited
    (tmp_path / "de" / "reminder.txt.j2").write_text("edited", encoding="utf-8")
    (tmp_path / "en" / "courtesy.txt.j2").unlink()
    refused = export_templates(tmp_path)
    assert refused.refused and refused.edited == (tmp_path / "de" / "reminder.txt.j2",)
    assert not (tmp_path / "en" / "courtesy.txt.j2").exists()  # nothing written, not even a missing file
    forced = export_templates(tmp_path, force=True)
    assert set(forced.written) == {tmp_path / "de" / "reminder.txt.j2", tmp_path / "en" / "courtesy.txt.j2"}
    assert export_templates(tmp_path).written == ()
