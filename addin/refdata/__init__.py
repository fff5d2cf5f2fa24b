"""Reference-rate tables for statutory late interest, read at the edge.

The tables ship as package data (``addin/refdata/boe_bank_rate.csv``,
``addin/refdata/ecb_mro_rate.csv``): ``effective_date,rate_percent`` rows, ``#``
comment lines naming the source. A user can pass their own file with the same
columns. The core receives ``(effective_date, annual_rate)`` pairs, the rate as
a fraction (3.75 % -> Decimal("0.0375")).
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

TABLES = {"uk-1998": "boe_bank_rate.csv", "eu-2011-7": "ecb_mro_rate.csv"}

RateTable = tuple[tuple[date, Decimal], ...]


def parse_rate_table(text: str, source: str = "rate table") -> RateTable:
    """Parse ``effective_date,rate_percent`` CSV text (``#`` lines are comments)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    rows: list[tuple[date, Decimal]] = []
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    fields = [f.strip().lower() for f in (reader.fieldnames or [])]
    if fields[:2] != ["effective_date", "rate_percent"]:
        raise ValueError(f"{source}: the header must be effective_date,rate_percent, got {fields}")
    for lineno, rec in enumerate(reader, start=2):
        rec = {k.strip().lower(): (v or "").strip() for k, v in rec.items() if k}
        try:
            when = date.fromisoformat(rec["effective_date"])
            rate = Decimal(rec["rate_percent"]) / 100
        except (ValueError, InvalidOperation):
            raise ValueError(f"{source}: row {lineno}: {rec} is not a date and a percentage") from None
        rows.append((when, rate))
    if not rows:
        raise ValueError(f"{source}: no rates")
    rows.sort()
    return tuple(rows)


def load_rate_table(path: str | Path) -> RateTable:
    """A user-supplied table file."""
    p = Path(path)
    return parse_rate_table(p.read_text(encoding="utf-8-sig"), str(p))


@lru_cache(maxsize=None)
def packaged_table(filename: str) -> RateTable:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    return parse_rate_table(text, filename)


def boe_bank_rate(path: str | Path | None = None) -> RateTable:
    """Bank of England Bank Rate history (packaged, or the file at ``path``)."""
    return load_rate_table(path) if path else packaged_table(TABLES["uk-1998"])


def ecb_mro_rate(path: str | Path | None = None) -> RateTable:
    """ECB main refinancing operations rate history (packaged, or the file at ``path``)."""
    return load_rate_table(path) if path else packaged_table(TABLES["eu-2011-7"])


def reference_rates(rule: str, path: str | Path | None = None) -> RateTable | None:
    """The table a late-interest rule needs (None for the simple rule)."""
    from ..core.interest import rule_value

    rule = rule_value(rule)
    if rule == "uk-1998":
        return boe_bank_rate(path)
    if rule == "eu-2011-7":
        return ecb_mro_rate(path)
    return None
