"""Low-level SpreadsheetML helpers for the lossless writer: cell XML, dates, styles.

Everything here produces XML *text* for cells we own; nothing parses a whole
worksheet.  Strings are always written as inline strings, so a value such as
"=cmd|' /C calc'!A0" stays text and never becomes a formula.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

MAX_ROWS = 1_048_576
MAX_COLS = 16_384
MAX_TEXT = 32_767


# --------------------------------------------------------------------------- values

@dataclass(frozen=True)
class Formula:
    """An explicit formula, with or without the leading '='; written without a cached value."""
    text: str


@dataclass(frozen=True)
class Link:
    """An internal hyperlink: the cell shows ``text`` and jumps to ``target`` ("Sheet!A1")."""
    text: str
    target: str


@dataclass(frozen=True)
class Column:
    header: str
    width: float | None = None
    fmt: str = "general"


# --------------------------------------------------------------------------- addresses

_LETTERS = [""] * (MAX_COLS + 1)


def col_letter(n: int) -> str:
    """1 → A, 27 → AA (1-based)."""
    if 0 < n <= MAX_COLS and _LETTERS[n]:
        return _LETTERS[n]
    s, k = "", n
    while k:
        k, r = divmod(k - 1, 26)
        s = chr(65 + r) + s
    if 0 < n <= MAX_COLS:
        _LETTERS[n] = s
    return s


_COLIDX: dict = {}


def col_index(letters) -> int:
    """'A' → 1 (accepts str or bytes)."""
    v = _COLIDX.get(letters)
    if v is None:
        s = letters.decode() if isinstance(letters, bytes) else letters
        v = 0
        for ch in s.upper():
            v = v * 26 + ord(ch) - 64
        _COLIDX[letters] = v
    return v


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")


def split_ref(ref: str) -> tuple[int, int]:
    """'B7' → (col 2, row 7)."""
    m = _REF.match(ref.strip())
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return col_index(m.group(1)), int(m.group(2))


def split_range(ref: str) -> tuple[int, int, int, int]:
    """'A1:C9' → (c1, r1, c2, r2)."""
    a, _, b = ref.partition(":")
    c1, r1 = split_ref(a)
    c2, r2 = split_ref(b) if b else (c1, r1)
    return c1, r1, c2, r2


def range_ref(c1, r1, c2, r2) -> str:
    return f"{col_letter(c1)}{r1}:{col_letter(c2)}{r2}"


def quote_sheet(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) and not re.fullmatch(r"[A-Za-z]{1,3}\d+", name):
        return name
    return "'" + name.replace("'", "''") + "'"


def link_location(target: str) -> str:
    """'My Sheet!A1' or "'My Sheet'!A1" → "'My Sheet'!A1" (what <hyperlink location> wants)."""
    t = target.lstrip("#")
    sheet, bang, cell = t.rpartition("!")
    if not bang:
        return t
    if sheet.startswith("'") and sheet.endswith("'"):
        return t
    return quote_sheet(sheet) + "!" + cell


# --------------------------------------------------------------------------- text

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_XESC = re.compile(r"_(x[0-9A-Fa-f]{4}_)")


def clean_text(s: str) -> str:
    """Strip characters XML 1.0 cannot hold, protect literal _xHHHH_ and cap at Excel's 32,767."""
    if _ILLEGAL.search(s):
        s = _ILLEGAL.sub("", s)
    if "_x" in s:
        s = _XESC.sub(r"_x005F_\1", s)
    if len(s) > MAX_TEXT:
        s = s[:MAX_TEXT]
    return s


def esc(s: str) -> str:
    """Escape text content (and attribute values: quotes too)."""
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def text_xml(s: str) -> str:
    return esc(clean_text(s))


def attr(s: str) -> str:
    return esc(_ILLEGAL.sub("", s))


# --------------------------------------------------------------------------- dates

_EPOCH_1900 = date(1899, 12, 30)
_EPOCH_1904 = date(1904, 1, 1)
_LEAP_BUG = date(1900, 3, 1)


def date_serial(d: date, date1904: bool = False) -> int:
    if date1904:
        return (d - _EPOCH_1904).days
    n = (d - _EPOCH_1900).days
    if d < _LEAP_BUG:  # Excel's fictitious 1900-02-29: serials before March are one lower
        n -= 1
    return n


def datetime_serial(dt: datetime, date1904: bool = False) -> float:
    frac = (dt.hour * 3600 + dt.minute * 60 + dt.second + dt.microsecond / 1e6) / 86400.0
    return date_serial(dt.date(), date1904) + frac


def num_text(x: float) -> str:
    """repr of a float, with integral values shortened (3.0 → '3')."""
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


# --------------------------------------------------------------------------- cell encoding

class CellContext:
    """Per-write state: date system, style ids and collected hyperlinks."""

    def __init__(self, date1904: bool, date_style: int, datetime_style: int, time_style: int):
        self.date1904 = date1904
        self.date_s = f' s="{date_style}"'
        self.datetime_s = f' s="{datetime_style}"'
        self.time_s = f' s="{time_style}"'
        self.links: list[tuple[str, str, str]] = []   # (ref, location, display)
        self.formulas = 0


