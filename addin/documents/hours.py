"""The customer's local time and the hours they may be contacted in (08:00-21:00 under regF).

One reading of a time zone and one window for the call sheet (who may be called
now) and for ``send`` (which emails may go now), from a moment passed in -
never the clock.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

REGF_WINDOW = (time(8, 0), time(21, 0))


def local_time(zone: str, at: datetime) -> datetime | None:
    """``at`` in the IANA time ``zone``; None when the zone is blank, unknown or invalid."""
    if not zone or not zone.strip():
        return None
    try:
        return at.astimezone(ZoneInfo(zone.strip()))
    except (ZoneInfoNotFoundError, ValueError, KeyError):
        return None


def in_window(local: datetime, window=REGF_WINDOW) -> bool:
    start, end = window
    return start <= local.time() < end


def window_opens(local: datetime, window=REGF_WINDOW) -> datetime:
    """When the window next opens from ``local`` (a time outside it), in the same zone."""
    start = window[0]
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=local.tzinfo)


def regf_not_now(zone: str, at: datetime) -> str:
    """'' when ``at`` is 08:00-21:00 at the customer's local time; otherwise why not, in the clerk's words."""
    local = local_time(zone, at)
    if local is None:
        return f"time zone {zone!r} is unknown: the 08:00-21:00 local window cannot be confirmed (regF)"
    if not in_window(local):
        return f"local time {local:%H:%M} ({zone.strip()}) is outside 08:00-21:00 (regF)"
    return ""
