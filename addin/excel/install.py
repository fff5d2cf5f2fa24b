"""Install the add-in where Excel loads it, with its own configuration; uninstall it again.

As ``xlwings addin install`` does, the .xlam goes into the user's XLSTART
folder (created when missing). Its configuration is the add-in's own
``arcollect.conf`` (the xlwings VBA module of this add-in is named arcollect),
never xlwings' shared xlwings.conf, so other xlwings add-ins are unaffected.
Every step is planned first: ``--dry-run`` prints the plan, which is all that
Linux can check. The known pitfalls are handled: a missing XLSTART folder is
created, a file Excel holds is refused with "quit Excel", a configuration
value that would break xlwings' config reader is refused, the interpreter is
asked whether it imports arcollect and the add-in's xlwings version, and an
add-in that vanishes or changes right after it is written is reported as
antivirus quarantine.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..app.errors import UsageError
from ..files.atomic import write_atomic
from .build import ADDIN_NAME, PROJECT

UDF_MODULES = "addin.excel.udfs"
MAC_CONTAINER = "Library/Containers/com.microsoft.Excel/Data"
MAC_STARTUP = "Library/Group Containers/UBF8T346G9.Office/User Content.localized/Startup.localized/Excel"
MAC_SCRIPTS = "Library/Application Scripts/com.microsoft.Excel"


@dataclass(frozen=True)
class Step:
    action: str          # "create folder", "write", "remove"
    path: Path
    why: str
    data: bytes | None = None


@dataclass
class Plan:
    platform: str
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Each step, the config's text under its step (what a dry run shows), then the notes."""
        out = []
        for s in self.steps:
            out.append(f"{s.action} {s.path}  ({s.why})")
            if s.path.suffix == ".conf" and s.data:
                out += ["    " + line for line in s.data.decode("utf-8").splitlines()]
        return out + self.notes


def platform_name(name: str | None = None) -> str:
    name = name or sys.platform
    return "windows" if name.startswith("win") else "mac" if name in ("darwin", "mac") else name


def locations(platform: str, home: Path, environ: dict) -> tuple[Path, Path]:
    """(the XLSTART folder, the add-in's config file) for a user of ``platform``."""
    if platform == "windows":
        appdata = Path(environ.get("APPDATA") or home / "AppData" / "Roaming")
        return appdata / "Microsoft" / "Excel" / "XLSTART", Path(environ.get("USERPROFILE") or home) / f".{PROJECT}" / f"{PROJECT}.conf"
    if platform == "mac":
        return home / MAC_STARTUP, home / MAC_CONTAINER / f"{PROJECT}.conf"
    raise UsageError(f"Excel runs on Windows and macOS; on {platform} only --dry-run --platform windows|mac works")


def config_text(platform: str, interpreter: str, package_dir: str) -> str:
    """The add-in's config as xlwings' VBA reads it (``Input #``: one quoted key and value per line)."""
    values = {f"INTERPRETER_{'WIN' if platform == 'windows' else 'MAC'}": interpreter, "PYTHONPATH": package_dir,
              "UDF MODULES": UDF_MODULES, "ADD_WORKBOOK_TO_PYTHONPATH": "False"}
    for key, value in values.items():
        if any(ch in value for ch in '"\r\n') or (platform == "windows" and "," in value and " " in value):
            raise UsageError(f"{key} {value!r} holds a quote, a line break or a comma xlwings' config reader "
                             f"would split the line at, which breaks every button: install Python in a plain folder")
    return "".join(f'"{k}","{v}"\r\n' for k, v in values.items())


def check_interpreter(interpreter: str, package_dir: str, xlwings_version: str) -> str:
    """'' when ``interpreter`` imports arcollect and the xlwings the add-in's VBA names; else what is wrong."""
    env = dict(os.environ, PYTHONPATH=package_dir)
    try:
        out = subprocess.run([interpreter, "-c", "import addin.excel.ribbon, xlwings; print(xlwings.__version__)"],
                             capture_output=True, text=True, timeout=120, env=env)
    except OSError as exc:
        return f"{interpreter} cannot be run: {exc.strerror or exc}"
    if out.returncode:
        return f"{interpreter} cannot import arcollect: {out.stderr.strip().splitlines()[-1:] or ['?']}"
    if out.stdout.strip() != xlwings_version:
        return (f"{interpreter} has xlwings {out.stdout.strip()} but the add-in was built for {xlwings_version}: "
                f"its DLL name would not match")
    return ""


