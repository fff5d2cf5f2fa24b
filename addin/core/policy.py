"""The dunning ladder: the template's default and parsing of the Policy sheet."""
from __future__ import annotations

from decimal import Decimal

from .model import CHANNELS, Level, Problem
from .money import to_decimal

DEFAULT_LADDER = (
    Level(1, "Courtesy", -5, 0, ("email",), "courtesy"),
    Level(2, "Friendly reminder", 1, 0, ("email",), "reminder"),
    Level(3, "Second notice", 15, 10, ("email", "phone"), "second_notice"),
    Level(4, "Final demand", 30, 10, ("email", "letter"), "final_demand", Decimal("0")),
    Level(5, "Handover", 60, 14, ("letter",), "handover", Decimal("0"), True),
)

POLICY_COLUMNS = ("Level", "Name", "Days Past Due From", "Min Days Since Contact",
                  "Channel", "Template", "Fee", "Final")


def parse_channels(text) -> tuple[str, ...]:
    """'email + letter' / 'email, phone' → ('email', 'letter'); unknown names raise ValueError."""
    parts = [p.strip().lower() for p in str(text).replace("+", ",").replace("/", ",").replace(";", ",").split(",")]
    parts = [p for p in parts if p]
    bad = [p for p in parts if p not in CHANNELS]
    if bad or not parts:
        raise ValueError(", ".join(bad) or "empty")
    return tuple(dict.fromkeys(parts))


def _int(value) -> int:
    d = to_decimal(value.strip() if isinstance(value, str) else value)
    if d != d.to_integral_value():
        raise ValueError
    return int(d)


def parse_policy(rows: list[tuple[dict, dict]]) -> tuple[list[Level], list[Problem]]:
    """Levels from Policy rows, each given as ({field: value}, {field: cell}).

    Fields: level, name, days_from, min_days, channel, template, fee, final. A
    bad row is reported and left out; with no usable row the default ladder applies.
    """
    ladder: list[Level] = []
    problems: list[Problem] = []
    seen: set[int] = set()
    for values, cells in rows:
        try:
            field = "level"
            level = _int(values.get("level"))
            if level in seen:
                raise ValueError
            field = "days_from"
            days_from = _int(values.get("days_from"))
            field = "min_days"
            min_days = _int(values.get("min_days") or 0)
            field = "channel"
            channels = parse_channels(values.get("channel") or "email")
            field = "fee"
            fee = to_decimal(values.get("fee") or 0)
        except (ValueError, TypeError, ArithmeticError):
            shown = values.get(field)
            expected = {"level": "a level number not used above", "days_from": "a whole number of days",
                        "min_days": "a whole number of days",
                        "channel": "email, letter, phone or sms (or a combination like 'email + letter')",
                        "fee": "an amount"}[field]
            problems.append(Problem(cells.get(field, ""), f"Policy {field.replace('_', ' ')} "
                                                          f"{shown!r} is not {expected}; row skipped"))
            continue
        seen.add(level)
        final = str(values.get("final") or "").strip().lower() in ("1", "true", "yes", "y", "x")
        name = str(values.get("name") or f"Level {level}").strip()
        template = str(values.get("template") or "reminder").strip()
        ladder.append(Level(level, name, days_from, min_days, channels, template, fee, final,
                            cells.get("level", "")))
    ladder.sort(key=lambda lv: lv.level)
    if any(a.days_from > b.days_from for a, b in zip(ladder, ladder[1:])):
        problems.append(Problem(ladder[0].cell, "Policy levels must start at increasing days past "
                                                "due; check the 'Days Past Due From' column"))
    return (ladder or list(DEFAULT_LADDER)), problems
