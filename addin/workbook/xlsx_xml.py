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

import numpy as np


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


# --------------------------------------------------------------------------- chunk encoding (fast path)

class Columns:
    """Rows handed over column by column: equal-length lists, numpy arrays or pandas Series.

    ``write_sheet`` encodes such a chunk a column at a time, so a million rows never become a
    million row tuples that are taken apart again; numpy columns are typed (numbers, NaN and NaT
    for no cell), so they are formatted without looking at each value's type, and a Series becomes
    Python values one chunk at a time (a million strings are never all alive at once).
    """

    def __init__(self, columns: list):
        self.columns = list(columns)
        lengths = {len(c) for c in self.columns}
        if len(lengths) > 1:
            raise ValueError(f"Columns: columns of different lengths {sorted(lengths)}")
        self.n = lengths.pop() if lengths else 0

    def __len__(self) -> int:
        return self.n

    def chunks(self, size: int):
        for a in range(0, self.n, size):
            yield [c.iloc[a:a + size] if hasattr(c, "iloc") else c[a:a + size] for c in self.columns]


# a string needs the slow path if it holds markup characters, characters XML cannot hold, a literal
# _xHHHH_ escape or the \x00 used to join a column; edge whitespace only needs xml:space="preserve"
_SPECIAL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_x[0-9A-Fa-f]{4}_")
_XML_WS = (" ", "\t", "\n", "\r")
_DATE_SERIALS: dict = {}
_UNIX = date(1970, 1, 1)
_UNIX_SERIAL = {False: (_UNIX - _EPOCH_1900).days, True: (_UNIX - _EPOCH_1904).days}
_LEAP_BUG_DAY = (_LEAP_BUG - _UNIX).days


def _text_kind(vals: list) -> tuple[str, list] | None:
    """('t' | 'T', the strings escaped) for a column of plain strings, None when one needs cell_xml."""
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


def _list_kind(vals: list, types: set, ctx: CellContext) -> tuple[str, list] | None:
    """(kind, values as text) for a list of one type (str, int, finite float, date), else None."""
    if len(types) != 1:
        return None
    t0 = types.pop()
    if t0 is str:
        return _text_kind(vals)
    if t0 is int:
        return "v", list(map(str, vals))
    if t0 is float:
        if all(map(math.isfinite, vals)):
            return "v", list(map(repr, vals))
        return None
    if t0 is date:
        cache = _DATE_SERIALS.setdefault(ctx.date1904, {})
        if len(cache) > 200_000:
            cache.clear()
        for v in set(vals) - cache.keys():
            cache[v] = str(date_serial(v, ctx.date1904))
        return "d", [cache[v] for v in vals]
    return None


def _array_kind(a: np.ndarray, ctx: CellContext) -> tuple[str, list, list] | None:
    """(kind, values as text, rows without a cell) of a numeric or datetime64 array, else None.

    NaN and NaT are no cell; integral floats are written as integers (154, not 154.0), as cell_xml does.
    """
    k = a.dtype.kind
    if k in "iu":
        return "v", list(map(str, a.tolist())), []
    if k == "f":
        ok = np.isfinite(a)
        if not ok.all() and not np.isnan(a[~ok]).all():
            return None                       # ±inf: cell_xml writes #NUM!
        x = np.where(ok, a, 0.0)
        missing = np.flatnonzero(~ok).tolist()
        if (x == np.trunc(x)).all() and (np.abs(x) < 1e15).all():
            return "v", list(map(str, x.astype(np.int64).tolist())), missing
        return "v", list(map(repr, x.tolist())), missing
    if k == "M":
        d = a.astype("datetime64[D]")
        nat = np.isnat(d)
        if (d.astype(a.dtype) != a)[~nat].any():
            return None                       # a time of day: cell_xml writes the fraction and its style
        days = np.where(nat, 0, d.view(np.int64))
        serial = days + _UNIX_SERIAL[ctx.date1904]
        if not ctx.date1904:
            serial -= days < _LEAP_BUG_DAY
        return "d", list(map(str, serial.tolist())), np.flatnonzero(nat).tolist()
    return None


def _as_list(vals) -> list:
    if hasattr(vals, "iloc"):                  # a pandas Series: NaN, NaT and NA are no cell
        out = vals.tolist()
        for i in np.flatnonzero(vals.isna().to_numpy()).tolist():
            out[i] = None
        return out
    if isinstance(vals, np.ndarray):
        if vals.dtype.kind == "M":
            return vals.astype("datetime64[us]").astype(object).tolist()
        return vals.tolist()
    return vals if isinstance(vals, list) else list(vals)


