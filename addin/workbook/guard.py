"""What a file handed to arcollect is, and whether it may be opened: decided before anything is allocated.

python-calamine, fastexcel and the lossless writer all trust the zip they are
given. A 1 MiB file can declare a 1 GiB sheet; one non-empty cell at
XFD1048576 makes calamine allocate its whole used range as a dense grid
(17 billion cells, 512 GiB) and abort the process; a member with corrupt
deflate data raises ``zlib.error`` deep inside a reader. ``check`` looks at
the file first and refuses, with one sentence naming the file and what is
wrong (``BookUnreadable``), anything that is not an Excel workbook, that is
damaged, or that would cost more memory or time than the limits below.

Both readers enforce a member's declared size (calamine stops with "File is
larger than its declared uncompressed size", zipfile truncates and fails the
CRC), so the limits are checked against the central directory before a byte
is inflated. Only the used range needs the content, and only for a sheet a
reader loads whole: ``check(path, sheets=False)`` looks at the start of each
worksheet part alone, and ``check_sheet`` streams one sheet's cells
(``UsedRange``) right before calamine or fastexcel loads it, so arcollect's
own 1,048,575-row Aging sheet, which nothing reads, is never inflated.
A ``<dimension>`` cannot stand in for the scan: calamine 0.36 sizes its grid
from the cells it found (``Range::from_sparse``) and uses the dimension only
to reserve at most 100,000 cells, so a sheet whose dimension says A1:B2 and
which holds a value in XFD1048576 still allocates the whole grid.
"""
from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from isal import isal_zlib as _inflate   # inflates a worksheet part 5-10x as fast as zlib (0.4 s for 800 MB, not 3-4 s)
from lxml import etree

from . import safexml
from .usedrange import REF, ExactRange, UsedRange, column, ref_text
from .xlsx_xml import MAX_COLS, MAX_ROWS

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    """What a workbook may cost, each limit set well above what real books were measured to need.

    A full-height book (1,048,575 rows x 17 columns of inline strings, bench/out) has one
    802 MB worksheet part compressed 9.2x; after ``arcollect run`` adds three flag columns and an
    Aging sheet it holds about 1.6 GB of XML. The densest real sheet content measured (the same
    text in every cell, shared formulas, styled empty rows) compresses at most 30x; 1 GiB of
    whitespace, the zip bomb, compresses 1028x.
    """
    members: int = 20_000            # zip entries; a workbook with 1,000 sheets and their parts has ~7,000
    directory: int = 16 * MiB        # bytes of central directory (20,000 entries of normal names need ~2 MB)
    member: int = 2 * GiB            # uncompressed bytes of one member: twice a full-height 20-column sheet
    total: int = 4 * GiB             # uncompressed bytes of all members: over twice the biggest book after a run
    ratio: int = 200                 # uncompressed / compressed, for members above ``ratio_from``
    ratio_from: int = 8 * MiB        # smaller members cannot be a bomb whatever their ratio
    tree_part: int = 64 * MiB        # parts parsed whole (content types, relationships, workbook, styles, tables)
    range_cells: int = 1 << 26       # 67 million cells in a sheet's used range: calamine holds 32 bytes each, 2 GiB
    sparse_cells: int = 1 << 22      # 4 million cells: a used range this small is harmless however empty
    cells_per_byte: int = 1          # otherwise at most one used-range cell per byte of sheet XML


LIMITS = Limits()

_PARSED_WHOLE = {b"Types", b"Relationships", b"workbook", b"styleSheet", b"table"}
_READ_IN_FULL = _PARSED_WHOLE | {b"worksheet", b"sst"}   # what calamine or the writer inflate
_STRICT = "http://purl.oclc.org/ooxml/"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_HEAD = 64 * 1024
_CHUNK = 8 * MiB


def _refuse(book: str, what: str):
    """The one sentence of a refusal: the file's name, what is wrong with it, what to do."""
    from .package import BookUnreadable  # package imports this module

    return BookUnreadable(f"{book} {what}")


def _size(n: int) -> str:
    return f"{n / GiB:.1f} GiB" if n >= GiB else f"{n / MiB:.1f} MiB" if n >= MiB else f"{n:,} bytes"


