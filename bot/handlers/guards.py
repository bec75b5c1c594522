"""Handlers that run before the others: business messages, flood control, edited messages, commands in groups.

Each one stops the update (ApplicationHandlerStop) when it has dealt with it, so the regular handlers
never see an edited `/buy 1` (which would buy again) or a private command typed in a group.
Telegram Business messages (customers writing to a business account the bot is connected to) are
not addressed to the lottery at all: they are dropped before they can cost anyone a throttle token.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot import replies
from bot.handlers.base import AnyHandler, Context, private_chat_link, reply

READ_ONLY_COMMANDS = ("winner", "events", "help")


class _Bucket:
    """A user's tokens; slots keep it at 64 bytes (a dataclass with a __dict__ took about 200)."""

    __slots__ = ("tokens", "updated", "warned")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated
        self.warned = False


class Throttle:
    """A token bucket per user: bursts are fine, a flood is slowed down with one polite warning.

    Buckets are kept in the order they were last used. A bucket idle long enough to have refilled
    is the same as no bucket, so every call drops the oldest ones that are: memory follows the users
    active in the last `burst / rate` seconds, not everyone ever seen, and no call rebuilds the table.
    """

    def __init__(
        self, *, rate: float = 2.0, burst: int = 10, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._refilled_after = burst / rate
        self._buckets: OrderedDict[int, _Bucket] = OrderedDict()

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): whether to serve this update, and whether to say "slow down" now."""
        now = self._clock()
        self._forget_idle(now)
        bucket = self._buckets.get(user_id)
        if bucket is None:
            bucket = self._buckets[user_id] = _Bucket(float(self._burst), now)
        else:
            self._buckets.move_to_end(user_id)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn

    @property
    def users(self) -> int:
        """How many users have a bucket now. (Not `__len__`: an empty throttle must stay truthy for
        `throttle or Throttle()`.)"""
        return len(self._buckets)

    def _forget_idle(self, now: float, most: int = 2) -> None:
        """Drop up to `most` of the least recently used buckets that have refilled: each call does a
        little, so the table never grows past the recently active users for long."""
        for _ in range(most):
            if not self._buckets:
                return
            user_id, oldest = next(iter(self._buckets.items()))
            if now - oldest.updated < self._refilled_after:
                return
            del self._buckets[user_id]


class Guards:
    def __init__(self, throttle: Throttle, *, commands: Iterable[str]) -> None:
        self._throttle = throttle
        self._commands = frozenset(commands)

    def by_group(self) -> dict[int, Sequence[AnyHandler]]:
        """The guards in handler groups of their own: within one group only the first match runs."""
        return {
            -2: [
                MessageHandler(filters.UpdateType.BUSINESS_MESSAGES, self.ignore),
                TypeHandler(Update, self.limit_rate),
            ],
            -1: [
                MessageHandler(filters.UpdateType.EDITED, self.ignore),
                MessageHandler(filters.ChatType.GROUPS, self.in_group),
            ],
        }

    async def limit_rate(self, update: Update, context: Context) -> None:
        user = update.effective_user
        if user is None or is_payment(update):
            return
        allowed, warn = self._throttle.allow(user.id)
        if allowed:
            return
        if warn:
            if update.callback_query:
                await update.callback_query.answer(replies.slow_down())
            else:
                await reply(update, replies.slow_down())
        raise ApplicationHandlerStop

    async def ignore(self, update: Update, context: Context) -> None:
        raise ApplicationHandlerStop

    async def in_group(self, update: Update, context: Context) -> None:
        """Read-only commands go on to their handlers; our other commands get a pointer to a private
        chat; chatter and other bots' commands are left alone."""
        message = update.effective_message
        command = addressed_command(message.text if message else None, context.bot.username)
        if command in READ_ONLY_COMMANDS:
            return
        if command in self._commands:
            link = command if command == "buy" else None  # /start buy opens the buy picker
            await reply(update, replies.group_only_private(), private_chat_link(context.bot.username, link))
        raise ApplicationHandlerStop


def addressed_command(text: str | None, bot_username: str) -> str | None:
    """The command a message gives this bot ("/Buy@ThisBot 2" -> "buy"), or None."""
    if not text or not text.startswith("/"):
        return None
    name, _, target = text.split(maxsplit=1)[0][1:].partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower()


def is_payment(update: Update) -> bool:
    """Telegram's payment updates are never slowed down: an unanswered pre-checkout fails the
    player's payment, a dropped `successful_payment` would lose money that was taken, and a dropped
    `refunded_payment` would leave credit on the books that Telegram gave back."""
    if update.pre_checkout_query is not None:
        return True
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )
