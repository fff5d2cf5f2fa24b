"""Cell values → typed columns, vectorised, with the cells that did not convert.

calamine hands over date cells as ``date``/``datetime``, numbers as ``float``
and ``int``, text as ``str`` and blanks as ``""``. The fast path converts a
whole column at once; only the cells that are text (or odd) take the slow,
per-cell path, so one "TBD" costs one cell, not the column.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
EXCEL_EPOCH = date(1899, 12, 30)
NAT = np.datetime64("NaT", "D")
_SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
_CURRENCY_CHARS = re.compile(r"[\s\u00a0\u202f'$€£¥₹]|[A-Z]{3}")


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def text_column(values: list) -> np.ndarray:
    """Object array of stripped strings; whole numbers shown without '.0' (invoice 1001)."""
    out = np.empty(len(values), dtype=object)
    if set(map(type, values)) <= {str}:  # the usual case: plain text, converted in bulk
        out[:] = list(map(str.strip, values))
    else:
        out[:] = [_text(v) for v in values]
    return out


def map_unique(values: np.ndarray, func) -> np.ndarray:
    """func applied once per distinct value (a column of a million has few distinct statuses)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(u) for u in uniques]
    return mapped[codes]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()[:10] if not isinstance(v, datetime) or not v.time() else v.isoformat()
    return str(v).strip()


def date_order(locale: str) -> str:
    """How a text date like 03/04/2026 is read: month first only in US-style locales."""
    return "MDY" if locale.replace("-", "_").lower() in ("en_us", "en_ph", "es_us") else "DMY"


def parse_text_date(text: str, order: str = "DMY") -> date:
    """ISO (2026-04-03, 2026-04-03T00:00), or d/m/y (m/d/y for US locales) with / . or -."""
    s = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+)?", s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})", s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        y = y + 2000 if y < 100 else y
        day, month = (b, a) if order == "MDY" else (a, b)
        return date(y, month, day)
    raise ValueError(s)


def one_date(v, order: str = "DMY") -> date | None:
    """A single cell as a date (None when blank); ValueError when it is not a date."""
    if is_blank(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if _SERIAL_RANGE[0] <= v <= _SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=int(v))
        raise ValueError(v)
    if isinstance(v, str):
        return parse_text_date(v, order)
    raise ValueError(v)


def blank_mask(values) -> np.ndarray:
    """True where a cell is empty (None or blank text), elementwise in C."""
    arr = values if isinstance(values, np.ndarray) else _objects(values)
    return pd.isna(arr) | (arr == "")


def _objects(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def parse_dates(values: list, order: str = "DMY") -> tuple[np.ndarray, dict[int, object]]:
    """(datetime64[D] array with NaT for blanks and bad cells, {index: raw value} of bad cells)."""
    n = len(values)
    obj = _objects(values)
    blank = blank_mask(obj)
    filled = np.flatnonzero(~blank)
    out = np.full(n, NAT)
    try:  # fast path: every filled cell a date or datetime
        ordinals = np.fromiter(map(date.toordinal, obj[filled]), np.int64, len(filled))
        out[filled] = (ordinals - EPOCH_ORDINAL).astype("datetime64[D]")
        return out, {}
    except TypeError:
        pass
    bad: dict[int, object] = {}
    for i in filled:
        v = obj[i]
        try:
            d = one_date(v, order)
        except (ValueError, OverflowError):
            bad[int(i)] = v
            continue
        if d is not None:
            out[i] = np.datetime64(d, "D")
    return out, bad


def parse_amount_text(text: str, decimal_sep: str = ".", group_sep: str = ",") -> Decimal:
    """'1,234.50', '£1 234,50' (de), '(120.00)', '120.00-', '-€5' → Decimal; ValueError otherwise."""
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    s = _CURRENCY_CHARS.sub("", s)
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    s = _CURRENCY_CHARS.sub("", s)
    if group_sep:
        s = s.replace(group_sep, "")
    if decimal_sep != ".":
        if "." in s:
            raise ValueError(text)
        s = s.replace(decimal_sep, ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", s):
        raise ValueError(text)
    try:
        d = Decimal(s)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return -d if negative else d


def parse_amounts(values: list, digits: np.ndarray, decimal_sep: str = ".",
                  group_sep: str = ",") -> tuple[np.ndarray, np.ndarray, dict[int, object]]:
    """(int64 minor units, blank mask, {index: raw} of bad cells); rounding ROUND_HALF_UP.

    Floats that are exact at the minor unit (the usual case) convert in bulk;
    any other value goes through Decimal(repr(x)) so 2.675 rounds to 2.68, as written.
    """
    n = len(values)
    obj = _objects(values)
    types = _objects(list(map(type, values)))
    is_num = (types == float) | (types == int)
    blank = blank_mask(obj)
    scale = np.power(10.0, digits)
    nums = np.zeros(n)
    nums[is_num] = obj[is_num].astype("float64")
    scaled = nums * scale
    minor = np.rint(scaled)
    exact = np.abs(scaled - minor) < 1e-6
    minor = minor.astype("int64")
    bad: dict[int, object] = {}
    for i in np.flatnonzero((is_num & ~exact) | (~is_num & ~blank)):
        v = values[i]
        try:
            d = Decimal(repr(v)) if type(v) in (float, int) else parse_amount_text(str(v), decimal_sep, group_sep)
            minor[i] = int(d.scaleb(int(digits[i])).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        except (ValueError, ArithmeticError):
            blank[i] = True
            bad[i] = v
    minor[blank] = 0
    return minor, blank, bad
