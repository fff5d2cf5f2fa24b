"""The routes that need Excel itself (Windows): the add-in built by Excel's VBProject, and the cell functions.

``build_in_excel`` is the fallback for machines that refuse the built binary:
Excel imports the same source modules through its VBProject and saves the
.xlam itself; the ribbon part is added afterwards, as ``build`` adds it.
``import_udfs`` runs xlwings' ImportPythonUDFsToAddin in the installed add-in,
so ``=AR_...`` works. Both need "Trust access to the VBA project object model"
(File > Options > Trust Center > Trust Center Settings > Macro Settings), the
setting xlwings' own ImportUDFs needs. Not run here: Linux has no Excel.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ..app.errors import UsageError
from .build import ADDIN_NAME, FORM, SOURCE, with_ribbon, xlwings_modules

XL_ADDIN = 55                   # xlOpenXMLAddIn
VBEXT_FORM = 3                  # vbext_ct_MSForm
PROGIDS = {"Label": "Forms.Label.1", "TextBox": "Forms.TextBox.1", "ComboBox": "Forms.ComboBox.1",
           "CommandButton": "Forms.CommandButton.1"}
TRUST = ("Excel refused access to the VBA project: tick File > Options > Trust Center > Trust Center Settings > "
         "Macro Settings > 'Trust access to the VBA project object model', then run this again")


def _excel():
    import xlwings as xw

    try:
        return xw.apps.active if xw.apps else xw.App(visible=False)
    except Exception as exc:
        raise UsageError(f"--via-excel needs desktop Excel on Windows ({exc})") from None


def _project(book):
    try:
        return book.api.VBProject
    except Exception:
        raise UsageError(TRUST) from None


def build_in_excel(out_dir) -> Path:
    """Excel makes ``out_dir/arcollect.xlam`` from the source modules; the ribbon part is added after."""
    _, xlwings_bas, dictionary = xlwings_modules()
    app = _excel()
    book = app.books.add()
    project = _project(book)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in (("xlwings.bas", xlwings_bas), ("Dictionary.cls", dictionary),
                           ("Collections.bas", (SOURCE / "Collections.bas").read_text(encoding="utf-8"))):
            path = Path(tmp) / name
            path.write_text(text.replace("\n", "\r\n"), encoding="cp1252", errors="replace")
            project.VBComponents.Import(str(path))
        spec = json.loads((SOURCE / f"{FORM}.json").read_text(encoding="utf-8"))
        form = project.VBComponents.Add(VBEXT_FORM)
        form.Name = FORM
        form.Properties("Caption").Value = spec["caption"]
        form.Properties("Width").Value, form.Properties("Height").Value = spec["width"], spec["height"]
        for kind, name, left, top, width, caption in spec["controls"]:
            control = form.Designer.Controls.Add(PROGIDS[kind], name)
            control.Left, control.Top, control.Width = left, top, width
            if caption:
                control.Caption = caption
        form.CodeModule.AddFromString((SOURCE / f"{FORM}.bas").read_text(encoding="utf-8"))
        scratch = Path(tmp) / ADDIN_NAME
        book.api.SaveAs(str(scratch), XL_ADDIN)
        book.close()
        target = Path(out_dir) / ADDIN_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(with_ribbon(scratch.read_bytes(), (SOURCE / "customUI14.xml").read_bytes()))
    return target


def import_udfs(addin: Path) -> None:
    """Excel imports the cell functions of ``addin.excel.udfs`` into the installed add-in, and saves it."""
    app = _excel()
    book = next((b for b in app.books if b.name.lower() == ADDIN_NAME), None) or app.books.open(str(addin))
    _project(book)
    app.macro(f"'{book.name}'!ImportPythonUDFsToAddin")()
    book.save()
