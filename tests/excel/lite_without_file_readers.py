"""Run the generated xlwings Lite main.py on the fake book with the file readers unimportable.

xlwings Lite runs Pyodide, which has no fastexcel, only python-calamine 0.6.2
(arcollect needs 0.9.1), and none of the desktop-only packages. This script
(run in a subprocess by test_lite.py) loads the fake book first, then makes
those modules unimportable with a ``sys.meta_path`` finder that refuses them,
and clicks every Lite script; it prints what Excel would have shown, the
drafts written, every import that was refused and the distributions whose
modules were loaded from the first click on, as JSON.

usage: python lite_without_file_readers.py MAIN_PY BOOK_XLSX
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import json
import sys
from datetime import date
from pathlib import Path

BLOCKED = ("python_calamine", "fastexcel", "isal", "keyring", "aiosmtpd", "pyopenvba",
           "addin.workbook.guard", "addin.workbook.filesheets", "addin.workbook.fileformat")


def blocked(name: str) -> bool:
    return any(name == b or name.startswith(b + ".") for b in BLOCKED)


class Refuse(importlib.abc.MetaPathFinder):
    """Every import of a blocked module fails as it would where the package is not installed."""

    def __init__(self):
        self.refused: list[str] = []

    def find_spec(self, name, path=None, target=None):
        if blocked(name):
            self.refused.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: not on the xlwings Lite path)", name=name)
        return None


def main(main_py: str, book_path: str) -> None:
    sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parents[1])]
    from tests.workbook import fake_xlwings   # the fake Excel reads its book with python-calamine: before the block

    book = fake_xlwings.Book.from_file(book_path)
    for name in [n for n in sys.modules if blocked(n) or n == "addin" or n.startswith("addin.")]:
        del sys.modules[name]
    refuse = Refuse()
    sys.meta_path.insert(0, refuse)
    before = set(sys.modules)

    spec = importlib.util.spec_from_file_location("lite_main", main_py)
    lite = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lite)
    lite.refresh_aging(book)
    lite.draft_reminders(book)
    lite.log_contact(book)   # makes the Log contact sheet
    book.sheets["Log contact"].range((1, 2)).value = [["C0004"], ["promise"], [date(2026, 12, 7)], [300.0], [""]]
    lite.log_contact(book)
    book.selection = book.sheets["Actions"].range((3, 1))
    lite.payment_plan(book)
    outbox = Path(book_path).with_name(Path(book_path).stem + " outbox")
    print(json.dumps({"alerts": [a[1] for a in book.app.alerts],
                      "drafts": sorted(p.name for p in outbox.rglob("*") if p.is_file()),
                      "refused": sorted(set(refuse.refused)),
                      "loaded": sorted(n for n in sys.modules if blocked(n)),
                      "distributions": distributions(set(sys.modules) - before)}))


def distributions(modules: set[str]) -> list[str]:
    """The installed distributions that provide these modules (the standard library's and arcollect's aside)."""
    from importlib.metadata import packages_distributions

    owners = packages_distributions()
    tops = {m.split(".")[0] for m in modules} - set(sys.stdlib_module_names) - {"addin", "lite_main"}
    return sorted({d for t in tops for d in owners.get(t, [])})   # extension modules of no distribution aside


if __name__ == "__main__":
    main(*sys.argv[1:])
