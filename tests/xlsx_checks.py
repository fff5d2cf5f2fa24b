"""Invariants Excel relies on that no available validator checks (FACTS.md, "Checking a written .xlsx").

``check_package(path)`` asserts, for every part of an .xlsx/.xlsm:
- every XML part is well-formed;
- every part has a content type (Default by extension or Override) and every Override names a part;
- every internal relationship target exists;
- in every worksheet: rows ascending, cells ascending within a row and on that row, no duplicate refs,
  shared-string indexes in range, style indexes in range;
- every table: ref well-formed, tableColumns count = columns in ref = number of tableColumn,
  column names unique (case-insensitively), header cells equal the column names, autoFilter inside ref;
  table ids and names unique across the book.
Worksheets are scanned with iterparse, so large books stay cheap in memory.
"""
from __future__ import annotations

import posixpath
import re
import zipfile

from lxml import etree

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PR = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _split(ref: str):
    m = _REF.match(ref)
    assert m, f"bad cell reference {ref!r}"
    return _col(m.group(1)), int(m.group(2))


def _range(ref: str):
    a, _, b = ref.partition(":")
    c1, r1 = _split(a)
    c2, r2 = _split(b) if b else (c1, r1)
    assert c1 <= c2 and r1 <= r2, f"inverted range {ref}"
    return c1, r1, c2, r2


def _rels_of(part: str) -> str:
    d, b = posixpath.split(part)
    return posixpath.join(d, "_rels", b + ".rels")


def _target(part: str, t: str) -> str:
    if t.startswith("/"):
        return t[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), t))


def _rels(z, part):
    rp = "_rels/.rels" if part == "" else _rels_of(part)
    if rp not in z.namelist():
        return []
    root = etree.fromstring(z.read(rp))
    out = []
    for r in root.findall(f"{{{NS_PR}}}Relationship"):
        if r.get("TargetMode") == "External":
            continue
        t = r.get("Target")
        out.append((r.get("Id"), r.get("Type"), t.lstrip("/") if part == "" else _target(part, t)))
    return out


def _cell_text(c, sst):
    t = c.get("t", "n")
    if t == "s":
        return sst[int(c.find(f"{{{NS}}}v").text)]
    if t == "inlineStr":
        return "".join(x.text or "" for x in c.iter(f"{{{NS}}}t"))
    v = c.find(f"{{{NS}}}v")
    return None if v is None else v.text


