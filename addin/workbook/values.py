"""Cell values → typed arrays, vectorised, with the cells that did not convert.

Columns arrive typed (typed.py): date cells as dates, numbers as float64,
text as text. Dates and amounts convert a whole column at once; only cells
of another kind, and text that is not plain, take the per-value path — once
per distinct value, so a million rows with a few hundred distinct text dates
parse a few hundred times. Text dates and amounts are read the book's way
(day/month order, decimal comma), and when that way is impossible for a
column while the other fits every value, the other way is used and said once.

The text-column functions (parse_dates, parse_amounts, text_column...) serve
the History and Customers adapters, which read sheets as text.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from ..core.parse import EXCEL_EPOCH, SERIAL_RANGE, Conventions, parse_amount, parse_date, parse_text_date
from .schema import fold

NAT = np.datetime64("NaT", "D")
MAX_AMOUNT = 1e15
_EPOCH_DAYS = (np.datetime64(EXCEL_EPOCH, "D") - np.datetime64("1970-01-01", "D")).astype("int64")
_PLAUSIBLE_SERIALS = (29221, 73051)  # 1980-01-01 .. 2099-12-31: a number column that is really dates
_DMY_TEXT = re.compile(r"\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\.?\s*")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def is_blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


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


def text_column(values) -> np.ndarray:
    """Object array of stripped strings ('' for blank) from a text column or a list of cells."""
    if isinstance(values, pd.Series):
        return values.fillna("").str.strip().to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    out[:] = [(cell_text(v) or "").strip() for v in values]
    return out


def map_unique(values, func) -> np.ndarray:
    """func applied once per distinct value (a column of a million has few distinct statuses)."""
    codes, uniques = pd.factorize(values if isinstance(values, pd.Series) else pd.Series(values, dtype=object),
                                  use_na_sentinel=False)
    mapped = np.empty(len(uniques), dtype=object)
    mapped[:] = [func(u) for u in uniques]
    return mapped[codes]


def map_text(values: pd.Series, func) -> pd.Series:
    """A text Series with func applied once per distinct value; None becomes NA."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return text_by_code([func(u) for u in uniques], codes)


def text_by_code(texts: list, codes: np.ndarray) -> pd.Series:
    """A text Series of texts[codes] built once per distinct text (None stays NA)."""
    return pd.Series(texts, dtype="str").take(codes).reset_index(drop=True)


def blank_series(s: pd.Series) -> np.ndarray:
    """True where a text cell is empty."""
    return (s.isna() | (s.str.strip() == "")).to_numpy(dtype=bool, copy=True)


def one_date(v, order: str = "DMY") -> date | None:
    """A single cell as a date (None when blank); ValueError when it is not a date."""
    if is_blank(v):
        return None
    if isinstance(v, str):
        return read_text_date(v, order)
    return parse_date(v)


# --- dates ------------------------------------------------------------------------------------

_MONTHS = {"jan": 1, "ene": 1, "gen": 1, "feb": 2, "fev": 2, "mar": 3, "mrz": 3, "mrt": 3, "apr": 4,
           "maa": 3, "abr": 4, "avr": 4, "may": 5, "mai": 5, "mei": 5, "mag": 5, "jun": 6, "juin": 6, "giu": 6,
           "jul": 7, "juil": 7, "lug": 7, "aug": 8, "ago": 8, "aou": 8, "sep": 9, "set": 9, "oct": 10,
           "okt": 10, "ott": 10, "nov": 11, "dec": 12, "dez": 12, "dic": 12}
_FILLER = ("de", "of", "the", "le", "du", "del", "den")
_TIME = re.compile(r"[\sT]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*([ap]\.?m\.?)?\s*$", re.I)


def _month(word: str) -> int | None:
    return _MONTHS.get(word[:4]) or _MONTHS.get(word[:3]) if len(word) >= 3 else None


