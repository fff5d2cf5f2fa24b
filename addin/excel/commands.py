"""`arcollect addin build|install|uninstall|lite`: the ribbon add-in and the xlwings Lite script."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import addin

from ..app.errors import UsageError
from . import install

EXIT_OK = 0


def cmd_build(args) -> int:
    from .build import build_addin

    built = build_addin(args.out)
    print(f"wrote {built.path} (modules {', '.join(built.modules)}; xlwings {built.xlwings_version})")
    return EXIT_OK


def _built(via_excel: bool, folder: Path) -> tuple[bytes, str]:
    from .build import build_addin, xlwings_modules

    if via_excel:
        from .via_excel import build_in_excel

        return build_in_excel(folder).read_bytes(), xlwings_modules()[0]
    built = build_addin(folder)
    return built.path.read_bytes(), built.xlwings_version


def cmd_install(args) -> int:
    platform = install.platform_name(args.platform)
    if args.via_excel and (args.dry_run or platform != "windows" or not sys.platform.startswith("win")):
        if not args.dry_run:
            raise UsageError("--via-excel needs desktop Excel on Windows")
        print("with --via-excel, Excel itself builds the add-in: it imports xlwings.bas, Dictionary.cls and "
              "Collections.bas through its VBProject, adds the Log contact form, saves the .xlam; the ribbon XML is "
              "added after (needs 'Trust access to the VBA project object model')")
    package_dir = str(Path(addin.__file__).resolve().parent.parent)
    with tempfile.TemporaryDirectory() as tmp:
        data, version = _built(args.via_excel and not args.dry_run, Path(tmp))
    plan = install.plan_install(data, version, platform=platform, home=Path.home(), environ=dict(os.environ),
                                interpreter=args.interpreter or sys.executable, package_dir=package_dir,
                                xlstart=args.xlstart)
    problem = install.check_interpreter(args.interpreter or sys.executable, package_dir, version)
    if args.dry_run:
        print(f"arcollect addin install would, for {platform}:")
        print("\n".join(f"  {line}" for line in plan.lines()))
        if problem:
            print(f"  problem: {problem}")
        return EXIT_OK
    if problem:
        raise UsageError(problem)
    for line in install.carry_out(plan):
        print(line)
    if args.udfs:
        from .via_excel import import_udfs

        import_udfs(next(s.path for s in plan.steps if s.path.name == "arcollect.xlam"))
        print("imported the cell functions (=AR_...) into the add-in")
    print("\n".join(plan.notes))
    print("Start Excel (quit it first if it is running): the Collections tab is on the ribbon.")
    return EXIT_OK


def cmd_uninstall(args) -> int:
    plan = install.plan_uninstall(platform=install.platform_name(args.platform), home=Path.home(),
                                  environ=dict(os.environ), xlstart=args.xlstart)
    if args.dry_run:
        print("arcollect addin uninstall would:")
        print("\n".join(f"  {line}" for line in plan.lines()))
        return EXIT_OK
    for line in install.carry_out(plan) + plan.notes:
        print(line)
    return EXIT_OK


def cmd_lite(args) -> int:
    from .lite import write_lite

    for path in write_lite(args.out, args.wheel):
        print(f"wrote {path}")
    print("Paste main.py into xlwings Lite's editor and requirements.txt into its requirements tab (see README).")
    return EXIT_OK


def register(sub) -> None:
    """Add `addin` and its subcommands to the CLI's subparsers."""
    p = sub.add_parser("addin", help="the Excel ribbon add-in and the xlwings Lite script",
                       description="Build, install or uninstall the Collections ribbon add-in; write the xlwings "
                                   "Lite script.")
    cmds = p.add_subparsers(dest="addin_command", required=True)
    b = cmds.add_parser("build", help="build arcollect.xlam from the sources in the package")
    b.add_argument("--out", type=Path, required=True, help="folder to write arcollect.xlam to")
    b.set_defaults(func=cmd_build)
    for name, func, text in (("install", cmd_install, "put the add-in where Excel loads it, with its config"),
                             ("uninstall", cmd_uninstall, "remove the add-in and its config")):
        c = cmds.add_parser(name, help=text, description=text)
        c.add_argument("--dry-run", action="store_true", help="print every file it would write or remove; change "
                                                              "nothing")
        c.add_argument("--platform", choices=["windows", "mac"], help="for --dry-run on another system "
                                                                     "(default: this one)")
        c.add_argument("--xlstart", type=Path, help="Excel's start-up folder, when not the usual one")
        c.set_defaults(func=func)
        if name == "install":
            c.add_argument("--via-excel", action="store_true", help="let Excel build the add-in through its "
                                                                    "VBProject (Windows; for machines that "
                                                                    "refuse the built file)")
            c.add_argument("--udfs", action="store_true", help="then let Excel import the cell functions "
                                                               "(=AR_...) into the add-in (Windows)")
            c.add_argument("--interpreter", help="the Python the add-in runs (default: this one)")
    lt = cmds.add_parser("lite", help="write main.py and requirements.txt for xlwings Lite")
    lt.add_argument("--out", type=Path, required=True, help="folder to write them to")
    lt.add_argument("--wheel", default="arcollect", help="the requirement naming arcollect for micropip: the "
                                                         "package name or the URL of a wheel you host")
    lt.set_defaults(func=cmd_lite)
