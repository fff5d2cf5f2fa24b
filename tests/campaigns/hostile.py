"""Hostile and broken files, each made from a real collections workbook, and what arcollect must say of it.

Every file is real bytes on disk: a template-built book whose zip members are rewritten
(bombs, entities, DTDs, traversal names, far cells), whose zip structure is damaged
(truncated, corrupt deflate data, a wrong CRC, a lying size), or a file of another kind
under a workbook's name (.xls and encrypted compound files, .xlsb, .ods, strict Open XML,
CSV, HTML, PDF). ``says`` is a part of the one-line refusal; a file whose ``says`` is None
is a workbook and must be read and written normally (the macro-enabled book).
"""
from __future__ import annotations

import re
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from addin.workbook.template import build_workbook
from addin.workbook.zipparts import ZipWriter

AS_OF = date(2026, 11, 30)
SHEET = "xl/worksheets/sheet1.xml"          # Receivables in a template-built book
SST = "xl/sharedStrings.xml"
GiB = 1 << 30


@dataclass(frozen=True)
class Hostile:
    path: Path
    says: str | None


def base_book(path: Path) -> Path:
    """A template-built book whose Receivables header A1 is a shared string, as Excel writes it."""
    rows = [[f"C{i}", f"Customer {i}", "", f"ap{i}@example.com", "", f"INV-{i}", AS_OF - timedelta(days=40 + i),
             AS_OF - timedelta(days=10 + i), 100.0 + i, 0, None, "GBP", "open", None, "business", "en", ""]
            for i in range(1, 6)]
    parts = members(build_workbook(path, rows, settings={"As-of date": AS_OF}))
    parts[SHEET] = re.sub(rb'<c r="A1"([^>]*?) t="inlineStr"><is><t>Customer ID</t></is></c>', rb'<c r="A1"\1 t="s"><v>0</v></c>',
                          parts[SHEET], count=1)
    parts[SST] = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
                  b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>Customer ID</t></si></sst>')
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        b'spreadsheetml.sharedStrings+xml"/></Types>'))
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"</Relationships>", (
        b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
    return write_members(path, parts)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def write_members(path: Path, parts: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def _edited(base: Path, path: Path, name: str, edit) -> Path:
    parts = members(base)
    parts[name] = edit(parts[name])
    return write_members(path, parts)


def _with_doctype(xml: bytes, dtd: bytes) -> bytes:
    """``xml`` with ``dtd`` after its declaration (before the root element)."""
    end = xml.index(b"?>") + 2 if xml.startswith(b"<?xml") else 0
    return xml[:end] + dtd + xml[end:]


LAUGHS = (b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (k, b"".join(b"&lol%s;" % (str(k - 1).encode() if k > 1 else b"")
                                                                        for _ in range(10))) for k in range(1, 10))
          + b"]>")
XXE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://127.0.0.1:9/x">]>'


def _bomb(base: Path, path: Path, name: str, before: bytes, size: int) -> Path:
    """``name`` with ``size`` bytes of whitespace just before ``before``: 1 GiB deflates to 1 MiB.

    The deflate stream is built from one flushed block repeated (each starts afresh, so repeating it
    is valid deflate), and written with the package's own zip writer: a second, not minutes.
    """
    block = b" " * (8 << 20)
    parts = members(base)
    with open(path, "wb") as f:
        out = ZipWriter(f)
        for n, data in parts.items():
            if n == name:
                cut = data.index(before)
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                repeat = size // len(block)
                head, blk = c.compress(data[:cut]) + c.flush(zlib.Z_FULL_FLUSH), c.compress(block) + c.flush(zlib.Z_FULL_FLUSH)
                stream = head + blk * repeat + c.compress(data[cut:]) + c.flush()
                crc = zlib.crc32(data[:cut])
                for _ in range(repeat):
                    crc = zlib.crc32(block, crc)
                crc, usize = zlib.crc32(data[cut:], crc), len(data) + repeat * len(block)
            else:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                stream, crc, usize = c.compress(data) + c.flush(), zlib.crc32(data), len(data)
            out.add(n, crc=crc, csize=len(stream), usize=usize, method=zipfile.ZIP_DEFLATED, flags=0,
                    date_time=(2026, 11, 30, 0, 0, 0), external_attr=0o600 << 16, create_system=3,
                    write=lambda f, stream=stream: f.write(stream))
        out.close()
    return path


def _patch_raw(path: Path, name: str, edit) -> Path:
    """Rewrite the raw bytes of the zip: ``edit(data, member info, offset of its central directory entry)``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    central = data.index(b"PK\x01\x02")
    while bytes(data[central + 46:central + 46 + struct.unpack_from("<H", data, central + 28)[0]]) != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    edit(data, info, central)
    path.write_bytes(bytes(data))
    return path


def _corrupt_deflate(data, info, central):
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 2, start + 40):
        data[k] ^= 0x55


def _wrong_crc(data, info, central):
    crc = (info.CRC ^ 0xFFFF).to_bytes(4, "little")
    data[info.header_offset + 14:info.header_offset + 18] = crc
    data[central + 16:central + 20] = crc


def _lying_size(data, info, central):
    small = (info.file_size // 100).to_bytes(4, "little")
    data[info.header_offset + 22:info.header_offset + 26] = small
    data[central + 24:central + 28] = small


def _encrypted_flag(data, info, central):
    data[info.header_offset + 6] |= 1
    data[central + 8] |= 1


def _bzip2_method(data, info, central):
    data[info.header_offset + 8:info.header_offset + 10] = (12).to_bytes(2, "little")
    data[central + 10:central + 12] = (12).to_bytes(2, "little")


def compound_file(path: Path, streams: list[str]) -> Path:
    """A minimal OLE compound file (what .xls and encrypted OOXML packages are) holding empty ``streams``."""
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 44, 1, 1, 0, 4096, end, 0, end, 0)
    struct.pack_into("<I", header, 76, 0)
    struct.pack_into("<108I", header, 80, *([free] * 108))
    fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

    def entry(name: str, kind: int, child=free, right=free) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return (raw.ljust(64, b"\0") + struct.pack("<HBB", len(raw), kind, 1) + struct.pack("<III", free, right, child)
                + b"\0" * 36 + struct.pack("<IQ", end, 0))
    entries = [entry("Root Entry", 5, child=1)] + [
        entry(s, 2, right=k + 2 if k + 1 < len(streams) else free) for k, s in enumerate(streams)]
    directory = b"".join(entries).ljust(512, b"\0")
    path.write_bytes(bytes(header) + fat + directory)
    return path


def _macro_book(base: Path, path: Path) -> Path:
    parts = members(base)
    parts["xl/vbaProject.bin"] = compound_file(path.with_suffix(".bin"), ["VBA", "PROJECT"]).read_bytes() + bytes(
        range(256)) * 8
    path.with_suffix(".bin").unlink()
    ct = parts["[Content_Types].xml"]
    ct = ct.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    parts["[Content_Types].xml"] = ct.replace(
        b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"</Relationships>", (
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" '
        b'Target="vbaProject.bin"/></Relationships>'))
    return write_members(path, parts)


def _strict(base: Path, path: Path) -> Path:
    parts = members(base)
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
        b"http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument")
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main", b"http://purl.oclc.org/ooxml/spreadsheetml/main")
    return write_members(path, parts)


def _far_cell(xml: bytes) -> bytes:
    return xml.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')


def _counted_far(xml: bytes) -> bytes:
    """The far cell again, placed by calamine's counting: 16,384 cells without ``r`` in the last row."""
    return xml.replace(b"</sheetData>", b'<row r="1048576">' + b"<c><v>1</v></c>" * 16384 + b"</row></sheetData>")


def _catalogue():
    """(file name, part of what arcollect must say of it or None, maker(path, base book) -> path)."""
    out = []

    def add(name: str, says: str | None, make) -> None:
        out.append((name, says, make))

    add("truncated.xlsx", "is damaged: its zip directory is missing", lambda p, base: p.write_bytes(base.read_bytes()[:len(base.read_bytes()) // 2]) and p)
    add("no-end.xlsx", "is damaged: its zip directory is missing", lambda p, base: p.write_bytes(base.read_bytes()[:-10]) and p)
    add("corrupt-deflate.xlsx", "cannot be inflated",
        lambda p, base: _patch_raw(write_members(p, members(base)), SHEET, _corrupt_deflate))
    add("wrong-crc.xlsx", "Bad CRC-32", lambda p, base: _patch_raw(write_members(p, members(base)), SHEET, _wrong_crc))
    add("lying-size.xlsx", "cannot be inflated", lambda p, base: _patch_raw(write_members(p, members(base)), SHEET, _lying_size))
    add("zip-password.xlsx", "is password-protected",
        lambda p, base: _patch_raw(write_members(p, members(base)), SHEET, _encrypted_flag))
    add("bzip2.xlsx", "compression method 12", lambda p, base: _patch_raw(write_members(p, members(base)), SHEET, _bzip2_method))
    add("traversal.xlsx", "a path outside the workbook", lambda p, base: write_members(p, {**members(base), "../../evil.txt": b"x"}))
    add("absolute.xlsx", "a path outside the workbook", lambda p, base: write_members(p, {**members(base), "/etc/evil": b"x"}))
    add("backslash.xlsx", "a path outside the workbook",
        lambda p, base: write_members(p, {**members(base), "xl\\worksheets\\evil.xml": b"<x/>"}))
    add("duplicate.xlsx", "two members named", lambda p, base: _duplicate(base, p))
    add("many-members.xlsx", "more than 20,000 members",
        lambda p, base: write_members(p, {**members(base), **{f"customXml/item{k}.txt": b"" for k in range(20_001)}}))
    add("empty.xlsx", "is empty", lambda p, base: p.write_bytes(b"") or p)
    add("empty-zip.xlsx", "empty zip archive", lambda p, base: write_members(p, {}))
    add("plain-zip.xlsx", "not an Excel workbook", lambda p, base: write_members(p, {"notes.txt": b"hello"}))
    for part in ("[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", SHEET,
                 SST, "xl/styles.xml", "xl/tables/table1.xml", "docProps/core.xml"):
        slug = part.replace("/", "-").replace("[", "").replace("]", "")
        add(f"laughs-{slug}.xlsx", "(<!DOCTYPE>)", lambda p, base, part=part: _edited(base, p, part, lambda x: _with_doctype(x, LAUGHS)))
        add(f"xxe-{slug}.xlsx", "(<!DOCTYPE>)", lambda p, base, part=part: _edited(base, p, part, lambda x: _with_doctype(x, XXE)))
    add("utf16-sheet.xlsx", "not encoded in UTF-8",
        lambda p, base: _edited(base, p, SHEET, lambda x: x.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")))
    add("broken-workbook.xlsx", "is not well-formed XML", lambda p, base: _edited(base, p, "xl/workbook.xml", lambda x: x[:-20]))
    add("far-cell.xlsx", "a value in XFD1048576", lambda p, base: _edited(base, p, SHEET, _far_cell))
    add("counted-far-cell.xlsx", "a value in XFD1048576", lambda p, base: _edited(base, p, SHEET, _counted_far))
    add("far-dimension.xlsx", "its used range is A1:XFD1048576",
        lambda p, base: _edited(base, p, SHEET, lambda x: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', x)))
    add("bad-dimension.xlsx", "which is not a range",
        lambda p, base: _edited(base, p, SHEET, lambda x: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="hello"/>', x)))
    add("past-excel.xlsx", "beyond Excel's last cell",
        lambda p, base: _edited(base, p, SHEET, lambda x: x.replace(b"</sheetData>", b'<row r="9"><c r="ZZZZ9"><v>1</v></c></row></sheetData>')))
    add("xls.xlsx", "Excel 97-2003 workbook (.xls)", lambda p, base: compound_file(p, ["Workbook", "SummaryInformation"]))
    add("encrypted.xlsx", "is password-protected", lambda p, base: compound_file(p, ["EncryptionInfo", "EncryptedPackage"]))
    add("binary.xlsb", "(.xlsb)", lambda p, base: write_members(p, {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"}))
    add("calc.ods", "(.ods)", lambda p, base: write_members(p, {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                                                           "content.xml": b"<office:document-content/>"}))
    add("strict.xlsx", "Strict Open XML", lambda p, base: _strict(base, p))
    add("export.xlsx", "is not an Excel workbook (it looks like",
        lambda p, base: p.write_text("Customer,Invoice,Due Date,Amount\nAcme,INV-1,2026-10-01,100.00\n") and p)
    add("page.xls", "web page (HTML)", lambda p, base: p.write_text("<html><body><table><tr><td>1</td></tr></table></body></html>") and p)
    add("statement.xlsx", "PDF document", lambda p, base: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n") and p)
    add("macros.xlsm", None, lambda p, base: _macro_book(base, p))
    add("sheet-bomb.xlsx", "a zip bomb", lambda p, base: _bomb(base, p, SHEET, b"</sheetData>", GiB))
    add("workbook-bomb.xlsx", "a zip bomb", lambda p, base: _bomb(base, p, "xl/workbook.xml", b"</workbook>", GiB))
    return out


CATALOGUE = _catalogue()
NAMES = [name for name, _says, _make in CATALOGUE]


def hostile_files(folder: Path) -> list[Hostile]:
    """Every file of the catalogue, written to ``folder`` (about two seconds, the 1 GiB bombs included)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = base_book(folder / "base.xlsx.src")
    out = [Hostile(make(folder / name, base), says) for name, says, make in CATALOGUE]
    base.unlink()
    return out


def _duplicate(base: Path, path: Path) -> Path:
    write_members(path, members(base))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")             # zipfile warns of the duplicate it is asked to write
        with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("xl/workbook.xml", members(base)["xl/workbook.xml"])
    return path
