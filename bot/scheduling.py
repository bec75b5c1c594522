"""When draws happen: at midnight in the lottery's time zone, at startup, and on a periodic tick.

The JobQueue lives in memory, so a bot that was down at midnight has no job to run when it comes
back; the database says which events are due, and the same idempotent `close_due_events` runs from
all three places (and from every replica) without ever drawing an event twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from telegram.ext import ContextTypes, JobQueue

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
        midnight = dt.time(0, 0, tzinfo=self._lottery.rules.timezone)
        job_queue.run_daily(self._job, time=midnight, name="midnight draw", job_kwargs=NEVER_SKIP)
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

    async def _job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.close_due()