# --------------------------------------------------------------------------- what the file is

_OPEN_IN_EXCEL = "open it in Excel and save it as an Excel Workbook (.xlsx)"


def _not_a_zip(path: Path, head: bytes) -> str:
    """Why a file that is not a zip archive is not a workbook, and what to do instead."""
    name = path.name
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        streams = _cfb_streams(path)
        if {"EncryptionInfo", "EncryptedPackage"} & streams:
            return ("is password-protected: remove the password in Excel "
                    "(File > Info > Protect Workbook) and save again")
        if {"Workbook", "Book"} & streams:
            return f"is an Excel 97-2003 workbook (.xls): {_OPEN_IN_EXCEL}"
        if not streams:                      # a compound file whose directory cannot be read
            return (f"is an Excel 97-2003 workbook (.xls) or a password-protected one: {_OPEN_IN_EXCEL}, "
                    "removing any password (File > Info > Protect Workbook)")
        return f"is an old-format Office document, not an Excel workbook: {_OPEN_IN_EXCEL}"
    if head.startswith(b"%PDF"):
        return "is a PDF document, not an Excel workbook"
    text = head.lstrip(b"\xef\xbb\xbf\xff\xfe\r\n\t ").lower()
    if text.startswith((b"<html", b"<!doctype html", b"<table")) or b"<html" in text[:1024]:
        return f"is a web page (HTML), not an Excel workbook: {_OPEN_IN_EXCEL}"
    if b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return f"is an Excel 2003 XML spreadsheet: {_OPEN_IN_EXCEL}"
    if looks_like_text(head):
        return ("is not an Excel workbook (it looks like a CSV or text file): use "
                f"`arcollect init --from {name} BOOK.xlsx` or `arcollect age {name}`")
    return "is not an Excel workbook (.xlsx or .xlsm): it is not a zip archive"


def looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        if e.start < len(head) - 4:          # not just a character cut at the end of the sample
            head = head.decode("cp1252", "replace").encode()
    printable = sum(32 <= b < 127 or b in b"\t\r\n" or b >= 128 for b in head)
    return b"\x00" not in head and printable >= 0.95 * len(head)


