"""The one way arcollect parses XML out of a workbook package.

A workbook is a file from anywhere: its XML parts are parsed with entities
unresolved, no DTD loaded or validated, no network and libxml2's default size
limits (``huge_tree=False``), so an entity bomb, an external entity or a
``file://`` reference can neither expand nor leak. SpreadsheetML never needs
a document type declaration, so a part that has one is refused outright
(``BookUnreadable``, naming the file and the part) rather than parsed.
Malformed XML still raises ``etree.XMLSyntaxError``, as lxml does, so the
callers that tolerate a broken optional part keep doing so.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO

from lxml import etree

_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False, "dtd_validation": False,
            "huge_tree": False}


def _parser() -> etree.XMLParser:
    # a parser per call: lxml parsers are not safe to share between threads
    return etree.XMLParser(**_OPTIONS)


def refused(book: str, part: str):
    """The refusal of a part that declares a document type."""
    from .package import BookUnreadable  # package imports this module

    what = (f"its part {part or 'of the workbook'} declares a document type (<!DOCTYPE>), which Excel never "
            "writes: entities and DTDs are refused, the file may have been tampered with")
    return BookUnreadable(f"{book} cannot be read: {what}" if book else f"a workbook cannot be read: {what}")


def _has_doctype(tree) -> bool:
    info = tree.docinfo
    return bool(info.doctype) or info.internalDTD is not None or info.externalDTD is not None


def parse(data: bytes, book: str = "", part: str = "") -> etree._Element:
    """The root element of one XML part; ``BookUnreadable`` if it declares a DOCTYPE."""
    if b"<!DOCTYPE" in data[:4096]:
        raise refused(book, part)
    root = etree.fromstring(data, _parser())
    if _has_doctype(root.getroottree()):   # declared further down, or in another encoding
        raise refused(book, part)
    return root


def iterparse(source: IO[bytes], book: str = "", part: str = "", **kwargs) -> Iterator[tuple[str, etree._Element]]:
    """``etree.iterparse`` with the same protections, for parts too large to hold as a tree."""
    head = source.read(4096)
    if b"<!DOCTYPE" in head:
        raise refused(book, part)
    checked = False
    for event, el in etree.iterparse(_Rejoined(head, source), **_OPTIONS, **kwargs):
        if not checked:
            # the prolog (and any DOCTYPE) precedes the first element, so it is known by now
            if _has_doctype(el.getroottree()):
                raise refused(book, part)
            checked = True
        yield event, el


class _Rejoined(io.RawIOBase):
    """``head`` (already read from ``rest`` to look at it) followed by the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]):
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self.head:
            self.head = self.rest.read(len(buffer))
        n = min(len(buffer), len(self.head))
        buffer[:n] = self.head[:n]
        self.head = self.head[n:]
        return n
