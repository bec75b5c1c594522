"""When a local calendar day begins, computed from zoneinfo rather than from a cron trigger.

APScheduler's `CronTrigger` (what `run_daily` builds) skips one midnight a year in zones with daylight
saving. The lottery closes once per local day, so the scheduler asks this module for the first instant
of the next local date instead: that instant exists every day, even where the clock jumps over 00:00
(America/Havana on 2024-03-10 goes from 23:59:59 to 01:00) or shows it twice.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

_SECOND = dt.timedelta(seconds=1)


def next_local_midnight(after: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """The first instant of the local date following the one `after` falls on, in `zone`.

    Strictly later than `after`, so a job that re-arms from its own firing instant moves to the next day.
    """
    if after.tzinfo is None:
        raise ValueError("next_local_midnight needs an aware datetime")
    return start_of_local_day(after.astimezone(zone).date() + dt.timedelta(days=1), zone)


def start_of_local_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The earliest instant whose local date in `zone` is `day`, as an aware datetime in `zone`.

    A repeated midnight starts the day at its first occurrence (fold 0); a missing midnight starts it
    at the transition that skips over it, found by bisection between the two readings of 00:00.
    """
    readings = [dt.datetime.combine(day, dt.time(0), tzinfo=zone).replace(fold=fold) for fold in (0, 1)]
    instants = sorted(r.astimezone(dt.UTC) for r in readings)
    real = [u for u in instants if _local(u, zone) == dt.datetime.combine(day, dt.time(0))]
    if real:
        return real[0].astimezone(zone)
    # Midnight falls in a gap: the day begins at the transition, between the two readings.
    # tzdb transitions fall on whole seconds, so bisect on seconds.
    low, high = instants
    while high - low > _SECOND:
        middle = low + (high - low) // 2
        middle = middle.replace(microsecond=0)
        if _local(middle, zone).date() >= day:
            high = middle
        else:
            low = middle
    return high.astimezone(zone)


def _local(instant: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)
