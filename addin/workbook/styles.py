"""styles.xml for the lossless writer: number formats, fonts, fills, cell and differential formats.

Formats arcollect needs are appended (never renumbering the user's) and
reused when an identical one exists, so repeated runs don't grow the file.
"""
from __future__ import annotations

import re

from lxml import etree

from . import safexml
from .xlsx_xml import NS_MAIN

BUILTIN_FORMATS = {
    "General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10,
    "0.00E+00": 11, "# ?/?": 12, "# ??/??": 13, "h:mm": 20, "h:mm:ss": 21, "@": 49,
}

FMT_CODES = {
    "general": "General",
    "text": "@",
    "int": "0",
    "money": "#,##0.00",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
    "time": "hh:mm:ss",
    "percent": "0.00%",
}

_DATE_CODE = re.compile(r"(?<!\\)[dmyhs]", re.I)


def fmt_code(fmt: str) -> str:
    return FMT_CODES.get(fmt, fmt or "General")


def is_date_code(code: str) -> bool:
    body = re.sub(r'"[^"]*"|\[[^\]]*\]', "", code)
    return code not in ("General", "@") and bool(_DATE_CODE.search(body))


def _q(tag):
    return f"{{{NS_MAIN}}}{tag}"


class StyleBook:
    """Appends the few formats arcollect needs to styles.xml, reusing identical entries.

    Existing numFmts, fonts, fills, cellXfs and dxfs are never renumbered; new ones go at the end.
    """

    def __init__(self, xml: bytes | None):
        if xml is None:
            xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{NS_MAIN}">'
                   '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
                   '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
                   '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                   '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
                   '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                   '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" defaultPivotStyle="PivotStyleLight16"/>'
                   '</styleSheet>').encode()
        self.root = safexml.parse(xml, part="xl/styles.xml")
        self.dirty = False
        self._cache: dict = {}

    # children of styleSheet in schema order
    _ORDER = ["numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles",
              "dxfs", "tableStyles", "colors", "extLst"]

    def _section(self, tag: str):
        el = self.root.find(_q(tag))
        if el is None:
            el = etree.Element(_q(tag))
            el.set("count", "0")
            idx = self._ORDER.index(tag)
            after = None
            for prev in reversed(self._ORDER[:idx]):
                after = self.root.find(_q(prev))
                if after is not None:
                    break
            if after is None:
                self.root.insert(0, el)
            else:
                after.addnext(el)
        return el

    def _append(self, section, el) -> int:
        # keep the tail whitespace tidy; count fixed up
        section.append(el)
        n = len(section.findall(el.tag))
        section.set("count", str(n))
        self.dirty = True
        return n - 1

    def numfmt_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        sec = self.root.find(_q("numFmts"))
        ids = []
        if sec is not None:
            for nf in sec.findall(_q("numFmt")):
                if nf.get("formatCode") == code:
                    return int(nf.get("numFmtId"))
                ids.append(int(nf.get("numFmtId")))
        sec = self._section("numFmts")
        new = max([163] + ids) + 1
        el = etree.Element(_q("numFmt"))
        el.set("numFmtId", str(new))
        el.set("formatCode", code)
        self._append(sec, el)
        return new

    def bold_font_id(self) -> int:
        fonts = self._section("fonts")
        items = fonts.findall(_q("font"))
        if items:
            base = etree.fromstring(etree.tostring(items[0]))
        else:
            base = etree.fromstring(f'<font xmlns="{NS_MAIN}"><sz val="11"/><name val="Calibri"/></font>')
        for b in base.findall(_q("b")):
            base.remove(b)
        b = etree.Element(_q("b"))
        base.insert(0, b)
        base.tail = None
        want = etree.tostring(base, method="c14n")
        for i, f in enumerate(items):
            g = etree.fromstring(etree.tostring(f))
            g.tail = None
            if etree.tostring(g, method="c14n") == want:
                return i
        return self._append(fonts, base)

    def xf_id(self, fmt: str = "general", bold: bool = False) -> int:
        key = ("xf", fmt, bold)
        if key in self._cache:
            return self._cache[key]
        code = fmt_code(fmt)
        numfmt = self.numfmt_id(code)
        font = self.bold_font_id() if bold else 0
        want = {"numFmtId": str(numfmt), "fontId": str(font), "fillId": "0", "borderId": "0", "xfId": "0"}
        if numfmt:
            want["applyNumberFormat"] = "1"
        if bold:
            want["applyFont"] = "1"
        sec = self._section("cellXfs")
        found = None
        for i, xf in enumerate(sec.findall(_q("xf"))):
            if dict(xf.attrib) == want and len(xf) == 0:
                found = i
                break
        if found is None:
            el = etree.Element(_q("xf"))
            for k, v in want.items():
                el.set(k, v)
            found = self._append(sec, el)
        self._cache[key] = found
        return found

    def dxf_id(self, fill_rgb: str, font_rgb: str | None = None) -> int:
        key = ("dxf", fill_rgb, font_rgb)
        if key in self._cache:
            return self._cache[key]
        font = f'<font><color rgb="{argb(font_rgb)}"/></font>' if font_rgb else ""
        xml = (f'<dxf xmlns="{NS_MAIN}">{font}<fill><patternFill patternType="solid">'
               f'<fgColor rgb="{argb(fill_rgb)}"/><bgColor rgb="{argb(fill_rgb)}"/></patternFill></fill></dxf>')
        el = etree.fromstring(xml)
        want = etree.tostring(el, method="c14n")
        sec = self._section("dxfs")
        found = None
        for i, d in enumerate(sec.findall(_q("dxf"))):
            g = etree.fromstring(etree.tostring(d))
            g.tail = None
            if etree.tostring(g, method="c14n") == want:
                found = i
                break
        if found is None:
            found = self._append(sec, el)
        self._cache[key] = found
        return found

    def snapshot(self):
        return etree.tostring(self.root), self.dirty, dict(self._cache)

    def restore(self, snap) -> None:
        xml, self.dirty, self._cache = snap
        self.root = etree.fromstring(xml)

    def tostring(self) -> bytes:
        return etree.tostring(self.root, xml_declaration=True, encoding="UTF-8", standalone=True)


def argb(rgb: str) -> str:
    rgb = rgb.lstrip("#").upper()
    if not re.fullmatch(r"[0-9A-F]{6}([0-9A-F]{2})?", rgb):
        raise ValueError(f"not an RGB colour: {rgb!r}")
    return rgb if len(rgb) == 8 else "FF" + rgb


