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


def text_column(values) -> np.ndarray:
    """Object array of stripped strings ('' for blank) from a text column or a list of cells."""
    if isinstance(values, pd.Series):
        return values.fillna("").str.strip().to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    out[:] = [_text(v) for v in values]
    return out


def cell_text(v) -> str | None:
    """One cell as the bulk reader renders it: None when blank; whole numbers without '.0'."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat() + " 00:00:00"
    return str(v)


def _text(v) -> str:
    return (cell_text(v) or "").strip()


def map_unique(values: np.ndarray, func) -> np.ndarray:
    """func applied once per distinct value (a column of a million has few distinct statuses)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(u) for u in uniques]
    return mapped[codes]


def blank_series(s: pd.Series) -> np.ndarray:
    """True where a text cell is empty."""
    return (s.isna() | (s.str.strip() == "")).to_numpy(dtype=bool, copy=True)


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


def parse_dates(s: pd.Series, order: str = "DMY") -> tuple[np.ndarray, dict[int, object]]:
    """(datetime64[D] array, NaT for blanks and bad cells; {index: text} of bad cells).

    ISO text (which is how date cells are rendered: "2026-11-30 00:00:00")
    converts in bulk; the rest (d/m/y text, serial numbers) cell by cell.
    """
    text = s.str.strip()
    filled = ~blank_series(s)
    fast = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    out = fast.to_numpy(dtype="datetime64[D]")
    bad: dict[int, object] = {}
    for i in np.flatnonzero(filled & np.isnat(out)):
        v = text.iat[i]
        try:
            out[i] = np.datetime64(one_date(_number_or_text(v), order), "D")
        except (ValueError, OverflowError, TypeError):
            bad[int(i)] = v
    return out, bad


def _number_or_text(v: str):
    try:
        return float(v)
    except ValueError:
        return v


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


def parse_amounts(s: pd.Series, digits: np.ndarray, decimal_sep: str = ".",
                  group_sep: str = ",") -> tuple[np.ndarray, np.ndarray, dict[int, object]]:
    """(int64 minor units, blank mask, {index: text} of bad cells); rounding ROUND_HALF_UP.

    Plain numbers exact at the minor unit (the usual case) convert in bulk; any
    other cell goes through Decimal of its own text, so 2.675 rounds to 2.68 as
    written, and "1,234.50", "(120.00)" or "£5" are read per the locale.
    """
    blank = blank_series(s)
    nums = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    scaled = nums * np.power(10.0, digits)
    minor = np.rint(np.nan_to_num(scaled))
    exact = np.abs(scaled - minor) < 1e-6  # False for NaN
    minor = minor.astype("int64")
    bad: dict[int, object] = {}
    for i in np.flatnonzero(~blank & ~exact):
        v = s.iat[i].strip()
        try:
            d = Decimal(v) if not np.isnan(nums[i]) else parse_amount_text(v, decimal_sep, group_sep)
            minor[i] = int(d.scaleb(int(digits[i])).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        except (ValueError, ArithmeticError):
            bad[int(i)] = v
    minor[blank] = 0
    blank[list(bad)] = True
    return minor, blank, bad
