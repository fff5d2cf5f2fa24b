"""The one XML parser: no entity expands, nothing is fetched, a DOCTYPE anywhere in the prolog is refused."""
from __future__ import annotations

import io
import re
import socket
import threading
from pathlib import Path

import pytest
from lxml import etree

from addin.workbook import safexml
from addin.workbook.package import BookUnreadable
from tests.campaigns.hostile import LAUGHS, XXE


@pytest.fixture
def listener():
    """A loopback port that records whether anything connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.5)
    seen = []

    def accept():
        try:
            seen.append(server.accept())
        except OSError:
            pass
    t = threading.Thread(target=accept)
    t.start()
    yield server.getsockname()[1], seen
    t.join()
    server.close()


@pytest.mark.parametrize("dtd", [LAUGHS, XXE, b"<!DOCTYPE r>", b'<!DOCTYPE r SYSTEM "file:///etc/passwd">'],
                         ids=["laughs", "xxe", "bare", "external-subset"])
def test_a_part_with_a_doctype_is_refused_naming_book_and_part(dtd):
    xml = b'<?xml version="1.0"?>' + dtd + b"<r>&lol9;</r>" if dtd is LAUGHS else b'<?xml version="1.0"?>' + dtd + b"<r/>"
    with pytest.raises(BookUnreadable, match=r"book.xlsx cannot be read: its part xl/x.xml declares a document type"):
        safexml.parse(xml, "book.xlsx", "xl/x.xml")
    with pytest.raises(BookUnreadable, match="xl/x.xml"):
        list(safexml.iterparse(io.BytesIO(xml), "book.xlsx", "xl/x.xml", tag="r"))


def test_a_doctype_hidden_past_the_first_bytes_or_in_utf16_is_still_refused():
    late = b'<?xml version="1.0"?>' + b"<!-- padding -->" * 400 + XXE + b"<r>&xxe;</r>"
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>').encode("utf-16")
    for xml in (late, utf16):
        with pytest.raises(BookUnreadable):
            safexml.parse(xml, "b.xlsx", "p.xml")


def test_nothing_is_fetched_and_nothing_expands_even_below_the_refusal(listener):
    """The parser's own options, without the DOCTYPE refusal: entities stay references, no connection."""
    port, seen = listener
    xml = (f'<!DOCTYPE r [<!ENTITY net SYSTEM "http://127.0.0.1:{port}/x"><!ENTITY f SYSTEM "file:///etc/hostname">]>'
           "<r>&net;&f;</r>").encode()
    root = etree.fromstring(xml, safexml._parser())
    assert root.text is None and [e.text for e in root] == ["&net;", "&f;"]
    assert not seen


def test_ordinary_parts_parse_and_malformed_ones_raise_as_lxml_does():
    root = safexml.parse(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="urn:x"><si><t>a &amp; b</t></si></sst>')
    assert root[0][0].text == "a & b"
    assert [el.text for _, el in safexml.iterparse(io.BytesIO(b"<r><si>1</si><si>2</si></r>"), tag="si")] == ["1", "2"]
    with pytest.raises(etree.XMLSyntaxError):
        safexml.parse(b"<r><unclosed></r>")


def test_the_declared_lxml_floor_resolves_no_external_entity_even_by_default(tmp_path):
    """Behind the one parser, lxml's own defaults are safe too from the floor pyproject.toml declares: 6.1.0 made
    iterparse and ETCompatXMLParser stop resolving external entities (5.0 had the other parsers)."""
    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()
    floor = re.search(r'"lxml>=([\d.]+)"', pyproject)[1]
    assert tuple(map(int, floor.split("."))) >= (6, 1, 0)
    secret = tmp_path / "secret.txt"
    secret.write_text("the SMTP password")
    doc = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'.encode()
    for parse in (lambda: etree.fromstring(doc), lambda: [el for _, el in etree.iterparse(io.BytesIO(doc))][-1],
                  lambda: etree.fromstring(doc, etree.ETCompatXMLParser())):
        try:
            text = parse().text or ""
        except etree.XMLSyntaxError:        # "Entity 'x' not defined": refused, not read
            text = ""
        assert "password" not in text
