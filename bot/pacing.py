"""Pacing: proactive sends keep to Telegram's broadcast limits, replies go out at once.

Telegram's ~30 messages a second is a limit on messaging many users who did not just write. Replies
to a user's own message are not held to it, and holding them to it made 200 players in a rush wait
eight seconds each behind one global queue. So only requests marked `PROACTIVE` (draw results, winner
notices, announcements: the outbox) are paced, by Telegram's three broadcast limits: the overall
rate (`MESSAGES_PER_SECOND`), at most one message a second in any one chat (a player with several
notices at once, say from two events drawn together, gets them a second apart), and at most 20 a
minute in any one group (python-telegram-bot's AIORateLimiter, given its limits explicitly here).

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
from contextvars import ContextVar
from typing import Any

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, BaseRateLimiter

# The `rate_limit_args` that marks a request as proactive: `bot.send_message(..., rate_limit_args=PROACTIVE)`.
PROACTIVE = 1
# The longest 429 wait a reply sits out before its one retry.
REPLY_RETRY_LIMIT = dt.timedelta(seconds=5)
# Telegram's limits for messages a bot sends on its own: one a second in a chat, 20 a minute in a group.
CHAT_INTERVAL = dt.timedelta(seconds=1)
GROUP_MAX_RATE = 20
GROUP_TIME_PERIOD = dt.timedelta(minutes=1)
# Chats whose next turn is remembered before the ones already due are forgotten.
MAX_REMEMBERED_CHATS = 10_000

Callback = Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]]
# Set by a sender (the outbox) in its own task: the limiter sets the event when the request leaves
# every wait and goes to Telegram. Until then, cancelling the send cannot make Telegram deliver it.
ON_THE_WIRE: ContextVar[asyncio.Event | None] = ContextVar("on_the_wire", default=None)


class ReplyFirstLimiter(BaseRateLimiter[int]):
    """Paces what the bot sends on its own initiative; lets replies through unpaced."""

    def __init__(
        self,
        *,
        broadcast_per_second: float,
        reply_retry_limit: dt.timedelta = REPLY_RETRY_LIMIT,
        chat_interval: dt.timedelta = CHAT_INTERVAL,
        group_max_rate: int = GROUP_MAX_RATE,
        group_time_period: dt.timedelta = GROUP_TIME_PERIOD,
    ):
        # One message per 1/R seconds rather than R per second: a bucket of R lets about 2R through in
        # the first second after a quiet spell, and Telegram answers that with 429s.
        self._broadcast = AIORateLimiter(
            overall_max_rate=1,
            overall_time_period=1 / broadcast_per_second,
            group_max_rate=group_max_rate,
            group_time_period=group_time_period.total_seconds(),
            max_retries=0,
        )
        self.chat_interval = chat_interval
        self.group_max_rate = group_max_rate
        self.group_time_period = group_time_period
        # When each chat may next receive a proactive message (event-loop time).
        self._chat_turns: dict[object, float] = {}
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
            chat_id = data.get("chat_id")

            async def in_its_turn(*args: Any, **kwargs: Any) -> bool | JSONDict | list[JSONDict]:
                # The chat's turn is awaited last, right before the request: a wait for the overall or
                # group limit that came after it could otherwise bring two sends within the second.
                await self._wait_for_chat_turn(chat_id)
                on_the_wire = ON_THE_WIRE.get()
                if on_the_wire is not None:
                    on_the_wire.set()
                return await callback(*args, **kwargs)

            return await self._broadcast.process_request(in_its_turn, args, kwargs, endpoint, data, None)
        try:
            return await callback(*args, **kwargs)
        except RetryAfter as flood:
            wait = _as_timedelta(flood.retry_after)
            if wait > self._reply_retry_limit:
                raise
            await asyncio.sleep(wait.total_seconds())
            return await callback(*args, **kwargs)

    async def _wait_for_chat_turn(self, chat_id: object) -> None:
        """Wait until `chat_interval` after the last proactive message to this chat.

        The turn is taken before sleeping, so concurrent sends to one chat line up a second apart; a
        send cancelled while waiting (its timeout, a stop) leaves a gap, never a burst.
        """
        if chat_id is None or not self.chat_interval:
            return
        now = asyncio.get_running_loop().time()
        if len(self._chat_turns) > MAX_REMEMBERED_CHATS:  # forget chats whose turn has long come
            self._chat_turns = {chat: at for chat, at in self._chat_turns.items() if at > now}
        turn = max(now, self._chat_turns.get(str(chat_id), now))
        self._chat_turns[str(chat_id)] = turn + self.chat_interval.total_seconds()
        if turn > now:
            await asyncio.sleep(turn - now)


def _as_timedelta(retry_after: int | dt.timedelta) -> dt.timedelta:
    return retry_after if isinstance(retry_after, dt.timedelta) else dt.timedelta(seconds=retry_after)
