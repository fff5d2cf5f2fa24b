"""The customer's local hours: when a regF contact may be made, and when the window next opens."""
from datetime import UTC, datetime

from addin.documents.hours import local_time, regf_not_now, window_opens


def test_an_evening_waits_for_the_next_morning_and_a_night_for_this_one():
    evening = local_time("America/Los_Angeles", datetime(2026, 11, 1, 5, 30, tzinfo=UTC))   # 22:30 on 31 Oct
    assert regf_not_now("America/Los_Angeles", evening) == ("local time 22:30 (America/Los_Angeles) is outside "
                                                            "08:00-21:00 (regF)")
    opens = window_opens(evening)                       # 1 Nov 08:00, after the clocks went back: 16:00 UTC
    assert opens.astimezone(UTC) == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)
    night = local_time("Europe/Berlin", datetime(2026, 12, 1, 5, 0, tzinfo=UTC))            # 06:00
    assert window_opens(night).astimezone(UTC) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_the_window_itself_and_zones_that_cannot_be_known():
    assert regf_not_now(" America/Chicago ", datetime(2026, 12, 1, 14, 0, tzinfo=UTC)) == ""   # 08:00 there
    assert regf_not_now("America/Chicago", datetime(2026, 12, 2, 3, 0, tzinfo=UTC)) != ""      # 21:00 there
    for zone in ("", "Mars/Olympus_Mons", "../etc/passwd"):
        assert local_time(zone, datetime(2026, 12, 1, 14, 0, tzinfo=UTC)) is None
        assert "is unknown" in regf_not_now(zone, datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