def _str_cell(ref, v, s):
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text_xml(v)}</t></is></c>'


def cell_xml(ref: str, v, s: str, ctx: CellContext, col_is_date: bool = False) -> str:
    """One <c> element ('' for no cell). ``s`` is the column style attribute (' s="5"' or '')."""
    if v is None:
        return ""
    t = type(v)
    if t is str:
        return _str_cell(ref, v, s)
    if t is bool:
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if t is int:
        return f'<c r="{ref}"{s}><v>{v}</v></c>'
    if t is float:
        if math.isfinite(v):
            return f'<c r="{ref}"{s}><v>{num_text(v)}</v></c>'
        return "" if v != v else f'<c r="{ref}"{s} t="e"><v>#NUM!</v></c>'
    if isinstance(v, Formula):
        ctx.formulas += 1
        f = v.text[1:] if v.text.startswith("=") else v.text
        return f'<c r="{ref}"{s}><f>{text_xml(f)}</f></c>'
    if isinstance(v, Link):
        ctx.links.append((ref, link_location(v.target), v.text))
        return _str_cell(ref, v.text, s)
    if isinstance(v, Decimal):
        if not v.is_finite():
            return "" if v.is_nan() else f'<c r="{ref}"{s} t="e"><v>#NUM!</v></c>'
        return f'<c r="{ref}"{s}><v>{format(v, "f")}</v></c>'
    if isinstance(v, datetime):
        if v != v:  # pandas NaT
            return ""
        if v.tzinfo is not None:
            v = v.replace(tzinfo=None)
        if v.hour or v.minute or v.second or v.microsecond:
            return f'<c r="{ref}"{s if col_is_date else ctx.datetime_s}><v>{num_text(datetime_serial(v, ctx.date1904))}</v></c>'
        return f'<c r="{ref}"{s if col_is_date else ctx.date_s}><v>{date_serial(v.date(), ctx.date1904)}</v></c>'
    if isinstance(v, date):
        return f'<c r="{ref}"{s if col_is_date else ctx.date_s}><v>{date_serial(v, ctx.date1904)}</v></c>'
    if isinstance(v, time):
        x = (v.hour * 3600 + v.minute * 60 + v.second + v.microsecond / 1e6) / 86400.0
        return f'<c r="{ref}"{s if col_is_date else ctx.time_s}><v>{num_text(x)}</v></c>'
    if isinstance(v, timedelta):
        return f'<c r="{ref}"{s}><v>{num_text(v.total_seconds() / 86400.0)}</v></c>'
    if isinstance(v, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, int):
        return f'<c r="{ref}"{s}><v>{int(v)}</v></c>'
    if isinstance(v, float):
        return cell_xml(ref, float(v), s, ctx, col_is_date)
    # numpy / pandas scalars
    mod = t.__module__
    if mod.startswith("numpy"):
        kind = getattr(v, "dtype", None)
        kind = kind.kind if kind is not None else ""
        if kind == "b":
            return cell_xml(ref, bool(v), s, ctx, col_is_date)
        if kind in "iu":
            return cell_xml(ref, int(v), s, ctx, col_is_date)
        if kind == "f":
            return cell_xml(ref, float(v), s, ctx, col_is_date)
        if kind == "M":
            if v != v:
                return ""
            return cell_xml(ref, v.astype("datetime64[us]").item(), s, ctx, col_is_date)
        if kind == "m":
            if v != v:
                return ""
            return cell_xml(ref, v.astype("timedelta64[us]").item(), s, ctx, col_is_date)
        if kind in "US":
            return cell_xml(ref, str(v), s, ctx, col_is_date)
    if t.__name__ in ("NAType", "NaTType"):
        return ""
    return _str_cell(ref, str(v), s)


def encode_column(letter: str, rs: list[str], vals, s: str, ctx: CellContext, col_is_date: bool) -> list[str]:
    """Cells of one column for a chunk of rows (rs: row numbers as text). Fast paths for uniform columns."""
    types = set(map(type, vals))
    types.discard(type(None))
    if len(types) == 1:
        (t,) = types
        if t is str:
            joined = "\n".join([v for v in vals if v is not None])
            if ("&" in joined or "<" in joined or ">" in joined or '"' in joined or "_x" in joined
                    or _ILLEGAL.search(joined) or len(joined) > MAX_TEXT and max(map(len, (v for v in vals if v is not None))) > MAX_TEXT):
                pass  # slow path
            else:
                pre = f'<c r="{letter}'
                post = f'"{s} t="inlineStr"><is><t xml:space="preserve">'
                return ["" if v is None else f"{pre}{r}{post}{v}</t></is></c>" for r, v in zip(rs, vals)]
        elif t is int:
            pre = f'<c r="{letter}'
            post = f'"{s}><v>'
            return ["" if v is None else f"{pre}{r}{post}{v}</v></c>" for r, v in zip(rs, vals)]
        elif t is date and not ctx.date1904:
            pre = f'<c r="{letter}'
            post = f'"{s if col_is_date else ctx.date_s}><v>'
            base = _EPOCH_1900.toordinal()
            return ["" if v is None else f"{pre}{r}{post}{v.toordinal() - base - (v < _LEAP_BUG)}</v></c>"
                    for r, v in zip(rs, vals)]
        elif t is float:
            if all(map(math.isfinite, (v for v in vals if v is not None))):
                pre = f'<c r="{letter}'
                post = f'"{s}><v>'
                return ["" if v is None else f"{pre}{r}{post}{v!r}</v></c>" for r, v in zip(rs, vals)]
    return [cell_xml(letter + r, v, s, ctx, col_is_date) for r, v in zip(rs, vals)]


