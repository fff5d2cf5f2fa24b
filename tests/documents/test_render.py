import shutil
from dataclasses import replace
from decimal import Decimal

import pytest

from addin.documents.render import (DEFAULT_TEMPLATE_DIR, TEMPLATES, TemplateProblem, build_context,
                                    check_templates, list_templates, render)
from addin.documents.sample import sample_communication, sample_settings

SETTINGS = sample_settings()
EXTRA = {"promise_date": "2026-12-10", "promise_amount": "500.00",
         "plan": [(1, "2026-12-31", "400.00"), (2, "2027-01-31", "400.00")]}


def all_comms(language, **kw):
    return [sample_communication(1, level=min(n, 4), language=language, template=t, extra=EXTRA, **kw)
            for n, t in enumerate(TEMPLATES)]


def nb(s):  # babel uses no-break spaces
    return s.replace("\xa0", " ").replace("\u202f", " ")


def test_every_template_exists_in_both_languages():
    found = list_templates()
    for lang in ("en", "de"):
        assert set(TEMPLATES) <= set(found[lang])


@pytest.mark.parametrize("regulation", ["none", "regF"])
@pytest.mark.parametrize("language", ["en", "de"])
def test_all_templates_render_cleanly(language, regulation):
    s = replace(SETTINGS, regulation=regulation)
    assert check_templates(all_comms(language), s) == []


def test_english_content_and_formats():
    r = render(sample_communication(1, level=1), SETTINGS)
    assert r.subject == "Payment reminder: £4,039.68 overdue - Northwind Supplies Ltd"
    for part in (r.text, r.html):
        assert "£1,235.56" in part and "14 December 2026" in part
        assert "INV-00001-1" in part
    assert "<items " in r.letter and "14 December 2026" in r.letter  # the PDF lays out the items
    assert "IBAN GB33" in r.text and "C00001-GBP-L1-20261130" in r.text  # how to pay + reference
    assert "second notice" in r.text  # the consequence
    assert "debt collector" not in r.text


def test_german_formats():
    r = render(sample_communication(1, level=2, language="de"), SETTINGS)
    assert "1.235,56 €" in nb(r.text) and "4.079,68 €" in nb(r.text)
    assert "14. Dezember 2026" in r.text
    assert r.text.startswith("Guten Tag Jürgen Weiß,")
    assert "Mahngebühr" in r.text and "Mahnung" in r.subject
    assert r.language == "de"


def test_language_fallback():
    assert render(sample_communication(1, language="fr", locale="fr_FR"), SETTINGS).language == "en"
    r = render(sample_communication(1, language="de-AT", locale="de_AT"), SETTINGS)
    assert r.language == "de"


def test_balance_not_original_amount_and_charges():
    c = sample_communication(1, level=2, interest=Decimal("12.34"))
    ctx = build_context(c, SETTINGS)
    assert ctx["amount_payable"] == c.total_due + Decimal("40.00") + Decimal("12.34")
    r = render(c, SETTINGS)
    assert "£2,000.56" not in r.text  # original amount never shown
    assert "£12.34" in r.text and "£4,092.02" in r.text


def test_regf_disclosure_and_opt_out():
    s = replace(SETTINGS, regulation="regF")
    for lang in ("en", "de"):
        for c in all_comms(lang):
            r = render(c, s)
            for part in (r.text, r.html, r.letter):
                assert "This communication is from a debt collector." in part
                assert "This is an attempt to collect a debt" in part
            assert "STOP" in r.text and "STOP" in r.html
            assert "STOP" not in r.letter  # opt-out is for email


def test_missing_disclosure_in_edited_template_is_reported(tmp_path):
    tdir = tmp_path / "letters"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, tdir)
    (tdir / "en" / "reminder.txt.j2").write_text("Dear {{ customer }}, pay {{ total_due|money }}.\n")
    probs = check_templates([sample_communication(1)], replace(SETTINGS, regulation="regF"), tdir)
    assert probs == ["letters/en/reminder.txt.j2: the regF debt-collector disclosure is missing"]


def test_cell_values_are_data_not_code():
    evil = "{{ 7*7 }} <script>alert(1)</script> & {% if 1 %}x{% endif %}"
    c = sample_communication(1, contact_name=evil, customer=evil,
                             items=1, address="1 <b>Road</b>\nTown")
    c = replace(c, items=(replace(c.items[0], document="<img src=x onerror=alert(1)>"),))
    r = render(c, SETTINGS)
    assert "{{ 7*7 }}" in r.text and "49" not in r.text.split("Dear ")[1].split(",")[0]
    assert "{% if 1 %}x{% endif %}" in r.text
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html
    assert "<img" not in r.html and "&lt;img" in r.html
    assert "<script>" not in r.letter and "&lt;script&gt;" in r.letter
    import xml.etree.ElementTree as ET
    root = ET.fromstring(r.letter)
    assert root.find(".//script") is None and root.find(".//img") is None


def _edited(tmp_path, name, text, lang="en"):
    tdir = tmp_path / "letters"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, tdir)
    (tdir / lang / name).write_text(text)
    return tdir


def test_undefined_variable_names_template_and_variable(tmp_path):
    tdir = _edited(tmp_path, "reminder.html.j2",
                   '{% extends "_base.html.j2" %}{% block body %}<p>{{ foo }}</p>{% endblock %}')
    probs = check_templates([sample_communication(1), sample_communication(2)], SETTINGS, tdir)
    assert probs == ["letters/en/reminder.html.j2:1: undefined variable 'foo'"]
    with pytest.raises(TemplateProblem, match="undefined variable 'foo'"):
        render(sample_communication(1), SETTINGS, tdir)


def test_undefined_in_included_template_names_the_include(tmp_path):
    tdir = _edited(tmp_path, "_items.txt.j2", "{% for i in items %}{{ i.documnet }}\n{% endfor %}")
    probs = check_templates([sample_communication(1)], SETTINGS, tdir)
    assert len(probs) == 1 and probs[0].startswith("letters/en/_items.txt.j2:1: undefined")
    assert "documnet" in probs[0]


def test_sandbox_blocks_class_access(tmp_path):
    tdir = _edited(tmp_path, "reminder.txt.j2", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    probs = check_templates([sample_communication(1)], SETTINGS, tdir)
    assert len(probs) == 1 and probs[0].startswith("letters/en/reminder.txt.j2")
    assert "sandbox" in probs[0] or "unsafe" in probs[0]


def test_syntax_error_and_missing_template_and_bad_letter(tmp_path):
    tdir = _edited(tmp_path, "reminder.subject.j2", "{% if %}")
    (tdir / "en" / "courtesy.html.j2").unlink()
    (tdir / "en" / "second_notice.letter.j2").write_text("<letter><p>unclosed</letter>")
    probs = check_templates([sample_communication(1, level=0), sample_communication(1, level=1),
                             sample_communication(1, level=2)], SETTINGS, tdir)
    assert any(p.startswith("letters/en/reminder.subject.j2:1: syntax error") for p in probs)
    assert "letters/en/courtesy.html.j2: template not found" in probs
    assert any(p.startswith("letters/en/second_notice.letter.j2: the letter is not well-formed")
               for p in probs)


def test_german_folder_falls_back_to_english_file(tmp_path):
    tdir = tmp_path / "letters"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, tdir)
    (tdir / "de" / "handover.txt.j2").unlink()
    r = render(sample_communication(1, level=4, language="de"), SETTINGS, tdir)
    assert r.text.startswith("Guten Tag")  # German base, English wording from en/handover.txt.j2
