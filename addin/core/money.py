"""Exact money: Decimal per document, integer minor units for bulk columns.

Every rounding names its mode. Values that arrive as floats (Excel) are
converted through ``repr`` so 0.1 stays 0.1 rather than 0.1000000000000000055.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# ISO 4217 exponents that are not 2; everything else has two minor digits.
_EXPONENTS = {
    "BHD": 3, "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "IQD": 3, "ISK": 0,
    "JOD": 3, "JPY": 0, "KMF": 0, "KRW": 0, "KWD": 3, "LYD": 3, "OMR": 3,
    "PYG": 0, "RWF": 0, "TND": 3, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
    "XAF": 0, "XOF": 0, "XPF": 0,
}

ROUNDING = ROUND_HALF_UP  # commercial rounding, the default for invoices and letters


def minor_digits(currency: str) -> int:
    """Number of minor-unit digits of an ISO currency (2 unless listed)."""
    return _EXPONENTS.get((currency or "").upper(), 2)


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_digits(currency))


def to_decimal(value) -> Decimal:
    """Decimal from int, str, Decimal or float (via repr, never the binary value)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"{value!r} is not an amount") from exc


def quantize(value, currency: str = "", rounding: str = ROUNDING) -> Decimal:
    """Round to the currency's minor unit with the named rounding mode."""
    return to_decimal(value).quantize(quantum(currency), rounding=rounding)


def to_minor(value, currency: str = "", rounding: str = ROUNDING) -> int:
    """Integer minor units (cents) of an amount, rounded with the named mode."""
    return int(quantize(value, currency, rounding).scaleb(minor_digits(currency)))


def from_minor(minor: int, currency: str = "") -> Decimal:
    """Decimal amount of an integer count of minor units, at the currency's scale."""
    digits = minor_digits(currency)
    return Decimal(int(minor)).scaleb(-digits).quantize(quantum(currency))


def format_plain(minor: int, currency: str = "") -> str:
    """Decimal string of minor units, as used in JSON output ("1234.50")."""
    return str(from_minor(minor, currency))


def format_amount(minor: int, currency: str) -> str:
    """An amount as a reason or a message states it, grouped and with its currency ("8,720.17 GBP")."""
    return f"{from_minor(minor, currency):,} {currency}"
