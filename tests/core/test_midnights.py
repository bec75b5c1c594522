"""The daily close fires at the first instant of every local day, daylight saving or not."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.midnights import next_local_midnight

DST_ZONES = ["America/New_York", "America/Havana", "Pacific/Chatham", "America/Santiago"]


def _day_starts_by_scanning(zone: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """An independent oracle: walk UTC in 15-minute steps (every offset here is a multiple of 15
    minutes) and note each instant where a new local date first appears."""
    starts = []
    latest = start.astimezone(zone).date()
    instant = start
    while instant <= end:
        day = instant.astimezone(zone).date()
        if day > latest:
            starts.append(instant)
            latest = day
        instant += dt.timedelta(minutes=15)
    return starts


@pytest.mark.parametrize("name", DST_ZONES)
def test_a_simulated_year_triggers_once_per_local_day_at_its_first_instant(name: str) -> None:
    zone = ZoneInfo(name)
    start = dt.datetime(2024, 1, 1, tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime(2025, 1, 1, 12, tzinfo=zone).astimezone(dt.UTC)
    triggers = []
    instant = start
    while (instant := next_local_midnight(instant, zone)) <= end:
        triggers.append(instant)

    days = [t.astimezone(zone).date() for t in triggers]
    expected_days = [dt.date(2024, 1, 2) + dt.timedelta(days=n) for n in range(366)]
    assert days == expected_days  # every local day once, none skipped, none twice
    for trigger in triggers:  # the instant before each trigger (in UTC, not wall time) is the day before
        just_before = trigger.astimezone(dt.UTC) - dt.timedelta(microseconds=1)
        assert just_before.astimezone(zone).date() == trigger.astimezone(zone).date() - dt.timedelta(days=1)
    assert [t.astimezone(dt.UTC) for t in triggers] == _day_starts_by_scanning(zone, start, end)


@pytest.mark.parametrize(
    ("name", "after", "expected_utc"),
    [
        # Havana 2024-03-10: 00:00 does not exist, the clock goes from 23:59:59 to 01:00 (UTC-4).
        ("America/Havana", dt.datetime(2024, 3, 9, 12), dt.datetime(2024, 3, 10, 5)),
        # Havana 2024-11-03: 00:00-00:59 happens twice; the day starts at the first one (UTC-4).
        ("America/Havana", dt.datetime(2024, 11, 2, 12), dt.datetime(2024, 11, 3, 4)),
        # Santiago 2024-09-08: 00:00 does not exist, the day starts at 01:00 (UTC-3).
        ("America/Santiago", dt.datetime(2024, 9, 7, 12), dt.datetime(2024, 9, 8, 4)),
        # Santiago 2024-04-07: 23:00-23:59 of the 6th repeats; midnight comes once, at UTC-4.
        ("America/Santiago", dt.datetime(2024, 4, 6, 12), dt.datetime(2024, 4, 7, 4)),
        # New York 2024-03-11 and Chatham 2024-09-30: the days APScheduler's CronTrigger skips.
        ("America/New_York", dt.datetime(2024, 3, 10, 12), dt.datetime(2024, 3, 11, 4)),
        ("Pacific/Chatham", dt.datetime(2024, 9, 29, 12), dt.datetime(2024, 9, 29, 10, 15)),
    ],
)
def test_days_whose_midnight_is_missing_or_repeated(
    name: str, after: dt.datetime, expected_utc: dt.datetime
) -> None:
    zone = ZoneInfo(name)
    nxt = next_local_midnight(after.replace(tzinfo=zone), zone)
    assert nxt.astimezone(dt.UTC) == expected_utc.replace(tzinfo=dt.UTC)


def test_the_next_midnight_is_strictly_later_even_from_a_midnight() -> None:
    zone = ZoneInfo("America/Havana")
    first = next_local_midnight(dt.datetime(2024, 3, 9, 12, tzinfo=zone), zone)
    assert next_local_midnight(first, zone).astimezone(zone).date() == dt.date(2024, 3, 11)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_local_midnight(dt.datetime(2024, 1, 1), ZoneInfo("UTC"))