def read_text_date(text: str, order: str = "DMY") -> date:
    """A date written as text: ISO, d/m/y or m/d/y (order), or with a month name in any of six
    languages ('Jan 28 2021', '28-Jan-21', '28. Januar 2021', '3 de abril de 2026')."""
    s = _TIME.sub("", str(text).strip())
    try:
        return parse_text_date(s, order)
    except ValueError:
        pass
    parts = re.findall(r"[a-z]+|\d+", fold(s))
    numbers = [p for p in parts if p.isdigit()]
    names = [p for p in parts if not p.isdigit() and p not in _FILLER]
    month = _month(names[0]) if len(names) == 1 else None
    if len(numbers) != 2 or month is None:
        raise ValueError(text)
    day, year = (numbers[1], numbers[0]) if len(numbers[0]) == 4 else (numbers[0], numbers[1])
    return date(int(year) + (2000 if len(year) <= 2 else 0), month, int(day))


def feasible_orders(texts) -> set[str]:
    """The day/month orders ("DMY", "MDY") under which every d/m/y text here is a real date."""
    ok = {"DMY", "MDY"}
    for t in texts:
        m = _DMY_TEXT.fullmatch(t)
        if not m:
            continue
        a, b = int(m[1]), int(m[2])
        if not (1 <= b <= 12 and 1 <= a <= 31):
            ok.discard("DMY")
        if not (1 <= a <= 12 and 1 <= b <= 31):
            ok.discard("MDY")
    return ok


