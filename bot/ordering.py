"""Several updates at once, each user's in the order they sent them.

One update at a time, the bot waits idle through every database round trip: on PostgreSQL a command
is several of them, and end to end (bench/end_to_end.py) eight updates at once handled 1.46x the
updates/s of one at a time there; on SQLite, where a command's database work never waits, it made
no difference (1.03x). Running updates at once must not let one player's `/pay` and `/buy` swap
places, as python-telegram-bot's own concurrent processing would, so each user's updates take turns
in arrival order while other users' run beside them.

A user's update that waits for their turn holds no running slot: one player sending many messages
behind a slow reply (a 429 wait, an invoice) holds up only themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates taken in at once, running or waiting for their user's turn: python-telegram-bot's own bound.
TAKEN_IN = 256


class PerUserOrder(BaseUpdateProcessor):
    """Up to `running` updates at once; one user's run one at a time, first come first served.

    asyncio's locks and semaphores wake waiters in the order they came, and python-telegram-bot starts
    one task per update in arrival order that reaches `do_process_update` without awaiting anything
    else first, so a user's updates take their turns in the order Telegram delivered them.
    """

    def __init__(self, running: int) -> None:
        if running < 1:
            raise ValueError("at least one update must be able to run")
        super().__init__(max(TAKEN_IN, running))
        self._running = asyncio.BoundedSemaphore(running)
        self._turns: dict[int, asyncio.Lock] = {}
        self._queued: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = user_of(update)
        if user is None:  # nobody's order to keep: a channel post, a poll's state
            async with self._running:
                await coroutine
            return
        turn = self._turns.setdefault(user, asyncio.Lock())
        self._queued[user] = self._queued.get(user, 0) + 1
        try:
            async with turn, self._running:
                await coroutine
        finally:
            self._queued[user] -= 1
            if not self._queued[user]:  # nobody else queued: a user costs no memory between updates
                del self._queued[user]
                del self._turns[user]

    def users_in_hand(self) -> int:
        """How many users have an update running or waiting (for tests: it drops to zero)."""
        return len(self._turns)

    async def initialize(self) -> None:
        """Nothing to set up: a user's turn is made when their update arrives."""

    async def shutdown(self) -> None:
        """Nothing to release: the application waits for the updates still running."""


def user_of(update: object) -> int | None:
    """Whose turn an update takes: its user's, else its chat's (a channel post has no user)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