def _column_kind(vals, ctx: CellContext) -> tuple[str, list, list] | None:
    """(kind 't' | 'T' | 'v' | 'd', values as text, rows without a cell), or None: cell_xml per value."""
    if hasattr(vals, "iloc") and isinstance(vals.dtype, np.dtype) and vals.dtype.kind in "iufM":
        vals = vals.to_numpy()
    if isinstance(vals, np.ndarray) and vals.dtype.kind in "iufM":
        return _array_kind(vals, ctx)
    if hasattr(vals, "factorize") and (got := _repeated_kind(vals, ctx)) is not None:
        return got
    vals = _as_list(vals)
    types = set(map(type, vals))
    if type(None) not in types:
        got = _list_kind(vals, types, ctx)
        return got and (got[0], got[1], [])
    types.discard(type(None))
    missing = [i for i, v in enumerate(vals) if v is None]
    if not types:
        return "v", [""] * len(vals), missing
    got = _list_kind([v for v in vals if v is not None], types, ctx)
    if got is None:
        return None
    it = iter(got[1])
    return got[0], ["" if v is None else next(it) for v in vals], missing


def _repeated_kind(vals, ctx: CellContext) -> tuple[str, list, list] | None:
    """A pandas column of few distinct values (currencies, buckets, customers), each made text once and
    repeated by its code; None for a column of mostly distinct values, or one that needs cell_xml."""
    codes, uniques = vals.factorize()
    if len(uniques) * 4 > len(vals):
        return None
    got = _column_kind(list(uniques), ctx)
    if got is None or got[2]:
        return None
    kind, text, _ = got
    return kind, np.array([*text, ""], dtype=object)[codes].tolist(), np.flatnonzero(codes < 0).tolist()


def _cell_parts(letter: str, s: str, kind: str, ctx: CellContext, is_date: bool) -> tuple[str, str, str]:
    """A cell's text around its row number and its value: (before the row, between, after the value)."""
    pre = f'<c r="{letter}'
    if kind == "t":
        return pre, f'"{s} t="inlineStr"><is><t>', "</t></is></c>"
    if kind == "T":
        return pre, f'"{s} t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
    return pre, f'"{s if kind == "v" or is_date else ctx.date_s}><v>', "</v></c>"


def encode_block(letters: list[str], rs: list[str], cols: list, S: list[str], ctx: CellContext,
                 col_is_date: list[bool], row_wrap: bool, sep: str = "") -> str:
    """XML of a chunk of rows, each followed by ``sep``: ``<row>`` elements if ``row_wrap``, else just the cells.

    ``cols`` holds one list or numpy array per column, as long as ``rs`` (the row numbers as text);
    None, NaN and NaT are no cell. A row is a fixed sequence of constant text, row numbers and
    values; the chunk is that sequence repeated, the row numbers and each column's values put into
    their slots by slice assignment, and joined once — no per-row formatting. Columns that are not
    of one simple type go through cell_xml, one value at a time.
    """
    n = len(rs)
    if not n:
        return ""
    seq: list = []            # constant text, or a list with one item per row

    def lit(text: str) -> None:
        if seq and isinstance(seq[-1], str):
            seq[-1] += text
        else:
            seq.append(text)

    if row_wrap:
        lit('<row r="')
        seq.append(rs)
        lit('">')
    for k, vals in enumerate(cols):
        got = _column_kind(vals, ctx)
        if got is None:
            seq.append([cell_xml(letters[k] + r, v, S[k], ctx, col_is_date[k]) for r, v in zip(rs, _as_list(vals))])
            continue
        kind, text, missing = got
        pre, mid, end = _cell_parts(letters[k], S[k], kind, ctx, col_is_date[k])
        if missing:
            cells = [f"{pre}{r}{mid}{v}{end}" for r, v in zip(rs, text)]
            for i in missing:
                cells[i] = ""
            seq.append(cells)
        else:
            lit(pre)
            seq.append(rs)
            lit(mid)
            seq.append(text)
            lit(end)
    lit(("</row>" if row_wrap else "") + sep)
    m = len(seq)
    out = [x if isinstance(x, str) else "" for x in seq] * n
    for j, x in enumerate(seq):
        if not isinstance(x, str):
            out[j::m] = x
    return "".join(out)
