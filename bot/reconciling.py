"""The daily reconciliation job, and how admins hear about payments that need a person.

The job runs on a fixed interval from startup (not `run_daily`, whose cron trigger skips a day a
year under daylight saving); the database and Telegram's books say what is due, so a run too many
after a restart changes nothing. Admins get a report only when something changed or is unexplained.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot
from telegram.error import TelegramError
from telegram.ext import ContextTypes, JobQueue

from bot import payment_texts
from bot.replies import fit
from core.service import LotteryService

log = logging.getLogger(__name__)

# The first run comes soon after startup (a bot restarted daily still reconciles), then every interval.
FIRST_RUN_SECONDS = 300.0


class ReconciliationJob:
    def __init__(
        self, lottery: LotteryService, bot: Bot, admin_ids: Iterable[int], *, interval: float
    ) -> None:
        self._lottery = lottery
        self._bot = bot
        self._admins = tuple(admin_ids)
        self._interval = interval

    def install(self, job_queue: JobQueue[ContextTypes.DEFAULT_TYPE]) -> None:
        job_queue.run_repeating(
            self._job,
            interval=self._interval,
            first=min(FIRST_RUN_SECONDS, self._interval),
            name="reconciliation",
            job_kwargs={"misfire_grace_time": None, "coalesce": True},
        )

    async def _job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        report = await self._lottery.reconciliation.run()
        if report.changed or report.mismatches:
            await alert_admins(self._bot, self._admins, payment_texts.reconciliation_report(report))


async def alert_admins(bot: Bot, admin_ids: Iterable[int], text: str) -> None:
    """Tell every admin; one who never opened a chat with the bot is skipped, not fatal."""
    for admin in admin_ids:
        try:
            await bot.send_message(admin, fit(text))
        except TelegramError as failed:
            log.warning("could not alert admin %s: %s", admin, failed)
