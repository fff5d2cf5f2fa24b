"""The built arcollect.xlam, read back by readers that did not write it.

oletools' olevba reads every module's source; the ribbon XML is checked
structurally (unique ids, known attributes, every callback a Sub) and, when
Microsoft's customUI14.xsd is at ARCOLLECT_CUSTOMUI_XSD, validated against it
(the schema is MIT-licensed in OfficeDev/office-custom-ui-editor, Schemas/;
it is not copied into this repository). pyOpenVBA's headless VBA interpreter
runs the module's pure helpers.
"""
from __future__ import annotations

import ast
import json
import os
import re
import zipfile

import pytest
from lxml import etree

from addin.app import OUTCOMES
from addin.excel import build, ribbon

oletools = pytest.importorskip("oletools.olevba")
NS = "{http://schemas.microsoft.com/office/2009/07/customui}"
KNOWN = {"customUI": {"onLoad"}, "ribbon": set(), "tabs": set(), "tab": {"id", "label"},
         "group": {"id", "label"},
         "button": {"id", "label", "size", "imageMso", "onAction", "screentip", "supertip"}}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build.build_addin(tmp_path_factory.mktemp("addin"))


@pytest.fixture(scope="module")
def modules(built):
    parser = oletools.VBA_Parser(str(built.path))
    try:
        return {name.rsplit(".", 1)[0]: code for _, _, name, code in parser.extract_macros()}
    finally:
        parser.close()


def _body(code: str) -> list[str]:
    """A module's lines without its Attribute header, line ends and trailing blanks."""
    return [line.rstrip() for line in code.replace("\r\n", "\n").split("\n")
            if line.strip() and not line.startswith("Attribute ")]


def _ui(built) -> etree._Element:
    with zipfile.ZipFile(built.path) as z:
        rels = etree.fromstring(z.read("_rels/.rels"))
        targets = {r.get("Target") for r in rels if r.get("Type") == build.RT_UI}
        assert targets == {build.CUSTOM_UI}
        return etree.fromstring(z.read(build.CUSTOM_UI))


def test_olevba_reads_every_module_as_its_source(built, modules):
    assert set(modules) == {"ThisWorkbook", "Sheet1", "xlwings", "Dictionary", "Collections", build.FORM}
    assert set(built.modules) == set(modules)
    assert _body(modules["Collections"]) == _body((build.SOURCE / "Collections.bas").read_text())
    assert _body(modules[build.FORM])[-len(_body((build.SOURCE / f"{build.FORM}.bas").read_text())):] == \
        _body((build.SOURCE / f"{build.FORM}.bas").read_text())
    version, xlwings_bas, _ = build.xlwings_modules()
    assert _body(modules["xlwings"]) == _body(xlwings_bas)
    assert f'xlwings64-{version}.dll' in modules["xlwings"]
    assert 'PROJECT_NAME As String = "arcollect"' in modules["xlwings"]   # its own arcollect.conf


def test_every_ribbon_callback_is_a_sub_taking_the_control(built, modules):
    ui = _ui(built)
    callbacks = {el.get("onAction") for el in ui.iter() if el.get("onAction")}
    assert callbacks == {"Collections.OnAction"}
    for cb in callbacks:
        module, sub = cb.split(".")
        assert re.search(rf"^Public Sub {sub}\(control As IRibbonControl\)", modules[module], re.M), cb


