"""The book's locale as parsing conventions (separators, day/month order), looked up in babel's CLDR data.

This is the edge where a locale name from Settings becomes the plain
``Conventions`` record the pure parsers take; an unknown locale ("0", "xx")
is a ValueError the caller reports at the Locale cell.
"""
from __future__ import annotations

from functools import lru_cache

import babel
import babel.dates
import babel.numbers

from ..core.model import Problem, quote
from ..core.parse import DEFAULT, Conventions
from ..core.settings import LOCALE_KEY, Settings, norm_key, parse_settings


@lru_cache(maxsize=64)
def conventions_for(locale: str) -> Conventions:
    """Conventions of a locale like 'de_DE' or 'en-US'; ValueError when babel does not know it."""
    name = str(locale or "").strip().replace("-", "_")
    try:
        loc = babel.Locale.parse(name)
    except (ValueError, TypeError, babel.UnknownLocaleError) as exc:
        raise ValueError(locale) from exc
    pattern = babel.dates.get_date_format("short", locale=loc).pattern.lower()
    # year-first patterns (sv_SE "y-MM-dd") are ISO-like: their d/m text, when typed, is day first
    order = "MDY" if not pattern.startswith("y") and pattern.find("m") < pattern.find("d") else "DMY"
    group = babel.numbers.get_group_symbol(loc)
    return Conventions(locale=str(loc), decimal=babel.numbers.get_decimal_symbol(loc),
                       group=" " if group in ("\u00a0", "\u202f") else group, date_order=order)


def conventions_or_default(locale) -> tuple[Conventions, bool]:
    """(conventions, True) for a known locale; (the default en_GB ones, False) otherwise."""
    if locale is None or (isinstance(locale, str) and not locale.strip()):
        return DEFAULT, True
    try:
        return conventions_for(str(locale)), True
    except ValueError:
        return DEFAULT, False


def read_settings(raw: dict[str, tuple[object, str]]) -> tuple[Settings, list[Problem]]:
    """Settings from the sheet's {key: (value, cell)}: the Locale first, then every value read its way."""
    problems: list[Problem] = []
    conventions = DEFAULT
    for key, (value, cell) in raw.items():
        if norm_key(key) == LOCALE_KEY:
            conventions, known = conventions_or_default(value)
            if not known:
                problems.append(Problem(cell, f"Locale {quote(value)} is not a locale like en_GB, en_US or "
                                              f"de_DE; en_GB is used"))
    settings, bad = parse_settings(raw, conventions)
    return settings, problems + bad