# --------------------------------------------------------------------------- chunk encoding (fast path)

# a string needs the slow path if it holds markup characters, characters XML cannot hold, a literal
# _xHHHH_ escape or the \x00 used to join a column; edge whitespace only needs xml:space="preserve"
_SPECIAL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_XML_WS = (" ", "\t", "\n", "\r")
_TEMPLATES: dict = {}
_DATE_SERIALS: dict = {}


def _column_kind(vals, ctx: CellContext) -> tuple[str, list] | None:
    """('t' | 'T' | 'v' | 'd', values ready for %s) for a uniform column without None, else None."""
    if not vals:
        return None
    types = set(map(type, vals))
    if len(types) != 1:
        return None
    t0 = types.pop()
    if t0 is str:
        joined = "\x00".join(vals)
        if joined.count("\x00") != len(vals) - 1:
            return None
        plain = joined.isascii() and joined.replace("\x00", "").isprintable()
        if (not plain or "_x" in joined) and _SPECIAL.search(joined):
            return None
        if len(joined) > MAX_TEXT and max(map(len, vals)) > MAX_TEXT:
            return None
        if "&" in joined or "<" in joined or ">" in joined:
            vals = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\x00")
        if plain:
            edge = joined[:1] == " " or joined[-1:] == " " or "\x00 " in joined or " \x00" in joined
        else:
            edge = joined[:1] in _XML_WS or joined[-1:] in _XML_WS or any(
                ("\x00" + w) in joined or (w + "\x00") in joined for w in _XML_WS)
        return ("T" if edge else "t"), vals
    if t0 is int:
        return "v", vals
    if t0 is float:
        if all(map(math.isfinite, vals)):
            return "v", vals
        return None
    if t0 is date:
        cache = _DATE_SERIALS.setdefault(ctx.date1904, {})
        try:
            return "d", [cache[v] for v in vals]
        except KeyError:
            pass
        if len(cache) > 200_000:
            cache.clear()
        for v in vals:
            if v not in cache:
                cache[v] = date_serial(v, ctx.date1904)
        return "d", [cache[v] for v in vals]
    return None


def _template(letters, S, kinds, ctx, col_is_date, row_wrap: bool) -> str:
    key = (tuple(letters), tuple(S), kinds, ctx.date_s, tuple(col_is_date), row_wrap)
    t = _TEMPLATES.get(key)
    if t is not None:
        return t
    parts = ['<row r="%s">'] if row_wrap else []
    for letter, s, kind, isd in zip(letters, S, kinds, col_is_date):
        if kind == "t":
            parts.append(f'<c r="{letter}%s"{s} t="inlineStr"><is><t>%s</t></is></c>')
        elif kind == "T":
            parts.append(f'<c r="{letter}%s"{s} t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>')
        elif kind == "v":
            parts.append(f'<c r="{letter}%s"{s}><v>%s</v></c>')
        elif kind == "d":
            parts.append(f'<c r="{letter}%s"{s if isd else ctx.date_s}><v>%s</v></c>')
        else:
            parts.append("%s")
    if row_wrap:
        parts.append("</row>")
    t = "".join(parts)
    if len(_TEMPLATES) > 256:
        _TEMPLATES.clear()
    _TEMPLATES[key] = t
    return t


def encode_rows(letters: list[str], rs: list[str], cols: list, S: list[str], ctx: CellContext,
                col_is_date: list[bool], row_wrap: bool) -> list[str]:
    """XML of a chunk of rows, one string per row (``<row>`` elements if ``row_wrap``, else just the cells).

    ``cols`` holds one list of values per column (same length as ``rs``, None for no cell).  Uniform
    columns (all text, all int, all finite float, all dates) are formatted through one %-template per
    row; anything else goes through cell_xml one value at a time.
    """
    kinds, args = [], [rs] if row_wrap else []
    for k, vals in enumerate(cols):
        got = _column_kind(vals, ctx)
        if got is None:
            kinds.append("c")
            args.append([cell_xml(letters[k] + r, v, S[k], ctx, col_is_date[k]) for r, v in zip(rs, vals)])
        else:
            kinds.append(got[0])
            args.append(rs)
            args.append(got[1])
    tmpl = _template(letters, S, tuple(kinds), ctx, col_is_date, row_wrap)
    if not args:
        return [""] * len(rs)
    return [tmpl % t for t in zip(*args)]
