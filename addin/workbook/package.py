"""Surgical writes into a user's .xlsx/.xlsm: only the parts arcollect owns change.

The workbook is the user's.  ``XlsxPackage`` opens the zip, parses only the
small parts it needs (workbook.xml and its rels, [Content_Types].xml,
styles.xml, table parts) and streams the worksheet parts it writes.  Every
other member is copied with byte-identical content: other sheets, formulas and
their cached values, tables, charts, images, comments, shapes, sparklines,
defined names, vbaProject.bin.  ``save`` writes a temporary file beside the
book and renames it over the original, so a failure leaves the book untouched.

Never use openpyxl load+save on a user's book: it drops shapes, text boxes and
extension lists, and empties every cached formula value until Excel re-saves.
"""
from __future__ import annotations

import gc
import html
import io
import itertools
import posixpath
import re
import struct
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Sequence

from lxml import etree

from ..files.atomic import atomic_writer
from ..files.lock import BookLocked, Fingerprint
from . import safexml
from .chart import Chart, chart_xml, drawing_xml
from .xlsx_xml import (MAX_COLS, MAX_ROWS, NS_CT, NS_MAIN, NS_PKG_REL, NS_REL, CellContext, Column,
                       Columns, Formula, Link, attr, cell_xml, col_index, col_letter, encode_block, quote_sheet, range_ref,
                       split_range, split_ref, text_xml)
from .sheetpatch import (HAS_VALUE, R_ATTR, R_COL, RPH, S_ATTR, T_ATTR, T_ELEMENT, V_ELEMENT, Patches,
                         RowPatcher, Rx, insert_pos, prefixed, top_level)
from .styles import StyleBook, argb, fmt_code, is_date_code
from .zipparts import (BIG_PART, DEFLATED, LEVEL_BIG, LEVEL_SMALL, STORED, DeflatedPart, Deflater,
                       Prefetch, ZipWriter, deflate_bytes)

__all__ = ["BookLocked", "BookUnreadable", "Formula", "Link", "Column", "Chart", "Tier", "TierRule",
           "XlsxPackage", "lock_file", "DEFAULT_TIERS"]

# relationship and content types
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
RT_DOC = RT + "officeDocument"
RT_SHEET = RT + "worksheet"
RT_TABLE = RT + "table"
RT_DRAWING = RT + "drawing"
RT_CHART = RT + "chart"
RT_STYLES = RT + "styles"
RT_CALC = RT + "calcChain"
CT_SHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_TABLE = "application/vnd.openxmlformats-officedocument.spreadsheetml.table+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CT_STYLES = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

_SHEET_BLOCK = 8 << 20      # worksheet XML is patched in blocks of about this size
CHUNK_ROWS = 16384


class BookUnreadable(Exception):
    """The file is not an Excel workbook arcollect can write into."""


@dataclass(frozen=True)
class Tier:
    above: float            # applies when value > above
    fill: str               # RGB, e.g. "FFC7CE"
    font: str | None = None


DEFAULT_TIERS = (
    Tier(90, "FFC7CE", "9C0006"),   # red
    Tier(60, "FFD8B0", "833C0B"),   # orange
    Tier(30, "FFEB9C", "9C5700"),   # amber
    Tier(0, "FFFFCC", None),        # yellow
)


@dataclass(frozen=True)
class TierRule:
    """Conditional formatting of flagged rows by a numeric column (e.g. days past due).

    ``column`` is a header (one of those written, or one already in the header row).
    ``apply_to`` is "flags" (the columns written by update_columns) or "row" (the whole used row).
    """
    column: str = "Days Past Due"
    tiers: tuple = DEFAULT_TIERS
    apply_to: str = "flags"


# --------------------------------------------------------------------------- locks

def lock_file(path) -> Path | None:
    """The lock file of an office program that has ``path`` open, if one sits beside it.

    Excel's owner file is "~$name" (or "~$" + name[2:]); LibreOffice's is ".~lock.name#".
    """
    p = Path(path)
    for cand in (p.with_name("~$" + p.name), p.with_name("~$" + p.name[2:]), p.with_name(f".~lock.{p.name}#")):
        if len(cand.name) > 2 and cand.exists():
            return cand
    return None


def _check_unlocked(path) -> None:
    """``BookLocked`` while Excel or LibreOffice has the book open: its next save would undo ours."""
    lf = lock_file(path)
    if lf is not None:
        program = "LibreOffice" if lf.name.startswith(".~lock.") else "Excel"
        raise BookLocked(f"{Path(path).name} is open in {program} (lock file {lf.name}): close it and try again")


def _q(tag: str) -> str:
    return f"{{{NS_MAIN}}}{tag}"


def _rels_path(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels")


def _resolve(base_part: str, target: str) -> str:
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base_part), target))


def _relative(base_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(base_part) or ".")


def _tolist(v) -> list:
    if hasattr(v, "tolist"):
        return v.tolist()
    return list(v)


def _column_values(v):
    """A column of values for encode_block: numeric and datetime64 arrays stay arrays (encoded in bulk)."""
    if getattr(getattr(v, "dtype", None), "kind", "") in ("i", "u", "f", "M"):
        return v.to_numpy() if hasattr(v, "to_numpy") else v
    return _tolist(v)


def _unescape(b: bytes) -> str:
    return html.unescape(b.decode("utf-8"))


def _valid_sheet_name(name: str) -> None:
    if not name or len(name) > 31 or re.search(r"[\[\]:*?/\\]", name) or name.startswith("'") or name.endswith("'"):
        raise ValueError(f"{name!r} is not a valid sheet name (1-31 characters, none of [ ] : * ? / \\)")


def _table_name(name: str) -> str:
    n = re.sub(r"[^A-Za-z0-9_.\\]", "_", name.strip())
    if not n or not re.match(r"[A-Za-z_\\]", n):
        n = "_" + n
    if re.fullmatch(r"[A-Za-z]{1,3}\d+|[RrCc]\d*|R\d+C\d+", n):
        n = "_" + n
    return n[:255]


def unique_headers(headers: list[str]) -> list[str]:
    """Headers an Excel Table accepts: none blank, none repeated (case-insensitively)."""
    out, seen = [], set()
    for i, h in enumerate(headers):
        base = re.sub(r"[\r\n\t]+", " ", str(h)).strip() or f"Column{i + 1}"
        n, k = base, 2
        while n.lower() in seen:
            n, k = f"{base}{k}", k + 1
        seen.add(n.lower())
        out.append(n)
    return out


# --------------------------------------------------------------------------- what arcollect owns: its marks
#
# arcollect knows what it owns by hidden defined names it writes, never by a sheet's or a column's name:
#   _arcollect_sheet_<Role>   (workbook scope) = 'Aging (arcollect)'!$A$1    the sheet it writes for Role
#   _arcollect_columns        (sheet scope)    = 'Receivables'!$R$1:$T$1     the header cells of its columns there
# A defined name is a reference, so Excel and LibreOffice move it with the cells when the clerk inserts
# columns or rows, renames a sheet or saves the book (LibreOffice keeps the names but drops hidden="1",
# which the next write restores); a deleted sheet or column leaves #REF!, read as "not marked".

MARK_SHEET = "_arcollect_sheet_"
MARK_COLUMNS = "_arcollect_columns"
_MARK_REF = re.compile(r"\s*=?\s*(?:'((?:[^']|'')+)'|([^'!]+))!\$?([A-Z]{1,3})\$?(\d+)(?::\$?([A-Z]{1,3})\$?(\d+))?\s*")


def mark_name(role: str) -> str:
    """The defined name marking the sheet arcollect writes for ``role`` ("Plan Schedule" -> ..._Plan_Schedule)."""
    return MARK_SHEET + re.sub(r"[^A-Za-z0-9]", "_", role)


def _mark_target(text: str | None) -> tuple[str, tuple[int, int, int, int]] | None:
    """(sheet, (c1, r1, c2, r2)) of a mark's reference; None when it is #REF! or not a plain range."""
    m = _MARK_REF.fullmatch(text or "")
    if not m:
        return None
    sheet = m.group(1).replace("''", "'") if m.group(1) else m.group(2)
    if "#REF" in sheet:
        return None
    c1, r1 = col_index(m.group(3)), int(m.group(4))
    c2, r2 = (col_index(m.group(5)), int(m.group(6))) if m.group(5) else (c1, r1)
    return sheet, (c1, r1, c2, r2)


