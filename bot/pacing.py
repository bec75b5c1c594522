"""Pacing: proactive sends keep to Telegram's broadcast limits, replies go out at once.

Telegram's ~30 messages a second is a limit on messaging many users who did not just write. Replies
to a user's own message are not held to it, and holding them to it made 200 players in a rush wait
eight seconds each behind one global queue. So only requests marked `PROACTIVE` (draw results, winner
notices, announcements: the outbox) pass through the broadcast limiter, which keeps the overall rate
and python-telegram-bot's 20-per-minute-per-group limit.

Neither path sleeps through a long 429. For proactive sends the outbox owns the wait: the limiter
raises `RetryAfter` at once and the outbox reschedules the notice for `retry_after`, so one send can
never outlast its claim and a stop is never held up by it. A reply is retried once after a short
`retry_after`; a longer one gives up, because a reply that arrives a minute late answers nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

# The `rate_limit_args` that marks a request as proactive: `bot.send_message(..., rate_limit_args=PROACTIVE)`.
PROACTIVE = 1
# The longest 429 wait a reply sits out before its one retry.
REPLY_RETRY_LIMIT = dt.timedelta(seconds=5)

Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]


class ReplyFirstLimiter(BaseRateLimiter[int]):
    """Paces what the bot sends on its own initiative; lets replies through unpaced."""

    def __init__(self, *, broadcast_per_second: float, reply_retry_limit: dt.timedelta = REPLY_RETRY_LIMIT):
        # One message per 1/R seconds rather than R per second: a bucket of R lets about 2R through in
        # the first second after a quiet spell, and Telegram answers that with 429s.
        self._broadcast = AIORateLimiter(
            overall_max_rate=1, overall_time_period=1 / broadcast_per_second, max_retries=0
        )
        self._reply_retry_limit = reply_retry_limit
        # With no retries of its own, every 429 is an ERROR with a traceback in AIORateLimiter's log,
        # though nothing failed: the outbox logs the 429 and reschedules the notice.
        logging.getLogger("telegram.ext.AIORateLimiter").setLevel(logging.CRITICAL)

    async def initialize(self) -> None:
        await self._broadcast.initialize()

    async def shutdown(self) -> None:
        await self._broadcast.shutdown()

    async def process_request(
        self,
        callback: Callback,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if rate_limit_args == PROACTIVE:
            return await self._broadcast.process_request(callback, args, kwargs, endpoint, data, None)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as flood:
            wait = _as_timedelta(flood.retry_after)
            if wait > self._reply_retry_limit:
                raise
            await asyncio.sleep(wait.total_seconds())
            return await callback(*args, **kwargs)


def _as_timedelta(retry_after: int | dt.timedelta) -> dt.timedelta:
    return retry_after if isinstance(retry_after, dt.timedelta) else dt.timedelta(seconds=retry_after)