def _serial_dates(nums: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(dates, bad mask) of Excel serial numbers; 0 is an empty date, as Excel shows it."""
    ok = (nums >= SERIAL_RANGE[0]) & (nums <= SERIAL_RANGE[1])
    days = np.where(ok, np.floor(np.nan_to_num(nums)), 0).astype("int64") + _EPOCH_DAYS
    out = np.where(ok, days.astype("datetime64[D]"), NAT)
    bad = ~ok & ~np.isnan(nums) & (nums != 0)
    return out, bad


def text_date_values(col) -> list[str]:
    """Distinct text values of a column that could be d/m/y dates (to decide the order)."""
    if col.kind == "text":
        distinct = col.values.dropna().unique()
    else:
        distinct = [v for v in col.other.values() if isinstance(v, str)]
    return [t for t in distinct if _DMY_TEXT.fullmatch(t)]


def column_dates(col, order: str) -> tuple[np.ndarray, dict[int, object]]:
    """(datetime64[D] array, {row: the cell's own value} of cells that are not dates)."""
    n = len(col)
    if col.kind == "date":
        out = col.values.copy()
    elif col.kind == "number":
        out, bad_mask = _serial_dates(col.values)
        bad = {int(i): float(col.values[i]) for i in np.flatnonzero(bad_mask)}
        return _others_as_dates(col, out, bad, order)
    elif col.kind == "text":
        out, bad = parse_dates(col.values, order)
        return _others_as_dates(col, out, bad, order)
    else:
        out = np.full(n, NAT)
    return _others_as_dates(col, out, {}, order)


def _others_as_dates(col, out, bad, order):
    for i, v in col.other.items():
        try:
            d = one_date(v, order) if not (isinstance(v, (int, float)) and v == 0) else None
            out[i] = NAT if d is None else np.datetime64(d, "D")
        except (ValueError, OverflowError, TypeError):
            bad[i] = v
    return out, bad


def parse_dates(s: pd.Series, order: str = "DMY") -> tuple[np.ndarray, dict[int, object]]:
    """(datetime64[D] array, NaT for blanks and bad cells; {index: text} of bad cells) of a text column.

    ISO text (which is how date cells are rendered: "2026-11-30 00:00:00")
    converts in bulk; the rest once per distinct value.
    """
    text = s.str.strip()
    filled = ~blank_series(s)
    fast = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    out = fast.to_numpy(dtype="datetime64[D]")
    bad: dict[int, object] = {}
    slow = np.flatnonzero(filled & np.isnat(out))
    if len(slow):
        parsed = map_unique(text.iloc[slow].to_numpy(dtype=object), lambda v: _date_or_none(v, order))
        for i, v in zip(slow, parsed):
            if v is None:
                bad[int(i)] = text.iat[i]
            elif v is not _EMPTY:
                out[i] = v
    return out, bad


_EMPTY = object()


def _date_or_none(v: str, order: str):
    try:
        number = float(v)
    except ValueError:
        number = None
    try:
        if number is not None:
            return _EMPTY if number == 0 else np.datetime64(parse_date(number), "D")
        return np.datetime64(read_text_date(v, order), "D")
    except (ValueError, OverflowError):
        return None


def plausible_serials(nums: np.ndarray) -> np.ndarray:
    """True where a number could be an Excel date of this era (a date column typed as numbers)."""
    return (nums >= _PLAUSIBLE_SERIALS[0]) & (nums <= _PLAUSIBLE_SERIALS[1])


# --- amounts ----------------------------------------------------------------------------------

def swapped(conv: Conventions) -> Conventions:
    """The other decimal convention: decimal comma for a decimal-point locale, and back."""
    comma = conv.decimal == "."
    return Conventions(locale=conv.locale, decimal="," if comma else ".", group="." if comma else ",",
                       date_order=conv.date_order)


def _well_formed(text: str, conv: Conventions) -> bool:
    """Separators where the convention puts them: digits only after the decimal, groups of three."""
    core = re.sub(r"[^\d.,' ]", "", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()
    whole, _, fraction = core.partition(conv.decimal)
    if fraction and not fraction.isdigit():
        return False
    g = conv.group
    return not (g.strip() and g in whole) or bool(re.fullmatch(rf"\d{{1,3}}(?:{re.escape(g)}\d{{3}})+", whole))


def reads_all(texts, conv: Conventions) -> bool:
    """True when every text is an amount written with these separators."""
    return all(_decimal_or_none(t, conv) is not None for t in texts)


def amount_texts(col) -> list[str]:
    """Distinct text values of a column that are not plain numbers (to decide the separators)."""
    if col.kind == "text":
        distinct = col.values.dropna().unique()
    else:
        distinct = [v.strip() for v in col.other.values() if isinstance(v, str)]
    return [t for t in distinct if t and not _PLAIN_NUMBER.fullmatch(t)]


def _minor(nums: np.ndarray, digits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(minor units, exact) of floats: exact where the float is the decimal it shows, to the minor unit.

    Only amounts below MAX_AMOUNT are scaled (NaN, inf and 1e308 are 0, not exact, for the caller to
    report): scaling those would overflow and cast garbage, with numpy warnings on the clerk's screen.
    """
    sane = np.abs(nums) < MAX_AMOUNT  # False for NaN
    scaled = np.where(sane, nums, 0.0) * np.power(10.0, digits)
    minor = np.rint(scaled)
    exact = sane & (np.abs(scaled - minor) < 1e-6)
    return minor.astype("int64"), exact


def _quantize(d: Decimal, digits: int) -> int:
    if not d.is_finite() or abs(d) >= MAX_AMOUNT:
        raise ValueError(d)
    return int(d.scaleb(digits).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def column_amounts(col, digits: np.ndarray, conv: Conventions
                   ) -> tuple[np.ndarray, np.ndarray, dict[int, object]]:
    """(int64 minor units, blank mask, {row: the cell's own value} of cells that are not amounts).

    Floats exact at the minor unit (the usual case) convert in bulk; any other
    goes through Decimal of its shortest repr, rounding ROUND_HALF_UP, so 2.675
    is 2.68 as shown in the cell.
    """
    n = len(col)
    bad: dict[int, object] = {}
    if col.kind == "number":
        nums = col.values
        minor, exact = _minor(nums, digits)
        blank = np.isnan(nums)
        for i in np.flatnonzero(~blank & ~exact):
            try:
                minor[i] = _quantize(Decimal(repr(float(nums[i]))), int(digits[i]))
            except (ValueError, ArithmeticError):
                bad[int(i)] = float(nums[i])
    elif col.kind == "text":
        minor, blank, bad = parse_amounts(col.values, digits, conv.decimal, conv.group)
    else:
        minor, blank = np.zeros(n, "int64"), ~col.filled()
        bad = {int(i): col.cell(int(i)) for i in np.flatnonzero(~blank)}
    for i, v in col.other.items():
        try:
            minor[i] = _quantize(parse_amount(v, conv), int(digits[i]))
            blank[i] = False
        except (ValueError, ArithmeticError, TypeError):
            bad[i] = v
    blank[list(bad)] = True
    minor[blank] = 0
    return minor, blank, bad


def parse_amounts(s: pd.Series, digits: np.ndarray, decimal_sep: str = ".",
                  group_sep: str = ",") -> tuple[np.ndarray, np.ndarray, dict[int, object]]:
    """(int64 minor units, blank mask, {index: text} of bad cells) of a text column; ROUND_HALF_UP.

    Plain numbers exact at the minor unit convert in bulk; any other cell is
    read once per distinct text by the book's amount parser ("1,234.50",
    "(120.00)", "£5", "1.234,56" in de_DE).
    """
    blank = blank_series(s)
    nums = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    minor, exact = _minor(nums, digits)
    bad: dict[int, object] = {}
    slow = np.flatnonzero(~blank & ~exact)
    if len(slow):
        conv = Conventions(decimal=decimal_sep, group=group_sep)
        text = s.iloc[slow].str.strip().to_numpy(dtype=object)
        parsed = map_unique(text, lambda v: _decimal_or_none(v, conv))
        for i, v, d in zip(slow, text, parsed):
            try:
                if d is None:
                    raise ValueError(v)
                minor[i] = _quantize(d, int(digits[i]))
            except (ValueError, ArithmeticError):
                bad[int(i)] = v
    minor[blank] = 0
    blank[list(bad)] = True
    return minor, blank, bad


def _decimal_or_none(text: str, conv: Conventions) -> Decimal | None:
    if _PLAIN_NUMBER.fullmatch(text):
        return Decimal(text)
    if not _well_formed(text, conv):
        return None
    try:
        return parse_amount(text, conv)
    except ValueError:
        return None


# --- text ---------------------------------------------------------------------------------------

def column_codes(col) -> tuple[np.ndarray, list[str]]:
    """(a code per row, the stripped text of each code): for columns of few distinct values, factorized
    before they are stripped."""
    raw = col.raw_text() if col.kind == "text" and not col.other else column_strings(col)
    codes, uniques = pd.factorize(raw, use_na_sentinel=False)
    return codes, ["" if pd.isna(u) else str(u).strip() for u in uniques]


def column_strings(col) -> pd.Series:
    """The column as a text Series ('' for blank), stripped: a text column stays in Arrow (no Python
    object per cell); other kinds render as column_text does."""
    if col.kind == "text" and not col.other:
        return col.values.fillna("")
    return pd.Series(column_text(col), dtype="str")


def column_text(col) -> np.ndarray:
    """Object array of stripped strings ('' for blank): numbers without '.0', dates as ISO."""
    n = len(col)
    if col.kind == "text":
        out = col.values.fillna("").to_numpy(dtype=object)
    elif col.kind == "number":
        nums = col.values
        whole = np.isfinite(nums) & (np.abs(nums) < 1e15) & (nums == np.floor(np.nan_to_num(nums)))
        out = np.full(n, "", dtype=object)
        if whole.any():
            out[whole] = nums[whole].astype("int64").astype(str).astype(object)
        rest = np.flatnonzero(~whole & ~np.isnan(nums))
        out[rest] = [repr(float(nums[i])) for i in rest]
    elif col.kind == "date":
        out = np.where(np.isnat(col.values), "", np.datetime_as_string(col.values, unit="D")).astype(object)
    elif col.kind == "bool":
        out = np.array([cell_text(v) or "" for v in col.values], dtype=object)
    else:
        out = np.full(n, "", dtype=object)
    for i, v in col.other.items():
        out[i] = (cell_text(v) or "").strip()
    return out