def _cfb_streams(path: Path) -> set[str]:
    """Names in an OLE compound file's directory (.xls, or an encrypted OOXML package)."""
    names: set[str] = set()
    try:
        with open(path, "rb") as f:
            h = f.read(512)
            shift = struct.unpack_from("<H", h, 30)[0]
            if shift not in (9, 12):
                return names
            size = 1 << shift
            n_fat, dir_sector = struct.unpack_from("<I", h, 44)[0], struct.unpack_from("<I", h, 48)[0]
            fat: list[int] = []
            for sid in struct.unpack_from("<109I", h, 76)[:min(n_fat, 109)]:
                f.seek((sid + 1) * size)
                block = f.read(size)
                fat.extend(struct.unpack(f"<{len(block) // 4}I", block[:len(block) // 4 * 4]))
            sid, seen = dir_sector, set()
            while sid < len(fat) and sid not in seen and len(seen) < 4096:
                seen.add(sid)
                f.seek((sid + 1) * size)
                block = f.read(size)
                for k in range(0, len(block) - 127, 128):
                    n = struct.unpack_from("<H", block, k + 64)[0]
                    if 2 <= n <= 64:
                        names.add(block[k:k + n - 2].decode("utf-16-le", "replace"))
                sid = fat[sid]
    except (OSError, struct.error):
        pass
    return names


# --------------------------------------------------------------------------- the zip's directory

def _directory_entries(f, file_size: int, limits: Limits) -> int | None:
    """An upper bound on the central directory's entries, or None when there is no directory."""
    tail_len = min(file_size, 22 + 65535)
    f.seek(file_size - tail_len)
    tail = f.read(tail_len)
    i = tail.rfind(b"PK\x05\x06")
    if i < 0 or len(tail) - i < 22:
        return None
    cd_size = struct.unpack_from("<I", tail, i + 12)[0]
    end = file_size - tail_len + i
    if cd_size == 0xFFFFFFFF and i >= 20 and tail[i - 20:i - 16] == b"PK\x06\x07":
        f.seek(struct.unpack_from("<Q", tail, i - 12)[0])
        rec = f.read(56)
        if rec[:4] != b"PK\x06\x06":
            return None
        cd_size = struct.unpack_from("<Q", rec, 40)[0]
        end -= 20 + 56
    if cd_size > limits.directory or cd_size > end:
        return limits.members + 1
    f.seek(end - cd_size)
    return f.read(cd_size).count(b"PK\x01\x02")


def _bad_name(name: str) -> bool:
    parts = name.split("/")
    return (name.startswith("/") or "\\" in name or ".." in parts or re.match(r"[A-Za-z]:", name) is not None
            or any(ord(c) < 32 for c in name))


def _check_members(book: str, infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    seen: set[str] = set()
    total = 0
    for i in infos:
        n = i.filename
        if _bad_name(n):
            raise _refuse(book, f"cannot be read: it holds a member named {n!r}, a path outside the workbook")
        if n.lower() in seen:
            raise _refuse(book, f"cannot be read: it holds two members named {n!r}")
        seen.add(n.lower())
        if i.flag_bits & 0x1:
            raise _refuse(book, "is password-protected (its zip members are encrypted): "
                          "remove the password and save again")
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(book, f"cannot be read: its member {n} uses compression method {i.compress_type}, "
                          "which Excel never writes")
        if i.file_size > limits.member:
            raise _refuse(book, f"cannot be read: its member {n} inflates to {_size(i.file_size)}, "
                          f"more than the {_size(limits.member)} arcollect reads")
        if i.file_size > limits.ratio_from and i.file_size > limits.ratio * max(i.compress_size, 1):
            raise _refuse(book, f"cannot be read: its member {n} inflates {i.file_size // max(i.compress_size, 1):,} "
                          f"times ({_size(i.compress_size)} to {_size(i.file_size)}), a zip bomb")
        total += i.file_size
    if total > limits.total:
        raise _refuse(book, f"cannot be read: its members inflate to {_size(total)}, more than the "
                      f"{_size(limits.total)} arcollect reads")


def _kind_by_names(book: str, names: set[str]) -> None:
    if "xl/workbook.bin" in names:
        raise _refuse(book, f"is an Excel binary workbook (.xlsb): {_OPEN_IN_EXCEL}")
    if "content.xml" in names and "mimetype" in names:
        raise _refuse(book, "is an OpenDocument spreadsheet (.ods): open it in Excel or LibreOffice Calc and "
                      "save it as an Excel Workbook (.xlsx)")
    if "word/document.xml" in names:
        raise _refuse(book, "is a Word document, not an Excel workbook")
    if "ppt/presentation.xml" in names:
        raise _refuse(book, "is a PowerPoint presentation, not an Excel workbook")
    if "[Content_Types].xml" not in names:
        raise _refuse(book, "is a zip archive, not an Excel workbook (it has no [Content_Types].xml)")


def _resolve(base: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_of(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels")


def _sheet_names(book: str, zf: zipfile.ZipFile, limits: Limits) -> dict[str, str]:
    """{worksheet part: sheet name}; refuses strict Open XML and a package without a workbook."""
    def tree(part):
        info = zf.getinfo(part)
        if info.file_size > limits.tree_part:
            raise _refuse(book, f"cannot be read: its part {part} is {_size(info.file_size)} of XML, "
                          f"more than the {_size(limits.tree_part)} arcollect parses")
        try:
            return safexml.parse(zf.read(part), book, part)
        except etree.XMLSyntaxError as e:
            raise _refuse(book, f"is damaged: its part {part} is not well-formed XML ({e})") from None

    names = set(zf.namelist())
    if "_rels/.rels" not in names:
        raise _refuse(book, "is not an Excel workbook: it has no package relationships (_rels/.rels)")
    workbook = None
    for rel in tree("_rels/.rels").iter(f"{_NS_PKG}Relationship"):
        typ, target = rel.get("Type", ""), rel.get("Target", "")
        if typ.startswith(_STRICT):
            raise _refuse(book, "is saved as Strict Open XML, which arcollect cannot read: in Excel use "
                          "File > Save As > Excel Workbook (.xlsx)")
        if typ.endswith("/officeDocument") and rel.get("TargetMode") != "External":
            workbook = _resolve("", target)
    if workbook is None or workbook not in names:
        raise _refuse(book, "is not an Excel workbook: its package names no workbook part")
    root = tree(workbook)
    if root.tag.startswith("{" + _STRICT):
        raise _refuse(book, "is saved as Strict Open XML, which arcollect cannot read: in Excel use "
                      "File > Save As > Excel Workbook (.xlsx)")
    rels = _rels_of(workbook)
    targets = {}
    if rels in names:
        targets = {r.get("Id"): _resolve(workbook, r.get("Target", ""))
                   for r in tree(rels).iter(f"{_NS_PKG}Relationship") if r.get("TargetMode") != "External"}
    return {targets[rid]: s.get("name", "") for s in root.iter("{*}sheet")
            if (rid := s.get(f"{{{_NS_REL}}}id")) in targets}


_SHEETDATA = re.compile(rb"<(?:([\w.-]+):)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\b[^>]*?\bref\s*=\s*["\']([^"\']*)["\']')


# --------------------------------------------------------------------------- one pass over the members

_LONGEST = 16 * MiB    # one tag and the text after it; Excel's longest cell text is 32,767 characters
_PROLOG = re.compile(rb"(?:\s+|<\?.*?\?>|<!--.*?-->)*(<!DOCTYPE|<(?:[\w.-]+:)?([\w.-]+))", re.DOTALL)


def _inflated(path: Path, info: zipfile.ZipInfo):
    """A member's inflated chunks, the next inflating in a thread while this one is scanned.

    Read raw from the file and inflated with ISA-L (which, like zlib, releases the GIL), never
    more than the size the directory declares; the CRC is checked at the end, as zipfile does.
    """
    with open(path, "rb") as f, ThreadPoolExecutor(1) as pool:
        f.seek(info.header_offset)
        local = f.read(30)
        if local[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile("Bad magic number for file header")
        n, m = struct.unpack_from("<HH", local, 26)
        f.seek(info.header_offset + 30 + n + m)
        raw = _raw_chunks(f, info.compress_size)
        pieces = raw if info.compress_type == zipfile.ZIP_STORED else _inflate_chunks(raw)
        crc, size = 0, 0

        def more():
            nonlocal crc, size
            chunk = next(pieces, b"")
            size += len(chunk)
            if size > info.file_size:
                raise zipfile.BadZipFile("File is larger than its declared uncompressed size")
            crc = _inflate.crc32(chunk, crc)
            return chunk

        ahead = pool.submit(more)
        while chunk := ahead.result():
            ahead = pool.submit(more)
            yield chunk
        if size != info.file_size:
            raise EOFError(f"{info.filename} ends after {size:,} of its {info.file_size:,} bytes")
        if crc != info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def _raw_chunks(f, size: int):
    while size > 0:
        block = f.read(min(size, _CHUNK))
        if not block:
            raise EOFError("the member's compressed data is cut short")
        size -= len(block)
        yield block


def _inflate_chunks(raw):
    """Raw deflate data inflated, at most ``_CHUNK`` bytes at a time whatever the ratio."""
    d = _inflate.decompressobj(-15)
    for block in raw:
        while block:
            out = d.decompress(block, _CHUNK)
            block = d.unconsumed_tail
            if out:
                yield out
    while not d.eof and (out := d.decompress(d.unconsumed_tail, _CHUNK)):
        yield out
    if not d.eof:
        raise EOFError("the member's deflate data ends early")


class _Part:
    """One member of the package, looked at once: prolog and encoding, size by kind, a worksheet's used range."""

    def __init__(self, book: str, path: Path, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str | None,
                 limits: Limits):
        self.book, self.path, self.zf, self.info, self.limits = book, path, zf, info, limits
        self.label = f"sheet {sheet!r}" if sheet else f"part {info.filename}"
        self.prefix = b""                         # a worksheet's XML up to and with its <sheetData> tag

    def root(self) -> bytes | None:
        """The root element's local name, from the part's first 64 KiB (see ``_root``)."""
        with self.zf.open(self.info) as f:
            return self._root(f.read(_HEAD))

    def check(self, cells: bool = True) -> None:
        """The part as its reader will take it; a worksheet's cells only when ``cells`` (see check_sheet)."""
        with self.zf.open(self.info) as f:
            head = f.read(_HEAD)
            root = self._root(head)
            if root is None or root not in _READ_IN_FULL:
                return                            # media, vbaProject.bin, drawings: no reader inflates them
            if root in _PARSED_WHOLE:
                self._parse(head, f)
                return
        if root == b"worksheet" and not cells:
            if (sd := _SHEETDATA.search(head)) is not None:
                self._dimension(head[:sd.start()])
            return
        chunks = _inflated(self.path, self.info)
        used = None
        if root == b"worksheet":
            used = UsedRange(self.info.file_size, self.limits)
            for piece in self._sheet_data(next(chunks, b""), chunks):
                used.scan(piece)
        for _ in chunks:                          # to the end: the deflate data and the CRC checked
            pass
        if used is not None and (used.bound() is None or used.bound() > used.allowed):
            self._exact(used.allowed)

    def _parse(self, head: bytes, f) -> None:
        """A part the writer parses whole: within its size, and well-formed, with safexml's protections."""
        if self.info.file_size > self.limits.tree_part:
            raise _refuse(self.book, f"cannot be read: its {self.label} is {_size(self.info.file_size)} of XML, "
                          f"more than the {_size(self.limits.tree_part)} arcollect parses")
        try:
            safexml.parse(head + f.read(), self.book, self.info.filename)
        except etree.XMLSyntaxError as e:
            raise _refuse(self.book, f"is damaged: its {self.label} is not well-formed XML ({e})") from None

    def _root(self, head: bytes) -> bytes | None:
        """The root element's local name (None for a member that is not XML); refuses a DOCTYPE, non-UTF-8."""
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
            raise _refuse(self.book, f"cannot be read: its {self.label} is not encoded in UTF-8, as Excel writes it")
        text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
        if text.lstrip()[:1] != b"<":
            return None
        decl = re.match(rb"""\s*<\?xml\b[^>]*?encoding\s*=\s*["']([^"']*)""", text)
        if decl and decl.group(1).lower().replace(b"-", b"") not in (b"utf8", b"usascii", b"ascii"):
            raise _refuse(self.book, f"cannot be read: its {self.label} is encoded in "
                          f"{decl.group(1).decode(errors='replace')}, not UTF-8 as Excel writes it")
        m = _PROLOG.match(text)
        if m is None:
            raise _refuse(self.book, f"is damaged: its {self.label} does not start with an XML element")
        if m.group(1) == b"<!DOCTYPE":
            raise safexml.refused(self.book, self.info.filename)
        return m.group(2)

    def _sheet_data(self, head: bytes, chunks):
        """The content of <sheetData>, in pieces that each end before a tag starts."""
        buf = head
        while (sd := _SHEETDATA.search(buf)) is None:
            more = next(chunks, b"")
            if not more or len(buf) > _LONGEST:
                raise _refuse(self.book, f"is damaged: its {self.label} has no cell data (<sheetData>)")
            buf += more
        self._dimension(buf[:sd.start()])
        self.prefix = buf[:sd.end()]
        end_tag = b"</" + (sd.group(1) + b":" if sd.group(1) else b"") + b"sheetData>"

        def pieces(data):
            # each chunk is copied once, into the piece that ends at its last tag start; only that tail
            # is carried over, so the end tag is either in the next chunk or across the seam from it
            if (k := data.find(end_tag)) >= 0:
                yield data[:k]
                return
            if (cut := data.rfind(b"<")) > 0:
                yield data[:cut]
                data = data[cut:]
            while True:
                more = next(chunks, b"")
                if not more:
                    raise _refuse(self.book, f"is damaged: its {self.label} ends inside its cell data")
                seam = data + more[:len(end_tag) - 1]
                if (k := seam.find(end_tag)) >= 0:
                    yield seam[:k]
                    return
                if (k := more.find(end_tag)) >= 0:
                    yield b"".join((data, memoryview(more)[:k]))
                    return
                if (cut := more.rfind(b"<")) < 0:
                    if len(data) > _LONGEST:
                        raise _refuse(self.book, f"cannot be read: its {self.label} holds over {_size(_LONGEST)} "
                                      "without markup, which Excel never writes")
                    data += more
                    continue
                if piece := b"".join((data, memoryview(more)[:cut])):
                    yield piece
                data = more[cut:]
        return iter(()) if sd.group(2) else pieces(buf[sd.end():])

    def _dimension(self, head: bytes) -> None:
        m = _DIMENSION.search(head)
        if m is None:
            return
        ref = m.group(1)
        corners = [REF.fullmatch(c) for c in ref.split(b":")]
        if len(corners) > 2 or any(c is None or not c.group(1) or not c.group(2) for c in corners):
            raise _refuse(self.book, f"is damaged: its {self.label} gives its used range as "
                          f"{ref.decode(errors='replace')!r}, which is not a range")
        cols = [column(c.group(1)) for c in corners]
        rows = [int(c.group(2)) if len(c.group(2)) <= 9 else MAX_ROWS + 1 for c in corners]
        if max(cols) > MAX_COLS or max(rows) > MAX_ROWS or min(rows) < 1:
            raise _refuse(self.book, f"is damaged: its {self.label} gives its used range as {ref.decode()}, "
                          "beyond Excel's last cell XFD1048576")
        cells = (max(rows) - min(rows) + 1) * (max(cols) - min(cols) + 1)
        if cells > UsedRange(self.info.file_size, self.limits).allowed:
            raise _refuse(self.book, self._far_message(f"its used range is {ref.decode()}", cells))

    def _exact(self, allowed: int) -> None:
        """Replays calamine's placement of every cell: a second pass, only for unusual or suspect sheets."""
        exact = ExactRange()
        chunks = _inflated(self.path, self.info)
        for piece in self._sheet_data(next(chunks, b""), chunks):
            exact.scan(piece)
        if exact.bad is not None:
            raise _refuse(self.book, f"is damaged: its {self.label} has a cell reference "
                          f"{exact.bad.decode(errors='replace')!r} that is not a cell")
        if exact.beyond is not None:
            raise _refuse(self.book, f"is damaged: its {self.label} has a cell at {ref_text(*exact.beyond)}, "
                          "beyond Excel's last cell XFD1048576")
        if exact.cells() > allowed:
            used = f"{ref_text(exact.top, exact.left)}:{ref_text(exact.bottom, exact.right)}"
            far = ref_text(*exact.far)
            raise _refuse(self.book, self._far_message(f"a value in {far} makes its used range {used}", exact.cells()))

    def _far_message(self, what: str, cells: int) -> str:
        return (f"cannot be read: in its {self.label} {what}, {cells:,} cells for "
                f"{_size(self.info.file_size)} of data; in Excel press Ctrl+End to find the last cell, delete the "
                "rows and columns beyond your data, and save")


# --------------------------------------------------------------------------- the check

_checked: dict[tuple, None] = {}
_INFLATE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, _inflate.error)


def _key(path: Path, limits: Limits) -> tuple:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, limits


def _remember(key: tuple) -> None:
    if len(_checked) > 64:
        _checked.clear()
    _checked[key] = None


def _not_inflated(book: str, info: zipfile.ZipInfo, e: Exception):
    return _refuse(book, f"is damaged: its member {info.filename} cannot be inflated ({e}); use a fresh copy")


def check(path, limits: Limits = LIMITS, sheets: bool = True) -> None:
    """Refuse (``BookUnreadable``, one sentence) a file that is not a workbook arcollect can safely open.

    ``sheets=False`` leaves each worksheet's cells (its used range, the rest of its deflate data and
    its CRC) to ``check_sheet``, which every reader calls before it loads a sheet whole; everything
    else is checked either way. A file that passed is remembered by its identity and modification
    time, so a use case that opens the package and then reads the book pays for one check.
    """
    path = Path(path)
    key = _key(path, limits)
    if key + (True,) in _checked or key + (sheets,) in _checked:
        return
    book = path.name
    size = key[1]
    if size == 0:
        raise _refuse(book, "is empty (0 bytes), not an Excel workbook")
    with open(path, "rb") as f:
        head = f.read(4096)
        if not head.startswith(b"PK\x03\x04"):
            raise _refuse(book, _not_a_zip(path, head) if not head.startswith(b"PK\x05\x06")
                          else "is an empty zip archive, not an Excel workbook")
        entries = _directory_entries(f, size, limits)
    if entries is None:
        raise _refuse(book, "is damaged: its zip directory is missing (the file was cut short or overwritten); "
                      "use a fresh copy")
    if entries > limits.members:
        raise _refuse(book, f"cannot be read: its zip directory lists more than {limits.members:,} members")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            _check_members(book, infos, limits)
            _kind_by_names(book, {i.filename for i in infos})
            names = _sheet_names(book, zf, limits)
            for info in infos:
                if info.is_dir():
                    continue
                try:
                    _Part(book, path, zf, info, names.get(info.filename), limits).check(cells=sheets)
                except _INFLATE_ERRORS as e:
                    raise _not_inflated(book, info, e) from None
    except zipfile.BadZipFile as e:
        raise _refuse(book, f"is damaged: its zip archive cannot be read ({e}); use a fresh copy") from None
    _remember(key + (sheets,))


def _sheet_part(path: Path, zf: zipfile.ZipFile, sheet: str, limits: Limits) -> zipfile.ZipInfo | None:
    """The zip member of the worksheet named ``sheet`` (None when the book has none: its reader says so)."""
    parts = {name: part for part, name in _sheet_names(path.name, zf, limits).items()}
    try:
        return zf.getinfo(parts[sheet]) if sheet in parts else None
    except KeyError:
        return None


def check_sheet(path, sheet: str, limits: Limits = LIMITS) -> None:
    """Refuse a sheet calamine or fastexcel must not load whole: what ``check(path, sheets=False)`` checks,
    then the sheet's used range (every cell's place, as calamine will place it), deflate data and CRC."""
    path = Path(path)
    check(path, limits, sheets=False)
    key = _key(path, limits)
    if key + (True,) in _checked or key + (sheet,) in _checked:
        return
    with zipfile.ZipFile(path) as zf:
        info = _sheet_part(path, zf, sheet, limits)
        if info is not None:
            try:
                _Part(path.name, path, zf, info, sheet, limits).check()
            except _INFLATE_ERRORS as e:
                raise _not_inflated(path.name, info, e) from None
    _remember(key + (sheet,))


def sheet_cells(path, sheet: str, limits: Limits = LIMITS):
    """One worksheet streamed once for a reader that bounds its cells itself (bulk's block reader).

    Yields the sheet's XML up to and with its ``<sheetData>`` tag, then the cell data in pieces
    that each end before a tag. Its start, encoding, dimension, deflate data and CRC are checked
    as ``check_sheet`` checks them (refusing in one sentence); its used range is the caller's to
    bound before it hands any cells to calamine (``block_range``).
    """
    path = Path(path)
    check(path, limits, sheets=False)
    with zipfile.ZipFile(path) as zf:
        info = _sheet_part(path, zf, sheet, limits)
        if info is None:
            return
        part = _Part(path.name, path, zf, info, sheet, limits)
        if part.root() != b"worksheet":
            return
    try:
        chunks = _inflated(path, info)
        pieces = part._sheet_data(next(chunks, b""), chunks)
        yield part.prefix
        yield from pieces
        for _ in chunks:
            pass
    except _INFLATE_ERRORS as e:
        raise _not_inflated(path.name, info, e) from None


def block_range(limits: Limits = LIMITS) -> "UsedRange":
    """The bound of one block of a sheet's rows, which calamine loads two at a time: half a sheet's cells."""
    return UsedRange(0, limits, allowed=limits.range_cells // 2)
