"""When draws happen: at midnight in the lottery's time zone, at startup, and on a periodic tick.

The JobQueue lives in memory, so a bot that was down at midnight has no job to run when it comes
back; the database says which events are due, and the same idempotent `close_due_events` runs from
all three places (and from every replica) without ever drawing an event twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from telegram.ext import ContextTypes, JobQueue

from core.midnights import next_local_midnight
from core.results import DrawResult
from core.service import LotteryService

log = logging.getLogger(__name__)

# PTB's JobQueue silently skips a job that starts more than 1 s late; a draw must never be skipped.
NEVER_SKIP = {"misfire_grace_time": None, "coalesce": True}


class DrawScheduler:
    def __init__(
        self, lottery: LotteryService, *, on_draws: Callable[[list[DrawResult]], None], tick_seconds: float
    ) -> None:
        self._lottery = lottery
        self._on_draws = on_draws
        self._tick_seconds = tick_seconds

    def install(self, job_queue: JobQueue[ContextTypes.DEFAULT_TYPE]) -> None:
        # The JobQueue fires on the system clock, so the next midnight is taken from it too.
        self.arm_midnight(job_queue, after=dt.datetime.now(dt.UTC))
        job_queue.run_repeating(
            self._job,
            interval=self._tick_seconds,
            first=self._tick_seconds,
            name="draw tick",
            job_kwargs=NEVER_SKIP,
        )

    async def close_due(self) -> list[DrawResult]:
        results = await self._lottery.closing.close_due_events()
        if results:
            log.info("drew %d event(s): %s", len(results), ", ".join(r.day.isoformat() for r in results))
            self._on_draws(results)
        return results

    def arm_midnight(self, job_queue: JobQueue[Any], *, after: dt.datetime) -> None:
        """One job at the first instant of the next local day; it re-arms itself when it runs.

        Not `run_daily`: its cron trigger skips one midnight a year in zones with daylight saving.
        """
        when = next_local_midnight(after, self._lottery.rules.timezone)
        job_queue.run_once(
            self._midnight_job, when=when, data=when, name="midnight draw", job_kwargs=NEVER_SKIP
        )

    async def _midnight_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Re-arm first, so a failing draw cannot leave tomorrow without a job; from the later of the
        # armed instant and now, so the same midnight is never armed twice.
        fired = context.job.data if context.job is not None else None
        now = dt.datetime.now(dt.UTC)
        after = max(fired, now) if isinstance(fired, dt.datetime) else now
        if context.job_queue is not None:
            self.arm_midnight(context.job_queue, after=after)
        await self.close_due()

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.close_due()
