"""The dunning ladder: the template's default and parsing of the Policy sheet."""
from __future__ import annotations

from decimal import Decimal

from .model import CHANNELS, Level, Problem, quote
from .parse import DEFAULT, Conventions, parse_amount, parse_flag, parse_whole

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


def parse_policy(rows: list[tuple[dict, dict]],
                 conventions: Conventions = DEFAULT) -> tuple[list[Level], list[Problem]]:
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
            level = parse_whole(values.get("level"), conventions, minimum=0, maximum=99)
            if level in seen:
                raise ValueError
            field = "days_from"
            days_from = parse_whole(values.get("days_from"), conventions, minimum=-3650, maximum=36500)
            field = "min_days"
            min_days = parse_whole(values.get("min_days") or 0, conventions, minimum=0, maximum=3650)
            field = "channel"
            channels = parse_channels(values.get("channel") or "email")
            field = "fee"
            fee = parse_amount(values.get("fee") or 0, conventions)
            if fee < 0:
                raise ValueError(fee)
        except (ValueError, TypeError, ArithmeticError):
            shown = values.get(field)
            expected = {"level": "a level number not used above", "days_from": "a whole number of days",
                        "min_days": "a whole number of days",
                        "channel": "email, letter, phone or sms (or a combination like 'email + letter')",
                        "fee": "an amount of 0 or more"}[field]
            problems.append(Problem(cells.get(field, ""), f"Policy {field.replace('_', ' ')} "
                                                          f"{quote(shown)} is not {expected}; row skipped"))
            continue
        seen.add(level)
        try:
            final = parse_flag(values.get("final"))
        except ValueError:
            problems.append(Problem(cells.get("final", ""), f"Policy final {quote(values.get('final'))} is not yes "
                                                            f"or no; 'no' is used"))
            final = False
        name = str(values.get("name") or f"Level {level}").strip()
        template = str(values.get("template") or "reminder").strip()
        ladder.append(Level(level, name, days_from, min_days, channels, template, fee, final,
                            cells.get("level", "")))
    ladder.sort(key=lambda lv: lv.level)
    if any(a.days_from > b.days_from for a, b in zip(ladder, ladder[1:])):
        problems.append(Problem(ladder[0].cell, "Policy levels must start at increasing days past "
                                                "due; check the 'Days Past Due From' column"))
    return (ladder or list(DEFAULT_LADDER)), problems