def check_package(path) -> dict:
    """Assert the invariants; returns a small summary {sheet name: (rows, cells)} for tests to use."""
    z = zipfile.ZipFile(path)
    names = z.namelist()
    assert len(names) == len(set(names)), "duplicate zip members"
    nameset = set(names)
    assert "[Content_Types].xml" in nameset
    ct = etree.fromstring(z.read("[Content_Types].xml"))
    defaults = {d.get("Extension").lower() for d in ct.findall(f"{{{NS_CT}}}Default")}
    overrides = {o.get("PartName").lstrip("/").lower(): o.get("ContentType") for o in ct.findall(f"{{{NS_CT}}}Override")}
    lower = {n.lower() for n in names}
    for o in overrides:
        assert o in lower, f"content-type override for missing part /{o}"
    for n in names:
        if n.endswith("/"):
            continue
        ext = n.rsplit(".", 1)[-1].lower()
        assert n.lower() in overrides or ext in defaults, f"{n} has no content type"
        if ext in ("xml", "rels", "vml"):
            try:
                etree.fromstring(z.read(n))
            except etree.XMLSyntaxError as e:
                raise AssertionError(f"{n} is not well-formed XML: {e}") from None
    for n in names:
        if n.endswith(".rels"):
            d, b = posixpath.split(n)
            src = "" if n == "_rels/.rels" else posixpath.join(posixpath.dirname(d), b[:-5])
            ids = set()
            for rid, typ, t in _rels(z, src):
                assert rid not in ids, f"{n}: duplicate relationship id {rid}"
                ids.add(rid)
                assert t in nameset, f"{n}: relationship {rid} points to missing part {t}"

    wb = next(t for _, typ, t in _rels(z, "") if typ.endswith("/officeDocument"))
    wbrels = {rid: (typ, t) for rid, typ, t in _rels(z, wb)}
    wbx = etree.fromstring(z.read(wb))
    sst_part = next((t for typ, t in wbrels.values() if typ.endswith("/sharedStrings")), None)
    sst = []
    if sst_part:
        for si in etree.fromstring(z.read(sst_part)).findall(f"{{{NS}}}si"):
            sst.append("".join(t.text or "" for t in si.iter(f"{{{NS}}}t") if t.getparent().tag != f"{{{NS}}}rPh"))
    styles_part = next((t for typ, t in wbrels.values() if typ.endswith("/styles")), None)
    n_xf = 10 ** 9
    if styles_part:
        st = etree.fromstring(z.read(styles_part))
        for sec in ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs"):
            el = st.find(f"{{{NS}}}{sec}")
            if el is not None and el.get("count") is not None:
                assert int(el.get("count")) == len(el), f"styles {sec} count {el.get('count')} != {len(el)}"
        cx = st.find(f"{{{NS}}}cellXfs")
        n_xf = len(cx) if cx is not None else 0
        nf_ids = [int(nf.get("numFmtId")) for nf in st.iter(f"{{{NS}}}numFmt")]
        assert len(nf_ids) == len(set(nf_ids)), "duplicate numFmtId"

    summary = {}
    sheet_ids, sheet_names = set(), set()
    table_ids, table_names = set(), set()
    for sh in wbx.find(f"{{{NS}}}sheets"):
        name = sh.get("name")
        assert name.lower() not in sheet_names, f"duplicate sheet name {name}"
        sheet_names.add(name.lower())
        assert sh.get("sheetId") not in sheet_ids, "duplicate sheetId"
        sheet_ids.add(sh.get("sheetId"))
        typ, part = wbrels[sh.get(f"{{{NS_R}}}id")]
        assert part in nameset
        if not typ.endswith("/worksheet"):
            continue
        assert overrides.get(part.lower()) == "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml", \
            f"{part} lacks the worksheet content type"
        srels = _rels(z, part)
        tables = [t for _, typ, t in srels if typ.endswith("/table")]
        want_rows = set()
        for tp in tables:
            want_rows.add(_range(etree.fromstring(z.read(tp)).get("ref"))[1])
        header_cells = {}
        prev_row, n_rows, n_cells = 0, 0, 0
        with z.open(part) as f:
            for ev, row in etree.iterparse(f, tag=f"{{{NS}}}row"):
                r = int(row.get("r")) if row.get("r") else prev_row + 1
                assert r > prev_row, f"{name}: row {r} after row {prev_row}"
                prev_row = r
                n_rows += 1
                prev_col = 0
                for c in row.findall(f"{{{NS}}}c"):
                    ref = c.get("r")
                    if ref:
                        col, cr = _split(ref)
                        assert cr == r, f"{name}!{ref} inside row {r}"
                    else:
                        col = prev_col + 1
                    assert col > prev_col, f"{name}!{ref}: cells out of order or duplicated in row {r}"
                    prev_col = col
                    n_cells += 1
                    if c.get("t") == "s":
                        i = int(c.find(f"{{{NS}}}v").text)
                        assert 0 <= i < len(sst), f"{name}!{ref}: shared string {i} out of range"
                    if c.get("s") is not None:
                        assert int(c.get("s")) < n_xf, f"{name}!{ref}: style {c.get('s')} out of range"
                    if r in want_rows:
                        header_cells[(r, col)] = etree.fromstring(etree.tostring(c))
                row.clear(keep_tail=True)
                while row.getprevious() is not None:
                    del row.getparent()[0]
        summary[name] = (n_rows, n_cells)
        for tp in tables:
            t = etree.fromstring(z.read(tp))
            tid, tname = t.get("id"), t.get("name").lower()
            assert tid not in table_ids, f"duplicate table id {tid}"
            assert tname not in table_names, f"duplicate table name {tname}"
            table_ids.add(tid)
            table_names.add(tname)
            assert t.get("displayName"), "table without displayName"
            c1, r1, c2, r2 = _range(t.get("ref"))
            tcs = t.find(f"{{{NS}}}tableColumns")
            cols = tcs.findall(f"{{{NS}}}tableColumn")
            assert int(tcs.get("count")) == len(cols) == c2 - c1 + 1, \
                f"table {tname}: count {tcs.get('count')}, {len(cols)} columns, ref {t.get('ref')}"
            seen = set()
            for i, tc in enumerate(cols):
                n = tc.get("name")
                assert n and n.lower() not in seen, f"table {tname}: column name {n!r} empty or duplicated"
                seen.add(n.lower())
                if t.get("headerRowCount", "1") != "0":
                    c = header_cells.get((r1, c1 + i))
                    assert c is not None, f"table {tname}: header cell {c1 + i},{r1} missing"
                    assert _cell_text(c, sst) == n, f"table {tname}: header {_cell_text(c, sst)!r} != column {n!r}"
            ids = [tc.get("id") for tc in cols]
            assert len(set(ids)) == len(ids), f"table {tname}: duplicate tableColumn ids"
            af = t.find(f"{{{NS}}}autoFilter")
            if af is not None:
                a1, b1, a2, b2 = _range(af.get("ref"))
                assert (a1, b1, a2) == (c1, r1, c2) and b2 <= r2, f"table {tname}: autoFilter {af.get('ref')} vs {t.get('ref')}"
        # the sheet's tableParts count agrees with its table relationships
        if tables:
            data = z.read(part)
            m = re.search(rb'<(?:\w+:)?tableParts\b([^>]*)>', data)
            count = re.search(rb'count="(\d+)"', m.group(1)) if m else None     # optional: LibreOffice omits it
            assert m and (count is None or int(count.group(1)) == len(tables)), f"{name}: tableParts count"
    return summary


def members(path) -> dict[str, bytes]:
    """Decompressed bytes of every member."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def assert_unchanged_except(before: dict[str, bytes], after_path, owned) -> None:
    """Every member of ``before`` not matched by ``owned`` (names or a predicate) is byte-identical after."""
    after = members(after_path)
    pred = owned if callable(owned) else (lambda n, s=set(owned): n in s)
    for n, b in before.items():
        if pred(n):
            continue
        assert n in after, f"{n} disappeared"
        assert after[n] == b, f"{n} changed"