def test_ribbon_xml_structure(built):
    ui = _ui(built)
    ids = [el.get("id") for el in ui.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    for el in ui.iter(etree.Element):
        tag = el.tag.removeprefix(NS)
        assert tag in KNOWN, f"unexpected element {tag}"
        assert set(el.attrib) <= KNOWN[tag], (tag, set(el.attrib) - KNOWN[tag])
    labels = [b.get("label") for b in ui.iter(NS + "button")]
    assert labels == ["Refresh aging", "Draft reminders", "Send approved", "Resend uncertain",
                      "Mark uncertain as sent", "Log contact", "Payment plan", "Month-end close",
                      "Set up this workbook", "Help"]


@pytest.mark.skipif(not os.environ.get("ARCOLLECT_CUSTOMUI_XSD"), reason="set ARCOLLECT_CUSTOMUI_XSD to "
                    "Microsoft's customui14.xsd (OfficeDev/office-custom-ui-editor, Schemas/) to validate")
def test_ribbon_xml_validates_against_microsofts_schema(built):
    xmlschema = pytest.importorskip("xmlschema")
    with zipfile.ZipFile(built.path) as z:
        xmlschema.XMLSchema(os.environ["ARCOLLECT_CUSTOMUI_XSD"]).validate(z.read(build.CUSTOM_UI).decode())


def test_every_button_reaches_its_own_use_case(built):
    buttons = [b.get("id") for b in _ui(built).iter(NS + "button")]
    assert set(buttons) == set(ribbon.BUTTONS)
    assert len({ribbon.BUTTONS[b] for b in buttons}) == len(buttons)


def test_pyopenvba_checks_the_package(built):
    from pyopenvba import ExcelFile, check_file

    report = check_file(built.path)
    assert report.ok, [(i.code, i.message) for i in report.issues]
    with ExcelFile(built.path) as wb:      # IRibbonControl is Office's type, the form's controls MSForms'
        assert {"Office", "MSForms"} <= {r.name for r in wb.references()}


def test_the_form_has_every_control_its_code_names(built):
    spec = json.loads((build.SOURCE / f"{build.FORM}.json").read_text())
    named = set(re.findall(r"Me\.(\w+)\.", (build.SOURCE / f"{build.FORM}.bas").read_text()))
    assert named <= {c[1] for c in spec["controls"]}
    from pyopenvba import ExcelFile

    with ExcelFile(built.path) as wb:
        form = next(f for f in wb.forms() if f.name == build.FORM)
        assert [c.name for c in form.walk()] == [c[1] for c in spec["controls"]]


def test_the_form_offers_the_outcomes_log_knows():
    const = re.search(r'OUTCOMES As String = "([^"]+)"', (build.SOURCE / "Collections.bas").read_text()).group(1)
    assert sorted(const.split(",")) == sorted(OUTCOMES)


@pytest.fixture(scope="module")
def vba():
    from pyopenvba.apps.excel import ExcelApplication

    app = ExcelApplication()
    app.add_workbook()
    app.add_module("\n".join(_body((build.SOURCE / "Collections.bas").read_text())), name="Collections")
    return app


@pytest.mark.parametrize("text", ["Acme Ltd", "O'Brien & Sons", 'say "hi"\\now', "line\r\nbreak", "Müller €5",
                                  "", "日本"])
def test_pystr_makes_a_python_literal_of_any_text(vba, text):
    expr = "PyStr(" + " & ".join(f"ChrW({ord(c)})" for c in text) + ")" if text else 'PyStr("")'
    literal = vba.evaluate(expr)
    assert re.fullmatch(r"'[A-Za-z0-9 \\]*'", literal)   # nothing a shell or AppleScript could misread
    assert ast.literal_eval(literal) == text


def test_python_call_names_the_button(vba):
    call = vba.evaluate('PythonCall("arPlan", "customer=" & PyStr("C1"))')
    assert call == "import addin.excel.ribbon as ribbon; ribbon.on_button('arPlan', customer='C1')"
    ast.parse(call)


@pytest.mark.parametrize("selected, customer", [("C3", "O'Brien Ltd"), ("A1", ""), ("D9", "")])
def test_the_form_fills_in_the_customer_of_the_selected_row(vba, selected, customer):
    vba.add_module("Sub Prep()\n Range(\"A1:B9\").ClearContents\n Range(\"A1\").Value = \"Customer ID\"\n"
                   " Range(\"B1\").Value = \"Customer\"\n Range(\"B3\").Value = \"O'Brien Ltd\"\n"
                   f" Range(\"{selected}\").Select\nEnd Sub\n", name=f"Prep{selected}")
    vba.run(f"Prep{selected}.Prep")
    assert vba.evaluate("SelectedCustomer()") == customer
