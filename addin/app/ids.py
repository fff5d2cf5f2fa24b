"""Run ids: which as-of date a run worked for, and when it ran."""
from __future__ import annotations

from datetime import date, datetime, timezone


def run_id(now: datetime, as_of: date | None = None) -> str:
    """'run-20261130-101500Z': the as-of date the run worked for (default: the day it ran), then the UTC time."""
    return f"run-{(as_of or now.date()):%Y%m%d}-{now.astimezone(timezone.utc):%H%M%S}Z"
