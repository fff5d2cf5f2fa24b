"""Reference-rate tables for statutory late interest, read at the edge.

The tables ship as package data (``addin/refdata/boe_bank_rate.csv``,
``addin/refdata/ecb_mro_rate.csv``): ``effective_date,rate_percent`` rows, ``#``
comment lines naming the source of each row, and one ``# valid through:
YYYY-MM-DD`` line: the last day someone checked the rows against the central
bank. A rate decided after that day is not in the table, so a run that needs
a rate past it is warned (``unchecked_warning``). A user can pass their own
file in the same format. The core receives the rows as ``(effective_date,
annual_rate)`` pairs, the rate as a fraction (3.75 % -> Decimal("0.0375")).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path

TABLES = {"uk-1998": "boe_bank_rate.csv", "eu-2011-7": "ecb_mro_rate.csv"}
_VALID_THROUGH = re.compile(r"#\s*valid through\s*:\s*(\S*)", re.IGNORECASE)


@dataclass(frozen=True)
class RateTable:
    """A reference-rate history, oldest first, and how far it is known to be right."""

    rows: tuple[tuple[date, Decimal], ...]
    valid_through: date | None  # None: the file does not say
    source: str  # the file, as messages name it

    def unchecked(self, needed: date) -> str | None:
        """A warning when the rate in force on ``needed`` lies past what was checked (else None)."""
        if self.valid_through is not None and needed <= self.valid_through:
            return None
        checked = (f"is checked through {self.valid_through.isoformat()}" if self.valid_through
                   else "does not say how far it is checked (no '# valid through:' line)")
        return (f"the rate table {self.source} {checked}, but late interest needs the rate in force on "
                f"{needed.isoformat()}: a decision made in between may be missing from it. Check the rate, then "
                "update the table or give the rate as 'Late interest rate' in Settings")


def parse_rate_table(text: str, source: str = "rate table") -> RateTable:
    """Parse ``effective_date,rate_percent`` CSV text (``#`` lines are comments, one may say valid through)."""
    declared = [m.group(1) for m in (_VALID_THROUGH.match(ln.strip()) for ln in text.splitlines()) if m]
    if len(declared) > 1:
        raise ValueError(f"{source}: more than one '# valid through:' line")
    try:
        valid_through = date.fromisoformat(declared[0]) if declared else None
    except ValueError:
        raise ValueError(f"{source}: '# valid through: {declared[0]}' is not a date like 2026-06-30") from None
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
    if valid_through is not None and valid_through < rows[-1][0]:
        raise ValueError(f"{source}: valid through {valid_through.isoformat()} is before its last row "
                         f"({rows[-1][0].isoformat()})")
    return RateTable(tuple(rows), valid_through, source)


def load_rate_table(path: str | Path) -> RateTable:
    """A user-supplied table file."""
    p = Path(path)
    return parse_rate_table(p.read_text(encoding="utf-8-sig"), str(p))


@lru_cache(maxsize=None)
def packaged_table(filename: str) -> RateTable:
    text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    return parse_rate_table(text, f"{filename} (shipped with arcollect)")


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


def unchecked_warning(rule: str, as_of: date, path: str | Path | None = None) -> str | None:
    """The one warning a run to ``as_of`` gets when its rule may need a rate the table has not checked.

    The latest rate such a run can use is the one fixing interest that starts
    (uk-1998) or runs (eu-2011-7) on ``as_of``; earlier items need earlier rates.
    """
    from ..core.interest import reference_date

    table = reference_rates(rule, path)
    return table.unchecked(reference_date(rule, as_of)) if table else None