def _mark_ref(sheet: str, c1: int, r1: int, c2: int, r2: int) -> str:
    a, b = f"${col_letter(c1)}${r1}", f"${col_letter(c2)}${r2}"
    return "'" + sheet.replace("'", "''") + "'!" + (a if (c1, r1) == (c2, r2) else f"{a}:{b}")


@dataclass(frozen=True)
class Marks:
    """What the book's marks say arcollect owns."""
    sheets: dict[str, str]                                # mark name -> the sheet arcollect writes for its role
    columns: dict[str, tuple[int, int, int, int]]         # sheet -> (c1, r1, c2, r2) of its columns' headers

    def sheet(self, role: str) -> str | None:
        """The sheet arcollect writes for ``role`` ("Aging"...), if the book marks one."""
        return self.sheets.get(mark_name(role))


def _marks_of(workbook_root) -> Marks:
    sheets_el = workbook_root.find(_q("sheets"))
    names = [s.get("name") for s in (sheets_el if sheets_el is not None else []) if s.tag == _q("sheet")]
    by_lower = {n.lower(): n for n in names}
    sheets, columns = {}, {}
    dn = workbook_root.find(_q("definedNames"))
    for el in (dn if dn is not None else []):
        name, target = el.get("name") or "", _mark_target(el.text)
        if target is None or target[0].lower() not in by_lower:
            continue
        sheet = by_lower[target[0].lower()]
        if name.startswith(MARK_SHEET):
            sheets[name] = sheet
        elif name == MARK_COLUMNS:
            columns[sheet] = target[1]
    return Marks(sheets, columns)


def read_marks(path) -> Marks:
    """The marks of a book on disk, read from its workbook part alone (for readers: which sheets and columns
    are arcollect's output, never input)."""
    with XlsxPackage(Path(path)) as pkg:
        return pkg.marks()


# --------------------------------------------------------------------------- the package