def plan_install(addin: bytes, xlwings_version: str, *, platform: str, home: Path, environ: dict,
                 interpreter: str, package_dir: str, xlstart: Path | None = None) -> Plan:
    """Every file install writes, and why; nothing is written here."""
    default_start, conf = locations(platform, home, environ)
    start = xlstart or default_start
    plan = Plan(platform)
    if not start.is_dir():
        plan.steps.append(Step("create folder", start, "XLSTART is missing; Excel creates it only on first use"))
    plan.steps.append(Step("write", start / ADDIN_NAME, "the add-in Excel opens at start-up", addin))
    if not conf.parent.is_dir():
        plan.steps.append(Step("create folder", conf.parent, "the add-in's own config folder"))
    plan.steps.append(Step("write", conf, "interpreter, package location and cell-function module for this add-in "
                           "only", config_text(platform, interpreter, package_dir).encode("utf-8")))
    if platform == "mac":
        import xlwings

        script = Path(xlwings.__file__).parent / f"xlwings-{xlwings_version}.applescript"
        plan.steps.append(Step("write", home / MAC_SCRIPTS / script.name, "lets RunPython start Python on macOS "
                               "(as `xlwings runpython install`)", script.read_bytes()))
        plan.notes.append("Cell functions (=AR_...) need desktop Excel on Windows; on a Mac use xlwings Lite's AR.* "
                          "functions (`arcollect addin lite`).")
    else:
        plan.notes.append("Cell functions: open Excel, then run `arcollect addin install --udfs` once (Excel imports "
                          "them into the add-in; needs File > Options > Trust Center > Macro Settings > 'Trust access "
                          "to the VBA project object model').")
    return plan


def plan_uninstall(*, platform: str, home: Path, environ: dict, xlstart: Path | None = None) -> Plan:
    start, conf = locations(platform, home, environ)
    plan = Plan(platform)
    for path, why in (((xlstart or start) / ADDIN_NAME, "the add-in"), (conf, "its config")):
        if path.exists():
            plan.steps.append(Step("remove", path, why))
    if not plan.steps:
        plan.notes.append("arcollect's add-in is not installed here: nothing to remove")
    return plan


def _held_by_excel(path: Path) -> bool:
    """Excel holds a loaded add-in open on Windows: the file cannot be opened for writing."""
    if not path.exists():
        return False
    try:
        with open(path, "r+b"):
            return False
    except PermissionError:
        return True


def carry_out(plan: Plan) -> list[str]:
    """Do the plan's steps; returns what was done. Refuses before writing when Excel holds the add-in."""
    for s in plan.steps:
        if s.path.name == ADDIN_NAME and _held_by_excel(s.path):
            raise UsageError(f"Excel has {s.path} open: quit Excel (every window) and run this again")
    done = []
    for s in plan.steps:
        if s.action == "create folder":
            s.path.mkdir(parents=True, exist_ok=True)
        elif s.action == "write":
            write_atomic(s.path, s.data)
        elif s.action == "remove":
            s.path.unlink()
        done.append(f"{s.action} {s.path}")
    for s in plan.steps:
        if s.action == "write" and s.path.name == ADDIN_NAME and quarantined(s.path, s.data):
            raise UsageError(f"{s.path} vanished or changed right after it was written: antivirus software has "
                             f"probably quarantined it. Look for {ADDIN_NAME} in your antivirus' quarantine or "
                             f"history, restore it and allow it, then run this again")
    return done


def quarantined(path: Path, data: bytes) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).digest() != hashlib.sha256(data).digest()
    except OSError:
        return True
