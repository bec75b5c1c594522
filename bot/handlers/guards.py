"""Handlers that run before the others: business messages, flood control, edited messages, commands in groups.

Each one stops the update (ApplicationHandlerStop) when it has dealt with it, so the regular handlers
never see an edited `/buy 1` (which would buy again) or a private command typed in a group.
Telegram Business messages (customers writing to a business account the bot is connected to) are
not addressed to the lottery at all: they are dropped before they can cost anyone a throttle token.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, TypeHandler, filters

from bot import replies
from bot.handlers.base import AnyHandler, Context, reply

READ_ONLY_COMMANDS = ("winner", "events", "help")


@dataclass
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class Throttle:
    """A token bucket per user: bursts are fine, a flood is slowed down with one polite warning."""

    def __init__(
        self, *, rate: float = 2.0, burst: int = 10, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = burst
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn): whether to serve this update, and whether to say "slow down" now."""
        now = self._clock()
        bucket = self._buckets.setdefault(user_id, _Bucket(float(self._burst), now))
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.warned = False
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        if len(self._buckets) > 100_000:
            self._forget_idle(now)
        return False, warn

    def _forget_idle(self, now: float) -> None:
        full_after = self._burst / self._rate
        self._buckets = {u: b for u, b in self._buckets.items() if now - b.updated < full_after}


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
        if user is None or _is_payment(update):
            return
        allowed, warn = self._throttle.allow(user.id)
        if allowed:
            return
        if warn:
            if update.callback_query:
                await update.callback_query.answer(replies.SLOW_DOWN)
            else:
                await reply(update, replies.SLOW_DOWN)
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
            await reply(update, replies.GROUP_ONLY_PRIVATE)
        raise ApplicationHandlerStop


def addressed_command(text: str | None, bot_username: str) -> str | None:
    """The command a message gives this bot ("/Buy@ThisBot 2" -> "buy"), or None."""
    if not text or not text.startswith("/"):
        return None
    name, _, target = text.split(maxsplit=1)[0][1:].partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower()


def _is_payment(update: Update) -> bool:
    """Telegram's payment updates are never slowed down: an unanswered pre-checkout fails the
    player's payment, a dropped `successful_payment` would lose money that was taken, and a dropped
    `refunded_payment` would leave credit on the books that Telegram gave back."""
    if update.pre_checkout_query is not None:
        return True
    message = update.message
    return message is not None and (
        message.successful_payment is not None or message.refunded_payment is not None
    )
