"""Build arcollect.xlam from the text files in ``source/``: nothing in it is hand-made in Excel.

pyOpenVBA makes the add-in from its Office-authored blank .xlam and adds the
modules (it zeroes the compiled-code cache, so Excel recompiles them on first
open, as MS-OVBA allows). The xlwings VBA module comes from the installed
xlwings wheel (its custom-add-in flavour, whose configuration is the add-in's
own ``arcollect.conf``), so its versioned DLL name always matches the xlwings
the add-in's interpreter imports. The ribbon XML is added as its own part.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ..files.atomic import write_atomic
from ..workbook import safexml

SOURCE = Path(__file__).with_name("source")
ADDIN_NAME = "arcollect.xlam"
PROJECT = "arcollect"          # names the add-in's config: %USERPROFILE%\.arcollect\arcollect.conf
CUSTOM_UI = "customUI/customUI14.xml"
RT_UI = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
FORM = "LogContactForm"


@dataclass(frozen=True)
class Built:
    path: Path
    xlwings_version: str
    modules: tuple[str, ...]


def _crlf(text: str) -> str:
    """VBA stores modules with CRLF line ends, whatever the checkout did."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def xlwings_modules() -> tuple[str, str, str]:
    """(version, the xlwings module named for this add-in, its Dictionary class) from the installed wheel."""
    import xlwings

    folder = Path(xlwings.__file__).parent
    main = (folder / "xlwings_custom_addin.bas").read_text(encoding="utf-8")
    if 'PROJECT_NAME As String = "myaddin"' not in main:
        raise RuntimeError(f"xlwings {xlwings.__version__}'s custom add-in module no longer names its project "
                           f"'myaddin': check how it reads its configuration before building")
    main = main.replace('PROJECT_NAME As String = "myaddin"', f'PROJECT_NAME As String = "{PROJECT}"')
    return xlwings.__version__, main, (folder / "addin" / "Dictionary.cls").read_text(encoding="utf-8")


def build_addin(out_dir) -> Built:
    """Write ``out_dir/arcollect.xlam``; return what it holds."""
    from pyopenvba import ExcelFile, VBAModuleKind

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / ADDIN_NAME
    version, xlwings_bas, dictionary = xlwings_modules()
    scratch = out / f".{ADDIN_NAME}.building.xlam"
    try:
        with ExcelFile.create_new(scratch) as wb:
            project = wb.vba_project()
            project.delete_module("Module1")    # the blank's empty module
            project.add_module("xlwings", _crlf(xlwings_bas))
            project.add_module("Dictionary", _crlf(dictionary), kind=VBAModuleKind.other)
            project.add_module("Collections", _crlf((SOURCE / "Collections.bas").read_text(encoding="utf-8")))
            _add_form(wb)
            wb.save()
            modules = tuple(wb.module_names())
        write_atomic(target, with_ribbon(scratch.read_bytes(), (SOURCE / "customUI14.xml").read_bytes()))
    finally:
        scratch.unlink(missing_ok=True)
    return Built(target, version, modules)


def _add_form(wb) -> None:
    """The Log contact form, laid out as source/LogContactForm.json says, with its code behind it."""
    spec = json.loads((SOURCE / f"{FORM}.json").read_text(encoding="utf-8"))
    form = wb.add_form(FORM, caption=spec["caption"], width=spec["width"], height=spec["height"])
    for kind, name, left, top, width, caption in spec["controls"]:
        control = form.add_control(kind, name, left=left, top=top, width=width)
        if caption:
            control.set_property("Caption", caption)
    wb.set_module(FORM, wb.get_module(FORM) + _crlf((SOURCE / f"{FORM}.bas").read_text(encoding="utf-8")))


def with_ribbon(package: bytes, custom_ui: bytes) -> bytes:
    """The .xlam ``package`` with ``custom_ui`` as its ribbon part and the package relationship naming it."""
    safexml.parse(custom_ui, ADDIN_NAME, CUSTOM_UI)   # well-formed, no DTD, before it goes in
    src = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "_rels/.rels":
                data = _add_relationship(data)
            if info.filename != CUSTOM_UI:
                dst.writestr(info.filename, data)
        dst.writestr(CUSTOM_UI, custom_ui)
    return buffer.getvalue()


def _add_relationship(rels: bytes) -> bytes:
    root = safexml.parse(rels, ADDIN_NAME, "_rels/.rels")
    for rel in list(root):
        if rel.get("Type") == RT_UI:
            root.remove(rel)
    taken = {rel.get("Id") for rel in root}
    rid = next(f"rId{k}" for k in range(1, len(taken) + 2) if f"rId{k}" not in taken)
    etree.SubElement(root, f"{{{NS_REL}}}Relationship", Id=rid, Type=RT_UI, Target=CUSTOM_UI)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
