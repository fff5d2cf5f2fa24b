"""One parser per kind of value (amount, whole number, rate, flag, date), each taking the book's conventions.

Clerks type values into Settings, Policy, History, Plans and the command line
the way their locale writes them ("1.234,56", "30.11.2026", "8 %"). Every
front end and every sheet adapter parses through these functions, so a value
means the same thing wherever it is typed. Each returns the value or raises
``ValueError``; callers turn that into a ``Problem`` naming the cell.

Amounts and rates are checked to be finite and of a size a ledger can hold:
``1e308`` or ``nan`` in a cell is an input error, never an arithmetic crash.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug lies before serial 61)
SERIAL_RANGE = (1, 2958465)  # 1900-01-01 .. 9999-12-31
MAX_AMOUNT = Decimal("1e15")  # a quadrillion: larger is a typo or an attack, not a receivable
_CURRENCY_CHARS = re.compile(r"[£€$¥₹₩₽₺₪₫₱฿¤\s\u00a0\u202f']|(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])|"
                             r"(?:CHF|kr|zł|Kč|Fr\.?|R\$|US\$|A\$|C\$|NZ\$|HK\$|S\$)")
_TRUE = ("1", "true", "yes", "y", "on", "x", "✓", "ja", "oui", "sí", "si", "wahr")
_FALSE = ("0", "false", "no", "n", "off", "", "nein", "non", "falsch")


@dataclass(frozen=True)
class Conventions:
    """How a workbook writes numbers and dates: its locale's separators and day/month order."""

    locale: str = "en_GB"
    decimal: str = "."
    group: str = ","
    date_order: str = "DMY"  # "DMY" or "MDY" (US style) for text like 03/04/2026


DEFAULT = Conventions()


def _finite(d: Decimal, text) -> Decimal:
    if not d.is_finite() or abs(d) >= MAX_AMOUNT:
        raise ValueError(text)
    return d


def parse_decimal(value, conv: Conventions = DEFAULT) -> Decimal:
    """A number as written in the book: 1234.5 (a cell), '1,234.50', '1.234,56' (de), '(120.00)', '120.00-', '£5'."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, Decimal):
        return _finite(value, value)
    if isinstance(value, int):
        return _finite(Decimal(value), value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(value)
        return _finite(Decimal(repr(value)), value)
    text = str(value)
    s = text.strip()
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1]
    if s.endswith("-"):
        negative, s = True, s[:-1]
    s = _CURRENCY_CHARS.sub("", s)
    if s.startswith("-"):
        negative, s = not negative, s[1:]
    elif s.startswith("+"):
        s = s[1:]
    s = _CURRENCY_CHARS.sub("", s)
    if conv.group and conv.group.strip():
        s = s.replace(conv.group, "")
    if conv.decimal != ".":
        if "." in s and conv.group != ".":
            raise ValueError(text)
        s = s.replace(conv.decimal, ".")
    if not re.fullmatch(r"\d+(\.\d+)?|\.\d+", s):
        raise ValueError(text)
    try:
        d = Decimal(s)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    return _finite(-d if negative else d, text)


def parse_amount(value, conv: Conventions = DEFAULT) -> Decimal:
    """An amount of money (any sign); the caller quantizes it to its currency."""
    return parse_decimal(value, conv)


def parse_whole(value, conv: Conventions = DEFAULT, *, minimum: int | None = None,
                maximum: int | None = None) -> int:
    """A whole number (days, a level, a port): '14', 14.0; never 14.5."""
    d = parse_decimal(value.strip() if isinstance(value, str) else value, conv)
    if d != d.to_integral_value():
        raise ValueError(value)
    n = int(d)
    if (minimum is not None and n < minimum) or (maximum is not None and n > maximum):
        raise ValueError(value)
    return n


def parse_rate(value, conv: Conventions = DEFAULT) -> Decimal:
    """An annual rate as a fraction: 0.08, '8%', '8 %', '0,08' (de) → Decimal('0.08'); 0 to 100 %."""
    percent = isinstance(value, str) and value.strip().endswith("%")
    d = parse_decimal(value.strip().rstrip("%") if percent else value, conv)
    rate = d / 100 if percent else d
    if not Decimal(0) <= rate <= Decimal(1):
        raise ValueError(value)
    return rate


def parse_flag(value) -> bool:
    """yes/no, true/false, 1/0, x, ✓ (and ja/nein, oui/non, sí/no); blank is no."""
    if isinstance(value, bool):
        return value
    s = str(value if value is not None else "").strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError(value)


def parse_text_date(text: str, order: str = "DMY") -> date:
    """ISO (2026-04-03, 2026-04-03T10:00), or d/m/y (m/d/y when order is MDY) with / . or - between."""
    s = text.strip()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ][\d:.]+Z?)?", s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})\.?", s)
    if m:
        a, b, y = int(m[1]), int(m[2]), int(m[3])
        y = y + 2000 if y < 100 else y
        day, month = (b, a) if order == "MDY" else (a, b)
        return date(y, month, day)
    raise ValueError(s)


def serial_date(serial: float) -> date:
    """An Excel serial day number (1900 system) as a date."""
    if not SERIAL_RANGE[0] <= serial <= SERIAL_RANGE[1]:
        raise ValueError(serial)
    return EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value, conv: Conventions = DEFAULT) -> date:
    """A date cell, a datetime, an Excel serial, ISO text or the locale's d.m.y / m/d/y text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        if value != value:
            raise ValueError(value)
        return serial_date(value)
    return parse_text_date(str(value), conv.date_order)