class XlsxPackage:
    """An open .xlsx/.xlsm whose owned parts can be rewritten; everything else is copied."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._spills: list = []            # anonymous: a killed run leaves none of them anywhere
        self._load(self.path)

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, path) -> "XlsxPackage":
        from . import guard   # only a file is guarded: the live port (xlwings Lite too) imports this module without it

        p = Path(path)
        _check_unlocked(p)
        if not p.is_file():
            raise BookUnreadable(f"{p.name}: no such workbook ({p})")
        guard.check(p, sheets=False)  # the sheets a reader loads are checked when it loads them
        return cls(p)

    def _load(self, path: Path) -> None:
        """Read the book through one handle, kept open: ``save`` copies unchanged parts from the very
        file read (never from whatever the path names by then) and checks the path still names it."""
        name = path.name
        fh = open(path, "rb")
        try:
            self._fingerprint = Fingerprint.of(fh)
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, OSError) as e:
            fh.seek(0)
            head = fh.read(8)
            fh.close()
            hint = (" (it looks like an old .xls or a password-protected workbook; save it as .xlsx)"
                    if head.startswith(b"\xd0\xcf\x11\xe0") else "")
            raise BookUnreadable(f"{name} is not an Excel .xlsx/.xlsm workbook{hint}: {e}") from None
        self._fh, self._zip = fh, zf
        self._names = [i.filename for i in zf.infolist()]
        self._infos = {i.filename: i for i in zf.infolist()}
        self._new: dict[str, bytes | DeflatedPart] = {}
        self._trees: dict[str, etree._Element] = {}
        self._dirty: set[str] = set()
        self._deleted: set[str] = set()
        self._styles: StyleBook | None = None
        self._sst_cache: dict[int, str] = {}
        try:
            if "[Content_Types].xml" not in self._infos:
                raise KeyError("[Content_Types].xml")
            wb = None
            for rid, typ, target, mode in self._rels(""):
                if typ.endswith("/officeDocument") and mode != "External":
                    wb = target
            if wb is None or not self._exists(wb):
                raise KeyError("workbook part")
            self._wb = wb
            root = self._tree(wb)
        except (KeyError, etree.XMLSyntaxError) as e:
            self._close_source()
            raise BookUnreadable(f"{name} is a zip file but not an Excel workbook ({e})") from None
        if root.tag != _q("workbook"):
            self._close_source()
            raise BookUnreadable(f"{name} is not a SpreadsheetML workbook (strict Open XML is not supported)")
        pr = root.find(_q("workbookPr"))
        self.date1904 = pr is not None and pr.get("date1904", "0").lower() in ("1", "true")

    def _close_source(self) -> None:
        try:
            self._zip.close()
        finally:
            self._fh.close()

    def close(self) -> None:
        try:
            self._close_source()
        finally:
            self._close_spills()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ raw parts

    def _exists(self, name: str) -> bool:
        return name in self._new or name in self._dirty or (name in self._infos and name not in self._deleted)

    def _read(self, name: str) -> bytes:
        if name in self._dirty:
            return self._serialize(self._trees[name])
        if name in self._new:
            v = self._new[name]
            return v if isinstance(v, bytes) else v.read()
        if name in self._deleted or name not in self._infos:
            raise KeyError(name)
        return self._zip.read(name)

    @staticmethod
    def _serialize(root) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _tree(self, name: str):
        """A small XML part parsed (read-only unless ``_edit`` marks it changed)."""
        if name not in self._trees:
            self._trees[name] = safexml.parse(self._read(name), self.path.name, name)
        return self._trees[name]

    def _edit(self, name: str):
        """A small XML part as an lxml tree, edited in place and written at save."""
        root = self._tree(name)
        self._dirty.add(name)
        self._new.pop(name, None)
        return root

    def _put(self, name: str, data) -> None:
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self._new[name] = data
        self._deleted.discard(name)

    def _delete(self, name: str) -> None:
        self._trees.pop(name, None)
        self._dirty.discard(name)
        self._new.pop(name, None)
        if name in self._infos:
            self._deleted.add(name)
        self._drop_override(name)
        rp = _rels_path(name)
        if self._exists(rp):
            self._delete(rp)

    def _all_names(self) -> set[str]:
        return (set(self._infos) - self._deleted) | set(self._new) | self._dirty

    def _unused(self, pattern: str) -> str:
        taken = {t.lower() for t in self._all_names()}
        for n in itertools.count(1):
            name = pattern.format(n)
            if name.lower() not in taken:
                return name

    def _spill(self):
        """A spill file with no name (``TemporaryFile`` in the system temp folder: O_TMPFILE or unlinked at
        once on POSIX, deleted on close on Windows), open until the package closes or saves."""
        f = tempfile.TemporaryFile()
        self._spills.append(f)
        return f

    def _close_spills(self) -> None:
        spills, self._spills = self._spills, []
        for f in spills:
            f.close()

    # ------------------------------------------------------------------ relationships and content types

    def _rels(self, part: str) -> list[tuple[str, str, str, str]]:
        rp = "_rels/.rels" if part == "" else _rels_path(part)
        if not self._exists(rp):
            return []
        root = self._tree(rp)
        out = []
        for r in root.findall(f"{{{NS_PKG_REL}}}Relationship"):
            mode = r.get("TargetMode", "Internal")
            t = r.get("Target", "")
            target = t if mode == "External" else _resolve(part or "/", t) if part else t.lstrip("/")
            out.append((r.get("Id"), r.get("Type"), target, mode))
        return out

    def _rels_root(self, part: str):
        rp = _rels_path(part)
        if not self._exists(rp):
            self._trees[rp] = etree.fromstring(f'<Relationships xmlns="{NS_PKG_REL}"/>'.encode())
            self._dirty.add(rp)
            self._deleted.discard(rp)
        return self._edit(rp)

    def _add_rel(self, part: str, typ: str, target_part: str) -> str:
        root = self._rels_root(part)
        ids = {r.get("Id") for r in root}
        rid = next(f"rId{n}" for n in itertools.count(1) if f"rId{n}" not in ids)
        el = etree.SubElement(root, f"{{{NS_PKG_REL}}}Relationship")
        el.set("Id", rid)
        el.set("Type", typ)
        el.set("Target", _relative(part, target_part))
        return rid

    def _remove_rel(self, part: str, rid: str) -> None:
        root = self._rels_root(part)
        for r in list(root):
            if r.get("Id") == rid:
                root.remove(r)

    def _set_override(self, part: str, ctype: str) -> None:
        root = self._edit("[Content_Types].xml")
        pn = "/" + part
        for o in root.findall(f"{{{NS_CT}}}Override"):
            if o.get("PartName", "").lower() == pn.lower():
                o.set("ContentType", ctype)
                return
        el = etree.SubElement(root, f"{{{NS_CT}}}Override")
        el.set("PartName", pn)
        el.set("ContentType", ctype)

    def _drop_override(self, part: str) -> None:
        root = self._tree("[Content_Types].xml")
        pn = "/" + part
        for o in root.findall(f"{{{NS_CT}}}Override"):
            if o.get("PartName", "").lower() == pn.lower():
                self._edit("[Content_Types].xml").remove(o)

    # ------------------------------------------------------------------ sheets

    def _sheets(self) -> list[dict]:
        root = self._tree(self._wb)
        rels = {rid: target for rid, typ, target, mode in self._rels(self._wb)}
        types = {rid: typ for rid, typ, target, mode in self._rels(self._wb)}
        out = []
        sheets = root.find(_q("sheets"))
        for el in (sheets if sheets is not None else []):
            if el.tag != _q("sheet"):
                continue
            rid = el.get(f"{{{NS_REL}}}id")
            out.append({"name": el.get("name"), "sheetId": int(el.get("sheetId")), "rid": rid,
                        "state": el.get("state", "visible"), "part": rels.get(rid),
                        "type": types.get(rid, ""), "el": el})
        return out

    @property
    def sheet_names(self) -> list[str]:
        return [s["name"] for s in self._sheets()]

    def _sheet(self, name: str) -> dict | None:
        for s in self._sheets():
            if s["name"].lower() == name.lower():
                return s
        return None

    def _worksheet_part(self, name: str) -> str:
        s = self._sheet(name)
        if s is None:
            raise KeyError(f"{self.path.name} has no sheet {name!r}")
        if not s["type"].endswith("/worksheet"):
            raise ValueError(f"{name!r} is not a worksheet")
        return s["part"]

    def marks(self) -> Marks:
        """What this book marks as arcollect's (sheets by role, columns per sheet)."""
        return _marks_of(self._tree(self._wb))

    def _set_mark(self, name: str, sheet: str, c1: int, r1: int, c2: int, r2: int, scoped: bool) -> None:
        """Write (or move) one hidden mark; workbook.xml is left as it is when the mark already says so."""
        ref = _mark_ref(sheet, c1, r1, c2, r2)
        local = str(self.sheet_names.index(self._sheet(sheet)["name"])) if scoped else None
        root = self._tree(self._wb)
        dn = root.find(_q("definedNames"))
        el = next((d for d in (dn if dn is not None else [])
                   if d.get("name") == name and d.get("localSheetId") == local), None)
        if el is not None and el.text == ref and el.get("hidden") in ("1", "true"):
            return
        root = self._edit(self._wb)
        if dn is None:
            dn = etree.Element(_q("definedNames"))
            after = next(e for e in (root.find(_q(t)) for t in ("externalReferences", "functionGroups", "sheets"))
                         if e is not None)
            after.addnext(dn)
        if el is None:
            el = etree.SubElement(dn, _q("definedName"))
            el.set("name", name)
            if local is not None:
                el.set("localSheetId", local)
        el.set("hidden", "1")
        el.text = ref

    def _styles_book(self) -> StyleBook:
        if self._styles is None:
            part = next((t for _, typ, t, _m in self._rels(self._wb) if typ == RT_STYLES), None)
            if part is None:
                part = posixpath.join(posixpath.dirname(self._wb), "styles.xml")
                self._add_rel(self._wb, RT_STYLES, part)
                self._set_override(part, CT_STYLES)
                self._styles = StyleBook(None)
                self._styles.dirty = True
            else:
                self._styles = StyleBook(self._read(part))
            self._styles_part = part
        return self._styles

    def _context(self) -> CellContext:
        st = self._styles_book()
        return CellContext(self.date1904, st.xf_id("date"), st.xf_id("datetime"), st.xf_id("time"))

    def _drop_calc_chain(self) -> None:
        for rid, typ, target, mode in self._rels(self._wb):
            if typ == RT_CALC:
                self._remove_rel(self._wb, rid)
                self._delete(target)

    def _needs_recalc(self) -> None:
        """Formulas written without cached values: ask Excel to calculate on load."""
        root = self._edit(self._wb)
        cp = root.find(_q("calcPr"))
        if cp is None:
            cp = etree.Element(_q("calcPr"))
            cp.set("calcId", "191029")
            after = None
            for tag in ("definedNames", "sheets"):
                after = root.find(_q(tag))
                if after is not None:
                    break
            if after is None:
                root.append(cp)
            else:
                after.addnext(cp)
        cp.set("fullCalcOnLoad", "1")

    def _existing_table_names(self, exclude_parts: set[str] = frozenset()) -> set[str]:
        names = set()
        for name in self._all_names():
            if name.startswith("xl/tables/") and name.endswith(".xml") and name not in exclude_parts:
                try:
                    t = self._tree(name)
                    names.add((t.get("name") or "").lower())
                    names.add((t.get("displayName") or "").lower())
                except etree.XMLSyntaxError:
                    pass
        dn = self._tree(self._wb).find(_q("definedNames"))
        if dn is not None:
            names |= {(d.get("name") or "").lower() for d in dn}
        return names

    def _table_ids(self) -> set[int]:
        ids = set()
        for name in self._all_names():
            if name.startswith("xl/tables/") and name.endswith(".xml"):
                try:
                    ids.add(int(self._tree(name).get("id", "0")))
                except (etree.XMLSyntaxError, ValueError):
                    pass
        return ids

    def _sheet_tables(self, part: str) -> list[tuple[str, str]]:
        return [(rid, t) for rid, typ, t, mode in self._rels(part) if typ == RT_TABLE]

    def _drop_sheet_dependents(self, part: str) -> None:
        """Delete what only the old version of an owned sheet used (its tables, drawing, charts...)."""
        closure, stack = set(), [part]
        while stack:
            p = stack.pop()
            for rid, typ, t, mode in self._rels(p):
                if mode != "External" and t not in closure and t != part:
                    closure.add(t)
                    stack.append(t)
        referenced = set()
        for name in self._all_names():
            if not name.endswith(".rels"):
                continue
            d, b = posixpath.split(name)
            src = posixpath.join(posixpath.dirname(d), b[:-5]) if d.endswith("_rels") else ""
            if src == part or src in closure:
                continue
            if name == "_rels/.rels":
                src = ""
            try:
                for rid, typ, t, mode in self._rels(src):
                    referenced.add(t)
            except etree.XMLSyntaxError:
                pass
        for t in closure - referenced:
            if self._exists(t):
                self._delete(t)
        rp = _rels_path(part)
        if self._exists(rp):
            self._delete(rp)

    # ------------------------------------------------------------------ write_sheet

    def write_sheet(self, name: str, columns: list[Column], rows: Iterable[Sequence], *, table: str | None = None,
                    freeze_header: bool = True, chart: Chart | Sequence[Chart] | None = None,
                    tab_color: str | None = None,
                    owned: bool = True) -> str:
        """Write the sheet arcollect owns for the role ``name``: header in row 1, ``rows`` from row 2.

        ``rows`` is streamed: row sequences, or ``Columns`` (one typed column each). Returns the sheet's
        name. The sheet the book's mark names is replaced. Without a mark, a sheet called ``name`` is the
        user's and stays as it is: the owned sheet becomes "<name> (arcollect)" — unless its header row
        is exactly ``columns``' (a book written before marks existed), then it is taken over.
        ``owned=False`` adds an unmarked sheet for the clerk (init's Settings, History...) and refuses
        to touch an existing one. ``chart``: one chart or several, drawn on the sheet; a chart range without
        a sheet ("$A$2:$A$6") is on this sheet.
        """
        _valid_sheet_name(name)
        columns = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
        if not columns:
            raise ValueError("write_sheet needs at least one column")
        if len(columns) > MAX_COLS:
            raise ValueError("too many columns")
        headers = unique_headers([c.header for c in columns]) if table else [c.header for c in columns]
        role = name
        if owned:
            name = self._owned_target(role, headers)
        elif self._sheet(name) is not None:
            raise ValueError(f"{self.path.name} already has a sheet {name!r}")
        existing = self._sheet(name)
        old_part = existing["part"] if existing else None
        old_xml_head = self._sheet_start(old_part)[1] if old_part and self._exists(old_part) else b""
        tname = None
        if table:
            excl = {t for _, t in self._sheet_tables(old_part)} if old_part else set()
            taken = self._existing_table_names(excl)
            base = _table_name(table)
            tname = next(n for k in itertools.count(1) for n in [base if k == 1 else f"{base}{k}"]
                         if n.lower() not in taken)
        sheet_ref = quote_sheet(name) + "!"
        charts = [replace(c, **{f: sheet_ref + getattr(c, f) for f in ("categories", "values")
                                if "!" not in getattr(c, f)})
                  for c in ([] if chart is None else [chart] if isinstance(chart, Chart) else chart)]

        st = self._styles_book()
        snap = st.snapshot()
        ctx = self._context()
        head_s = st.xf_id("general", bold=True)
        S, isdate = [], []
        for c in columns:
            code = fmt_code(c.fmt)
            S.append(f' s="{st.xf_id(c.fmt)}"' if code != "General" else "")
            isdate.append(is_date_code(code))
        ncols = len(columns)
        letters = [col_letter(i + 1) for i in range(ncols)]

        body = Deflater(self._spill())
        lf = self._spill()        # the hyperlinks, written after sheetData
        last_row = 1
        gc_was = gc.isenabled()
        gc.disable()              # millions of short-lived strings and tuples, no cycles
        try:
            hdr = "".join(
                f'<c r="{letters[i]}1" s="{head_s}" t="inlineStr"><is><t xml:space="preserve">{text_xml(h)}</t></is></c>'
                for i, h in enumerate(headers))
            body.write(f'<row r="1">{hdr}</row>'.encode())
            r0 = 2
            for cols in _column_chunks(rows, ncols):
                n = len(cols[0])
                if r0 + n - 1 > MAX_ROWS:
                    raise ValueError(f"more rows than an Excel sheet holds ({MAX_ROWS:,})")
                rs = list(map(str, range(r0, r0 + n)))
                body.write(encode_block(letters, rs, cols, S, ctx, isdate, True).encode("utf-8"))
                if ctx.links:
                    lf.write("".join(f'<hyperlink ref="{ref}" location="{attr(loc)}" display="{attr(disp)}"/>'
                                     for ref, loc, disp in ctx.links).encode("utf-8"))
                    ctx.links.clear()
                r0 += n
            last_row = r0 - 1
            body_seg = body.close()
        except BaseException:
            st.restore(snap)
            body.abort()
            raise
        finally:
            if gc_was:
                gc.enable()

        # head of the sheet
        tab_selected = b'tabSelected="1"' in old_xml_head
        if tab_color is None:
            m = re.search(rb'<(?:\w+:)?tabColor\b[^>]*\brgb="([0-9A-Fa-f]{6,8})"', old_xml_head)
            tab_color = m.group(1).decode() if m else None
        last_letter = letters[-1]
        tbl_last = max(last_row, 2) if table else last_row
        head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}">']
        if tab_color:
            head.append(f'<sheetPr><tabColor rgb="{argb(tab_color)}"/></sheetPr>')
        head.append(f'<dimension ref="A1:{last_letter}{tbl_last}"/>')
        sel = ' tabSelected="1"' if tab_selected else ""
        if freeze_header:
            head.append(f'<sheetViews><sheetView{sel} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                        'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                        'sqref="A2"/></sheetView></sheetViews>')
        else:
            head.append(f'<sheetViews><sheetView{sel} workbookViewId="0"/></sheetViews>')
        head.append('<sheetFormatPr defaultRowHeight="15"/>')
        cols_xml = []
        for i, c in enumerate(columns):
            w = c.width if c.width is not None else min(60.0, max(10.0, len(headers[i]) * 1.2 + 3))
            cols_xml.append(f'<col min="{i + 1}" max="{i + 1}" width="{w:g}" customWidth="1"/>')
        head.append("<cols>" + "".join(cols_xml) + "</cols><sheetData>")

        tail = ["</sheetData>"]
        has_links = lf.tell() > 0

        # parts: sheet
        if existing:
            part = old_part
            self._drop_sheet_dependents(part)
            self._drop_calc_chain()
        else:
            part = self._unused("xl/worksheets/sheet{}.xml")
        sheet_rels: list[tuple[str, str, str]] = []   # (type, target, rid)
        rel_n = itertools.count(1)
        if charts:
            drawing = self._unused("xl/drawings/drawing{}.xml")
            rels = []
            for k, c in enumerate(charts, start=1):
                chart_part = self._unused("xl/charts/chart{}.xml")
                self._put(chart_part, chart_xml(c))
                self._set_override(chart_part, CT_CHART)
                rels.append(f'<Relationship Id="rId{k}" Type="{RT_CHART}" Target="{_relative(drawing, chart_part)}"/>')
            self._put(drawing, drawing_xml(charts))
            self._set_override(drawing, CT_DRAWING)
            self._put(_rels_path(drawing), (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{NS_PKG_REL}">{"".join(rels)}</Relationships>').encode())
            sheet_rels.append((RT_DRAWING, drawing, f"rId{next(rel_n)}"))
        if table:
            tpart = self._unused("xl/tables/table{}.xml")
            tid = max(self._table_ids() | {0}) + 1
            ref = f"A1:{last_letter}{tbl_last}"
            tcols = "".join(f'<tableColumn id="{i + 1}" name="{attr(h)}"/>' for i, h in enumerate(headers))
            self._put(tpart, (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<table xmlns="{NS_MAIN}" id="{tid}" name="{tname}" displayName="{tname}" ref="{ref}" '
                f'totalsRowShown="0"><autoFilter ref="{ref}"/><tableColumns count="{ncols}">{tcols}</tableColumns>'
                '<tableStyleInfo name="TableStyleMedium2" showFirstColumn="0" showLastColumn="0" '
                'showRowStripes="1" showColumnStripes="0"/></table>').encode("utf-8"))
            self._set_override(tpart, CT_TABLE)
            sheet_rels.append((RT_TABLE, tpart, f"rId{next(rel_n)}"))
        if has_links:
            tail.append("<hyperlinks>")
        tail_end = ['<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>']
        for typ, target, rid in sheet_rels:
            if typ == RT_DRAWING:
                tail_end.append(f'<drawing r:id="{rid}"/>')
        tparts = [rid for typ, target, rid in sheet_rels if typ == RT_TABLE]
        if tparts:
            tail_end.append(f'<tableParts count="{len(tparts)}">'
                            + "".join(f'<tablePart r:id="{rid}"/>' for rid in tparts) + "</tableParts>")
        tail_end.append("</worksheet>")
        chunks = ["".join(head).encode("utf-8"), body_seg, "".join(tail).encode("utf-8")]
        if has_links:
            lf.seek(0)
            chunks += [lf.read(), b"</hyperlinks>"]
        chunks.append("".join(tail_end).encode("utf-8"))
        self._put(part, DeflatedPart(chunks))
        self._set_override(part, CT_SHEET)
        if sheet_rels:
            self._put(_rels_path(part), (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<Relationships xmlns="{NS_PKG_REL}">'
                + "".join(f'<Relationship Id="{rid}" Type="{typ}" Target="{_relative(part, target)}"/>'
                          for typ, target, rid in sheet_rels)
                + "</Relationships>").encode("utf-8"))
        if not existing:
            rid = self._add_rel(self._wb, RT_SHEET, part)
            root = self._edit(self._wb)
            sheets = root.find(_q("sheets"))
            ids = [int(s.get("sheetId", "0")) for s in sheets]
            el = etree.SubElement(sheets, _q("sheet"))
            el.set("name", name)
            el.set("sheetId", str(max(ids + [0]) + 1))
            el.set(f"{{{NS_REL}}}id", rid)
        if owned:
            self._set_mark(mark_name(role), name, 1, 1, 1, 1, scoped=False)
        if ctx.formulas:
            self._needs_recalc()
        return name

    def _owned_target(self, role: str, headers: list[str]) -> str:
        """The sheet to write for ``role``: the marked one, a free ``role``, an unmarked one of ours, or a new name."""
        marked = self.marks().sheet(role)
        if marked is not None and self._sheet(marked)["type"].endswith("/worksheet"):
            return marked
        s = self._sheet(role)
        if s is None:
            return role
        if s["type"].endswith("/worksheet") and s["name"] not in self.marks().sheets.values():
            cells, _ = self._header_cells(s["part"], 1, Rx(self._sheet_start(s["part"])[0]))
            if {c: t for c, (_x, t) in cells.items() if t} == dict(enumerate(headers, 1)):
                return s["name"]
        for k in itertools.count(1):
            suffix = " (arcollect)" if k == 1 else f" (arcollect {k})"
            cand = role[:31 - len(suffix)] + suffix
            if self._sheet(cand) is None:
                return cand

    def _sheet_start(self, part: str) -> tuple[bytes, bytes]:
        """(element prefix, XML up to <sheetData>) of a worksheet, without reading its rows."""
        p, head, blocks, _t = self._sheet_stream(part, 1 << 16)
        if hasattr(blocks, "close"):
            blocks.close()
        return p, head

    # ------------------------------------------------------------------ streaming patch of a user sheet

    def _header_cells(self, part: str, header_row: int, rx: Rx):
        """(cells of the header row by column, {header text lower-cased: first column with it})."""
        hdr_cells = self._row_cells(self._first_rows(part, header_row), header_row, rx)
        by_text: dict[str, int] = {}
        for col in sorted(hdr_cells):
            t = hdr_cells[col][1]
            if t is not None and t.strip():
                by_text.setdefault(t.strip().lower(), col)
        return hdr_cells, by_text

    def _row_cells(self, body: bytes, rownum: int, rx: Rx) -> dict[int, tuple[bytes, str | None]]:
        """{column: (cell XML, text or None)} of one row (for header rows)."""
        m = re.search(rb"<" + re.escape(rx.p) + rb'row\b[^>]*?\br="' + str(rownum).encode() + rb'"', body)
        content = b""
        if m:
            rm = rx.row.match(body, m.start())
            content = rm.group(2) or b""
        else:
            n = 0
            for rm in rx.row.finditer(body):
                a = R_ATTR.search(rm.group(1))
                n = int(a.group(1)) if a else n + 1
                if n == rownum:
                    content = rm.group(2) or b""
                    break
                if n > rownum:
                    break
        out, prev = {}, 0
        for cm in rx.cell.finditer(content):
            a = cm.group(1) or b""
            rr = R_COL.search(a)
            col = col_index(rr.group(1)) if rr else prev + 1
            prev = col
            out[col] = (cm.group(0), self._cell_text(a, cm.group(2) or b""))
        return out

    def _cell_text(self, attrs: bytes, inner: bytes) -> str | None:
        tm = T_ATTR.search(attrs)
        t = tm.group(1) if tm else b"n"
        if t == b"inlineStr":
            inner = RPH.sub(b"", inner)
            return "".join(_unescape(x) for x in T_ELEMENT.findall(inner))
        v = V_ELEMENT.search(inner)
        if v is None:
            return None
        if t == b"s":
            return self._shared_string(int(v.group(1)))
        return _unescape(v.group(1))

    def _shared_string(self, i: int) -> str | None:
        if i in self._sst_cache:
            return self._sst_cache[i]
        part = next((t for _, typ, t, _m in self._rels(self._wb) if typ.endswith("/sharedStrings")), None)
        if part is None or not self._exists(part):
            return None
        k = 0
        with self._zip.open(part) if part in self._infos and part not in self._new else io.BytesIO(self._read(part)) as f:
            for ev, el in safexml.iterparse(f, self.path.name, part, tag=_q("si")):
                if k == i or (k < i + 64 and k not in self._sst_cache):
                    self._sst_cache[k] = "".join(t.text or "" for t in el.iter(_q("t"))
                                                 if t.getparent().tag != _q("rPh"))
                el.clear()
                k += 1
                if k > i + 64:
                    break
        return self._sst_cache.get(i)

    def _stream(self, part: str):
        v = self._new.get(part)
        if isinstance(v, DeflatedPart):
            return v.open()
        if v is None and part not in self._dirty and part in self._infos and part not in self._deleted:
            return self._zip.open(part)
        return io.BytesIO(self._read(part))

    def _sheet_stream(self, part: str, block: int = 8 << 20, prefetch: bool = False):
        """(prefix, head incl. <sheetData>, iterator of row blocks, box receiving the tail)."""
        f = self._stream(part)
        if prefetch:
            f = Prefetch(f, block)
        buf = b""
        while True:
            m = re.search(rb"<(\w+:)?worksheet\b", buf)
            sd = None
            if m:
                p = m.group(1) or b""
                sd = re.search(rb"<" + re.escape(p) + rb"sheetData\b[^>]*?(/?)>", buf)
            if sd:
                break
            more = f.read(block)
            if not more:
                f.close()
                raise BookUnreadable(f"{part} is not a worksheet with <sheetData>")
            buf += more
        tail_box: list[bytes] = []
        if sd.group(1):
            head = buf[:sd.start()] + b"<" + p + b"sheetData>"
            rest = [buf[sd.end():]]
            while True:
                more = f.read(block)
                if not more:
                    break
                rest.append(more)
            tail_box.append(b"</" + p + b"sheetData>" + b"".join(rest))
            f.close()
            return p, head, iter(()), tail_box
        head = buf[:sd.end()]
        buf = buf[sd.end():]
        end_tag = b"</" + p + b"sheetData>"
        rc = b"</" + p + b"row>"

        def blocks():
            # ``carry`` is the partial row after the last </row> yielded; each new read is searched once
            # and copied once (joined to ``carry``)
            carry, data = b"", buf
            le = len(end_tag) - 1
            try:
                while True:
                    k = data.find(end_tag)
                    found = k >= 0
                    if not found and carry:
                        j = (carry[-le:] + data[:le]).find(end_tag)
                        if j >= 0:
                            k, found = j - len(carry[-le:]), True      # it starts in ``carry``
                    if found:
                        whole = b"".join((carry, data))
                        k += len(carry)
                        yield whole[:k]
                        rest = [whole[k:]]
                        while True:
                            more = f.read(block)
                            if not more:
                                break
                            rest.append(more)
                        tail_box.append(b"".join(rest))
                        return
                    cut = data.rfind(rc)
                    if cut >= 0:
                        cut += len(rc)
                        yield b"".join((carry, memoryview(data)[:cut])) if carry else data[:cut]
                        carry = data[cut:]
                    else:
                        carry += data
                    data = f.read(block)
                    if not data:
                        raise BookUnreadable(f"{part}: the worksheet XML ends early")
            finally:
                f.close()
        return p, head, blocks(), tail_box

    def _first_rows(self, part: str, upto: int) -> bytes:
        """The rows of a sheet up to row ``upto`` (for header lookups), without reading the rest."""
        p, head, blocks, _tail = self._sheet_stream(part, 1 << 20)
        out = []
        rx = Rx(p)
        for body in blocks:
            out.append(body)
            nums = [int(x) for x in R_ATTR.findall(body[body.rfind(rx.rowopen):].split(b">", 1)[0])]
            if nums and nums[0] > upto:
                break
        blocks.close()
        return b"".join(out)

    def _rewrite_sheet(self, part: str, patches, *, head_fn=None, tail_fn=None,
                       strip: list[str] | None = None, strip_from: int = 0) -> int:
        """Stream a worksheet part through the patcher into a compressed temp file; > 0 if stale cells went.

        Nothing is compressed while the output equals the input (a re-run on the same data): at the
        first block that differs the rows passed so far are copied from the part, and a part that
        already holds every patch is left as it is (saved as its original compressed bytes).
        """
        if not isinstance(patches, Patches):
            patches = Patches.of(patches)
        p, head, blocks, tail_box = self._sheet_stream(part, _SHEET_BLOCK, prefetch=True)
        rx = Rx(p)
        patcher = RowPatcher()
        new_head = head_fn(head) if head_fn else head
        out = None                   # the compressed copy, begun at the first difference
        held = 0                     # bytes of rows after the head passed through unchanged until then
        state = [0, 0, 0]

        def begin() -> Deflater:
            d = Deflater(self._spill())
            d.write(new_head)
            self._copy_part(part, len(head), held, d)
            return d
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for body in blocks:
                if out is not None:
                    patcher.patch_block(body, patches, out, rx, strip, strip_from, state)
                    continue
                got = _Collected()
                patcher.patch_block(body, patches, got, rx, strip, strip_from, state)
                if got.equals(body):
                    held += len(body)
                    continue
                out = begin()
                for b in got:
                    out.write(b)
            tail = tail_box[0]
            new_tail = tail_fn(tail) if tail_fn else tail
            if out is None:
                if state[0] == len(patches) and new_head == head and new_tail == tail:
                    return 0
                out = begin()
            ro, rc = rx.rowopen, rx.rowclose
            for i in range(state[0], len(patches)):
                r, _c, cells = patches[i]
                out.write(ro + b' r="' + str(r).encode() + b'">' + cells + rc)
            out.write(new_tail)
            seg = out.close()
        except BaseException:
            if out is not None:
                out.abort()
            if hasattr(blocks, "close"):
                blocks.close()
            raise
        finally:
            if gc_was:
                gc.enable()
        self._put(part, DeflatedPart([seg]))
        return state[2]

    def _copy_part(self, part: str, skip: int, n: int, out) -> None:
        """Bytes [skip, skip + n) of a part's XML into ``out``: the rows a rewrite passed unchanged."""
        with self._stream(part) as f:
            for copy in (False, True):
                left = n if copy else skip
                while left:
                    b = f.read(min(left, _SHEET_BLOCK))
                    if not b:
                        raise BookUnreadable(f"{part}: the worksheet XML ends early")
                    left -= len(b)
                    if copy:
                        out.write(b)

    @staticmethod
    def _update_dimension(head: bytes, c1: int, r1: int, c2: int, r2: int) -> bytes:
        m = re.search(rb'(<(?:\w+:)?dimension\b[^>]*?\bref=")([^"]*)(")', head)
        if not m:
            return head
        try:
            a1, b1, a2, b2 = split_range(m.group(2).decode())
        except ValueError:
            return head
        if m.group(2) == b"A1" and b1 == 1:
            a1 = b1 = a2 = b2 = None
        if a1 is None:
            ref = range_ref(c1, r1, c2, r2)
        else:
            ref = range_ref(min(a1, c1), min(b1, r1), max(a2, c2), max(b2, r2))
        return head[:m.start(2)] + ref.encode() + head[m.end(2):]

    def _add_hyperlinks(self, tail: bytes, links: list[tuple[str, str, str]], p: bytes) -> bytes:
        if not links:
            return tail
        refs = {ref for ref, _, _ in links}
        new = "".join(f'<hyperlink ref="{ref}" location="{attr(loc)}" display="{attr(disp)}"/>'
                      for ref, loc, disp in links)
        new_b = prefixed(new, p).encode("utf-8")
        hl = [(s, e) for n, s, e in top_level(tail) if n == b"hyperlinks"]
        if hl:
            s, e = hl[0]
            block = tail[s:e]
            block = re.sub(rb'<(?:\w+:)?hyperlink\b[^>]*?\bref="([^"]*)"[^>]*?(?:/>|>.*?</(?:\w+:)?hyperlink>)',
                           lambda m: b"" if m.group(1).decode() in refs else m.group(0), block, flags=re.S)
            if block.endswith(b"/>"):
                block = block[:-2] + b">" + new_b + b"</" + p + b"hyperlinks>"
            else:
                k = block.rfind(b"</")
                block = block[:k] + new_b + block[k:]
            return tail[:s] + block + tail[e:]
        pos = insert_pos(tail, b"hyperlinks")
        return tail[:pos] + b"<" + p + b"hyperlinks>" + new_b + b"</" + p + b"hyperlinks>" + tail[pos:]

    # ------------------------------------------------------------------ update_columns

    def _owned_columns(self, sheet, part, head, header_row, headers, hdr_cells, table_ends, tiers):
        """(column per header, {new column: header text}) of arcollect's columns on a user sheet.

        The marked columns are reused, matched by header. A header not found there goes in the first
        free column right of the used range (the sheet's dimension, its header row, a table on that row).
        A user's column is never taken whatever its name; where ours would repeat a user's header it is
        written as "<header> (arcollect)".
        """
        text = {c: t.strip() for c, (_x, t) in hdr_cells.items() if t and t.strip()}
        marked = self.marks().columns.get(self._sheet(sheet)["name"])
        span = (marked[0], marked[2]) if marked else self._legacy_columns(part, headers, text, tiers)
        inside = set(range(span[0], span[1] + 1)) if span else set()
        ours: dict[str, int] = {}
        for c in sorted(inside & set(text)):
            ours.setdefault(_OWNED_SUFFIX.sub("", text[c]).lower(), c)
        right = max(list(text) + list(table_ends) + list(inside) + [0])
        nxt = max(right, _dimension_last_col(head)) + 1
        if nxt + len(headers) - 1 > MAX_COLS:       # a dimension out to the last column: the header row decides
            nxt = right + 1
        theirs = {t.lower() for c, t in text.items() if c not in inside}
        cols, new_headers = [], {}
        for h in map(str, headers):
            c = ours.get(h.strip().lower())
            if c is None or c in cols:
                c = nxt
                nxt += 1
                new_headers[c] = f"{h} (arcollect)" if h.strip().lower() in theirs else h
            cols.append(c)
        if max(cols) > MAX_COLS:
            raise ValueError("no room for more columns in this sheet")
        return cols, new_headers

    def _legacy_columns(self, part, headers, text, tiers) -> tuple[int, int] | None:
        """Columns an arcollect from before the marks wrote: exactly ``headers``, in order, as the last
        columns of the header row and, for flags, coloured by arcollect's tier rule. Anything else is the user's."""
        if not text:
            return None
        last = max(text)
        first = last - len(headers) + 1
        keys = [str(h).strip().lower() for h in headers]
        if [text.get(c, "").lower() for c in range(first, last + 1)] != keys:
            return None
        if tiers is not None:
            key = tiers.column.strip().lower()
            if key not in keys:
                return None
            p, _h, blocks, tail = self._sheet_stream(part, _SHEET_BLOCK)
            for _ in blocks:
                pass
            coloured = {m.group(1).decode() for m in self._OUR_CF.finditer(tail[0])}
            if col_letter(first + keys.index(key)) not in coloured:
                return None
        return first, last


    def update_columns(self, sheet: str, header_row: int, headers: list[str], rows: Sequence[int],
                       values: list[Sequence], *, tiers: TierRule | None = None) -> list[str]:
        """Write arcollect's flag columns into a user sheet; returns their column letters."""
        part = self._worksheet_part(sheet)
        rows = _tolist(rows)
        if set(map(type, rows)) - {int}:
            rows = [int(r) for r in rows]
        values = [_column_values(v) for v in values]
        if len(values) != len(headers):
            raise ValueError("update_columns: one list of values per header")
        for h, v in zip(headers, values):
            if len(v) != len(rows):
                raise ValueError(f"update_columns: {len(v)} values for {h!r} but {len(rows)} rows")
        if rows and (min(rows) <= header_row or max(rows) > MAX_ROWS):
            raise ValueError(f"update_columns: rows must be below the header row {header_row} and within the sheet")
        p, head = self._sheet_start(part)
        rx = Rx(p)
        hdr_cells, by_text = self._header_cells(part, header_row, rx)
        # tables whose header row is this one: extended to the new columns
        tables = []
        for rid, tpart in self._sheet_tables(part):
            t = self._tree(tpart)
            c1, r1, c2, r2 = split_range(t.get("ref"))
            if r1 == header_row and t.get("headerRowCount", "1") != "0":
                tables.append((tpart, t, c1, r1, c2, r2))
        cols, new_headers = self._owned_columns(sheet, part, head, header_row, headers, hdr_cells,
                                                [c2 for *_x, c2, _r2 in tables], tiers)
        letters = [col_letter(c) for c in cols]
        self._set_mark(MARK_COLUMNS, self._sheet(sheet)["name"], min(cols), header_row, max(cols), header_row,
                       scoped=True)

        for tpart, t, c1, r1, c2, r2 in tables:
            mine = set(cols)
            top = max(cols)
            if top > c2 and all(c in mine for c in range(c2 + 1, top + 1)):
                self._edit(tpart)
                tcs = t.find(_q("tableColumns"))
                names = {(tc.get("name") or "").lower() for tc in tcs}
                ids = [int(tc.get("id", "0")) for tc in tcs]
                for c in range(c2 + 1, top + 1):
                    h = new_headers.get(c) or hdr_cells.get(c, (b"", None))[1] or f"Column{c - c1 + 1}"
                    base, k = h, 2
                    while h.lower() in names:
                        h, k = f"{base}{k}", k + 1
                    names.add(h.lower())
                    if c in new_headers:
                        new_headers[c] = h
                    el = etree.SubElement(tcs, _q("tableColumn"))
                    ids.append(max(ids + [0]) + 1)
                    el.set("id", str(ids[-1]))
                    el.set("name", h)
                tcs.set("count", str(len(tcs.findall(_q("tableColumn")))))
                ref = range_ref(c1, r1, top, r2)
                t.set("ref", ref)
                af = t.find(_q("autoFilter"))
                if af is not None:
                    tot = int(t.get("totalsRowCount", "0") or 0)
                    af.set("ref", range_ref(c1, r1, top, r2 - tot))

        st = self._styles_book()
        ctx = self._context()
        # header cells for new columns, styled like the header cell before them
        hpatch = []
        if new_headers:
            left = [c for c in hdr_cells if c < min(new_headers)]
            sm = S_ATTR.search(hdr_cells[max(left)][0].split(b">")[0]) if left else None
            s = f' s="{sm.group(1).decode()}"' if sm else f' s="{st.xf_id("general", bold=True)}"'
            hcells = "".join(
                f'<c r="{col_letter(c)}{header_row}"{s} t="inlineStr"><is><t xml:space="preserve">{text_xml(h)}</t></is></c>'
                for c, h in sorted(new_headers.items()))
            hpatch = [(header_row, min(new_headers), prefixed(hcells, p).encode("utf-8"))]

        # data cells, vectorised per column, in column order
        order = sorted(range(len(cols)), key=lambda i: cols[i])
        if rows != sorted(rows) or len(set(rows)) != len(rows):
            idx = sorted(range(len(rows)), key=rows.__getitem__)
            rows = [rows[i] for i in idx]
            values = [v[idx] if hasattr(v, "dtype") else [v[i] for i in idx] for v in values]
            if any(rows[i] == rows[i + 1] for i in range(len(rows) - 1)):
                raise ValueError("update_columns: a row number is listed twice")
        mincol = min(cols)
        o_letters = [letters[i] for i in order]
        o_values = [values[i] for i in order]
        del values
        cells: list[bytes] = []
        step = 1 << 16
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for a in range(0, len(rows), step):
                rs = list(map(str, rows[a:a + step]))
                txt = encode_block(o_letters, rs, [v[a:a + step] for v in o_values], [""] * len(order), ctx,
                                   [False] * len(order), False, "\x00")
                if p:
                    txt = prefixed(txt, p)
                cells += txt.encode("utf-8").split(b"\x00")[:-1]
        finally:
            if gc_was:
                gc.enable()
        del o_values
        patches = Patches([r for r, _m, _c in hpatch] + rows, [m for _r, m, _c in hpatch] + [mincol] * len(rows),
                           [c for _r, _m, c in hpatch] + cells)
        del cells

        last = max(rows) if rows else header_row
        links = list(ctx.links)

        def tail_fn(tail):
            if links:
                tail = self._add_hyperlinks(tail, links, p)
            if tiers is not None:
                tail = self._tier_formatting(tail, p, tiers, header_row, cols, headers, hdr_cells, by_text, last)
            return tail
        if self._rewrite_sheet(part, patches, strip=letters, strip_from=header_row + 1, tail_fn=tail_fn,
                               head_fn=lambda h: self._update_dimension(h, min(cols), header_row, max(cols), last)):
            self._drop_calc_chain()
        if ctx.formulas:
            self._needs_recalc()
        return letters

    _OUR_CF = re.compile(rb"<(?:\w+:)?conditionalFormatting\b[^>]*>(?:(?!</(?:\w+:)?conditionalFormatting>).)*?"
                         rb"AND\(ISNUMBER\(\$([A-Z]+)\d+\),\$[A-Z]+\d+&gt;.*?</(?:\w+:)?conditionalFormatting>", re.S)

    def _tier_formatting(self, tail, p, rule: TierRule, header_row, cols, headers, hdr_cells, by_text, last) -> bytes:
        key = rule.column.strip().lower()
        col = None
        for c, h in zip(cols, headers):
            if str(h).strip().lower() == key:
                col = c
        if col is None:
            col = by_text.get(key)
        if col is None:
            raise ValueError(f"tiers: no column {rule.column!r} in the header row")
        ours = {col_letter(c).encode() for c in cols}
        tail = self._OUR_CF.sub(lambda m: b"" if m.group(1) in ours else m.group(0), tail)
        prio = max([int(x) for x in re.findall(rb'\bpriority="(\d+)"', tail)] + [0])
        if rule.apply_to == "row":
            c_first = min([c for c in hdr_cells] + cols)
            c_last = max([c for c in hdr_cells] + cols)
            sq = range_ref(c_first, header_row + 1, c_last, max(last, header_row + 1))
        else:
            spans, start = [], None
            sc = sorted(set(cols))
            for i, c in enumerate(sc):
                if start is None:
                    start = c
                if i + 1 == len(sc) or sc[i + 1] != c + 1:
                    spans.append(range_ref(start, header_row + 1, c, max(last, header_row + 1)))
                    start = None
            sq = " ".join(spans)
        st = self._styles_book()
        ref = f"${col_letter(col)}{header_row + 1}"
        rules = []
        for k, t in enumerate(sorted(rule.tiers, key=lambda t: -t.above)):
            dxf = st.dxf_id(t.fill, t.font)
            above = format(t.above, "g") if isinstance(t.above, float) else str(t.above)
            rules.append(f'<cfRule type="expression" dxfId="{dxf}" priority="{prio + k + 1}" stopIfTrue="1">'
                         f"<formula>AND(ISNUMBER({ref}),{ref}&gt;{above})</formula></cfRule>")
        block = prefixed(f'<conditionalFormatting sqref="{sq}">' + "".join(rules) + "</conditionalFormatting>", p)
        pos = insert_pos(tail, b"conditionalFormatting")
        return tail[:pos] + block.encode("utf-8") + tail[pos:]

    # ------------------------------------------------------------------ append_rows

    def append_rows(self, sheet: str, columns: list[Column], rows: Sequence[Sequence]) -> int:
        """Append rows after the last non-empty row (History); never rewrites existing rows."""
        columns = [c if isinstance(c, Column) else Column(str(c)) for c in columns]
        rows = [list(r) for r in rows]
        if self._sheet(sheet) is None:
            self.write_sheet(sheet, columns, rows, owned=False)      # History is the clerk's, not ours
            return 2
        part = self._worksheet_part(sheet)
        p, _h, blocks, _t = self._sheet_stream(part)
        rx = Rx(p)
        # header row: that of a table on the sheet, else the first row with values
        tables = []
        for rid, tpart in self._sheet_tables(part):
            t = self._tree(tpart)
            c1, r1, c2, r2 = split_range(t.get("ref"))
            tables.append((tpart, t, c1, r1, c2, r2))
        header_row = None
        for tpart, t, c1, r1, c2, r2 in tables:
            if t.get("headerRowCount", "1") != "0":
                header_row = r1 if header_row is None else min(header_row, r1)
        prev = 0
        last_nonempty = 0
        for body in blocks:
            for m in rx.row.finditer(body):
                a = R_ATTR.search(m.group(1))
                n = int(a.group(1)) if a else prev + 1
                prev = n
                if m.group(2) and HAS_VALUE.search(m.group(2)):
                    if header_row is None:
                        header_row = n
                    last_nonempty = n
        if header_row is None:
            header_row = 1
        hdr_cells, by_text = self._header_cells(part, header_row, rx)
        nxt = max([c for c, (_x, t) in hdr_cells.items() if t] + [0]) + 1
        cols, new_headers = [], {}
        for c in columns:
            k = by_text.get(c.header.strip().lower())
            if k is None or k in cols:
                k = nxt
                nxt += 1
                new_headers[k] = c.header
            cols.append(k)
        st = self._styles_book()
        ctx = self._context()
        S, isdate = [], []
        for c in columns:
            code = fmt_code(c.fmt)
            S.append(f' s="{st.xf_id(c.fmt)}"' if code != "General" else "")
            isdate.append(is_date_code(code))
        first = max(last_nonempty, header_row) + 1
        if first + len(rows) - 1 > MAX_ROWS:
            raise ValueError("the sheet is full")
        patches = []
        if new_headers:
            hs = st.xf_id("general", bold=True)
            hcells = "".join(
                f'<c r="{col_letter(c)}{header_row}" s="{hs}" t="inlineStr"><is><t xml:space="preserve">{text_xml(h)}</t></is></c>'
                for c, h in sorted(new_headers.items()))
            patches.append((header_row, min(new_headers), prefixed(hcells, p).encode("utf-8")))
        order = sorted(range(len(cols)), key=lambda i: cols[i])
        for k, row in enumerate(rows):
            if len(row) > len(columns):
                raise ValueError(f"append_rows: a row has {len(row)} values for {len(columns)} columns")
            r = first + k
            cells = "".join(cell_xml(f"{col_letter(cols[i])}{r}", row[i] if i < len(row) else None, S[i], ctx, isdate[i])
                            for i in order)
            patches.append((r, min(cols), prefixed(cells, p).encode("utf-8")))
        new_last = first + len(rows) - 1
        # a table ending at the last data row grows with the rows (and with new header columns)
        for tpart, t, c1, r1, c2, r2 in tables:
            if r1 == header_row and r2 >= last_nonempty and int(t.get("totalsRowCount", "0") or 0) == 0:
                self._edit(tpart)
                top = c2
                if new_headers and min(new_headers) == c2 + 1:
                    top = max(new_headers)
                    tcs = t.find(_q("tableColumns"))
                    ids = [int(tc.get("id", "0")) for tc in tcs]
                    for c in range(c2 + 1, top + 1):
                        el = etree.SubElement(tcs, _q("tableColumn"))
                        ids.append(max(ids + [0]) + 1)
                        el.set("id", str(ids[-1]))
                        el.set("name", new_headers[c])
                    tcs.set("count", str(len(tcs.findall(_q("tableColumn")))))
                ref = range_ref(c1, r1, top, max(r2, new_last))
                t.set("ref", ref)
                af = t.find(_q("autoFilter"))
                if af is not None:
                    af.set("ref", ref)
        links = list(ctx.links)
        self._rewrite_sheet(
            part, patches,
            head_fn=lambda h: self._update_dimension(h, min(cols), header_row, max(cols), max(new_last, header_row)),
            tail_fn=lambda t: self._add_hyperlinks(t, links, p))
        if ctx.formulas:
            self._needs_recalc()
        return first

    # ------------------------------------------------------------------ set_values

    def set_values(self, sheet: str, cells: dict[str, object]) -> None:
        """Small in-place edits, e.g. {"H5": "yes"}; the cell keeps its style unless a date needs one."""
        if not cells:
            return
        part = self._worksheet_part(sheet)
        p, _h = self._sheet_start(part)
        ctx = self._context()
        by_row: dict[int, list[tuple[int, object]]] = {}
        for ref, v in cells.items():
            c, r = split_ref(ref)
            if not (1 <= r <= MAX_ROWS and 1 <= c <= MAX_COLS):
                raise ValueError(f"{ref} is outside the sheet")
            by_row.setdefault(r, []).append((c, v))
        patches = []
        for r in sorted(by_row):
            items = sorted(by_row[r], key=lambda x: x[0])
            xml = "".join(cell_xml(f"{col_letter(c)}{r}", v, "", ctx) or f'<c r="{col_letter(c)}{r}"/>'
                          for c, v in items)
            patches.append((r, items[0][0], prefixed(xml, p).encode("utf-8")))
        c1 = min(c for items in by_row.values() for c, _ in items)
        c2 = max(c for items in by_row.values() for c, _ in items)
        links = list(ctx.links)
        self._drop_calc_chain()
        self._rewrite_sheet(part, patches,
                            head_fn=lambda h: self._update_dimension(h, c1, min(by_row), c2, max(by_row)),
                            tail_fn=lambda t: self._add_hyperlinks(t, links, p))
        if ctx.formulas:
            self._needs_recalc()

    # ------------------------------------------------------------------ save

    def save(self, path=None) -> None:
        """Write the book durably and atomically (``atomic_writer``: temp beside it, fsync, rename).

        Refused, with the book untouched, while Excel or LibreOffice has it open, and when saving over
        the file read if that file changed since it was read (another program saved it meanwhile).
        """
        target = Path(path) if path is not None else self.path
        _check_unlocked(target)
        if self._styles is not None and self._styles.dirty:
            self._put(self._styles_part, self._styles.tostring())
            self._styles.dirty = False
            self._styles = None
        over_source = target.resolve() == self.path.resolve()

        def last_check() -> None:
            _check_unlocked(target)
            if over_source:
                self._fingerprint.verify(target)
            self._close_source()        # Windows cannot replace a file this process holds open

        self._src = self._fh
        try:
            with atomic_writer(target, before_replace=last_check) as fout:
                zout = ZipWriter(fout, self._zip.comment or b"")
                written = set()
                for name in self._names:
                    if name in self._deleted and name not in self._new and name not in self._dirty:
                        continue
                    self._write_member(zout, name, self._infos[name])
                    written.add(name)
                for name in list(self._new) + sorted(self._dirty):
                    if name not in written:
                        self._write_member(zout, name, None)
                        written.add(name)
                zout.close()
        except BaseException:
            if self._fh.closed:         # the rename failed after the check: the file read is still there
                self._fh = open(self.path, "rb")
                self._zip = zipfile.ZipFile(self._fh)
            raise
        # the package now mirrors the saved file
        self._close_spills()
        self.path = target
        self._load(target)

    def _write_member(self, zout: "ZipWriter", name: str, info: zipfile.ZipInfo | None) -> None:
        """One member: an unchanged one as its raw compressed bytes, a new one compressed once."""
        meta = dict(date_time=info.date_time if info else _now(),
                    external_attr=info.external_attr if info else 0o600 << 16,
                    create_system=info.create_system if info else 3,
                    internal_attr=info.internal_attr if info else 0,
                    comment=info.comment if info else b"")
        if name in self._dirty:
            src = self._serialize(self._trees[name])
        elif name in self._new:
            src = self._new[name]
        else:
            src = None
        if isinstance(src, DeflatedPart):
            zout.add(name, crc=src.crc, csize=src.csize, usize=src.usize, method=DEFLATED, flags=0,
                     write=src.write_compressed, **meta)
            return
        if src is None and not (info.flag_bits & 0x01) and info.compress_type in (STORED, DEFLATED):
            offset, size = self._raw_span(info)

            def copy(f, offset=offset, size=size):
                s = self._src
                s.seek(offset)
                left = size
                while left:
                    b = s.read(min(left, 1 << 20))
                    if not b:
                        raise BookUnreadable(f"{self.path.name}: {name} is cut short")
                    f.write(b)
                    left -= len(b)
            zout.add(name, crc=info.CRC, csize=info.compress_size, usize=info.file_size,
                     method=info.compress_type, flags=info.flag_bits & 0x0806, write=copy, **meta)
            return
        if src is None:                     # another compression method: inflate, deflate
            src = self._zip.read(name)
        c = deflate_bytes(src, LEVEL_SMALL if len(src) < BIG_PART else LEVEL_BIG) + DeflatedPart._END
        zout.add(name, crc=zlib.crc32(src), csize=len(c), usize=len(src), method=DEFLATED, flags=0,
                 write=lambda f: f.write(c), **meta)

    def _raw_span(self, info: zipfile.ZipInfo) -> tuple[int, int]:
        """(offset, length) of a member's compressed bytes in the source file."""
        s = self._src
        s.seek(info.header_offset)
        h = s.read(30)
        if len(h) != 30 or h[:4] != b"PK\x03\x04":
            raise BookUnreadable(f"{self.path.name}: bad zip header for {info.filename}")
        n, m = struct.unpack("<HH", h[26:30])
        return info.header_offset + 30 + n + m, info.compress_size


class _Collected(list):
    """A block's output, held to be compared with its input."""
    write = list.append

    def equals(self, body: bytes) -> bool:
        if len(self) == 1:
            return self[0] is body or self[0] == body
        return sum(map(len, self)) == len(body) and b"".join(self) == body


def _column_chunks(rows, ncols: int):
    """``rows`` (``Columns``, or an iterable of row sequences) as chunks of ``CHUNK_ROWS`` rows, one list per column."""
    if isinstance(rows, Columns):
        if len(rows.columns) > ncols:
            raise ValueError(f"{len(rows.columns)} columns of values but the sheet has {ncols} columns")
        for cols in rows.chunks(CHUNK_ROWS):
            yield cols + [[None] * len(cols[0])] * (ncols - len(cols))
        return
    it = iter(rows)
    while chunk := list(itertools.islice(it, CHUNK_ROWS)):
        n = len(chunk)
        cols = list(itertools.zip_longest(*chunk))
        if len(cols) > ncols:
            raise ValueError(f"a row has {len(cols)} values but the sheet has {ncols} columns")
        yield cols + [[None] * n] * (ncols - len(cols))


_OWNED_SUFFIX = re.compile(r"\s*\(arcollect\)$", re.I)


def _dimension_last_col(head: bytes) -> int:
    """The last column of a worksheet's <dimension> (its used range), 0 when it has none."""
    m = re.search(rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]+\d+:)?([A-Z]+)\d+"', head)
    return col_index(m.group(1).decode()) if m else 0


def _now():
    import time as _t
    return _t.localtime()[:6]
