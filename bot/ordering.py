"""Several updates at once, each user's in the order they sent them.

One update at a time, the bot waits idle through every round trip: Telegram's answer to each reply
(tens of milliseconds from a real server) and, on PostgreSQL, each statement. Running updates at once
must not let one player's `/pay` and `/buy` swap places, as python-telegram-bot's own concurrent
processing would, so each user's updates take turns in arrival order while other users' run beside
them. The figures behind the default of four are in the README (Performance).

A user's update that waits for their turn holds no running slot: a slow reply (a 429 wait, an
invoice) takes one slot, and the messages its player sends meanwhile wait without taking more. Past
`QUEUED_PER_USER` updates running or waiting, more from the same user are dropped, as the flood guard
would drop them when their turn came, except payments, which are never dropped
(bot.handlers.guards.is_payment).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable
from contextlib import AbstractAsyncContextManager
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.handlers.guards import is_payment

log = logging.getLogger(__name__)

# python-telegram-bot's own bound on updates inside `process_update`, running or waiting for their
# user's turn. It bounds no memory (a task is made for every update anyway), so it is set far above
# anything reached: a bound of a few hundred would let one user's waiting flood shut everyone out.
TAKEN_IN = 1_000_000
# Updates of one user waiting for their turn before more are dropped; a person tapping fast has a few.
QUEUED_PER_USER = 32


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
        self._flooding: set[int] = set()
        self.dropped = 0  # updates dropped for a full queue, since start

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        user = user_of(update)
        if user is None:  # nobody's order to keep: a channel post, a poll's state
            await self._run(coroutine, contextlib.nullcontext())
            return
        if self._queued.get(user, 0) >= QUEUED_PER_USER and not (
            isinstance(update, Update) and is_payment(update)
        ):
            self._drop(user, coroutine)
            return
        turn = self._turns.setdefault(user, asyncio.Lock())
        self._queued[user] = self._queued.get(user, 0) + 1
        try:
            await self._run(coroutine, turn)
        finally:
            self._queued[user] -= 1
            if not self._queued[user]:  # nobody else queued: a user costs no memory between updates
                del self._queued[user]
                del self._turns[user]
                self._flooding.discard(user)

    async def _run(self, coroutine: Awaitable[Any], turn: AbstractAsyncContextManager[Any]) -> None:
        """Wait for the turn and a running slot, then run the update."""
        started = False
        try:
            async with turn, self._running:
                started = True
                await coroutine
        finally:
            if not started:  # cancelled while waiting (the bot stopping): the update never began
                _discard(coroutine)

    def _drop(self, user: int, coroutine: Awaitable[Any]) -> None:
        """Drop one update of a user with a full queue; say so in the log once per flood."""
        _discard(coroutine)
        self.dropped += 1
        if user not in self._flooding:
            self._flooding.add(user)
            log.warning(
                "user %s has %d updates waiting; dropping more until they are done", user, QUEUED_PER_USER
            )

    def users_in_hand(self) -> int:
        """How many users have an update running or waiting (for tests: it drops to zero)."""
        return len(self._turns)

    async def initialize(self) -> None:
        """Nothing to set up: a user's turn is made when their update arrives."""

    async def shutdown(self) -> None:
        """Nothing to release: the application waits for the updates still running."""


def _discard(coroutine: Awaitable[Any]) -> None:
    """Close an update's coroutine that will never run, so nothing warns that it was not awaited."""
    if inspect.iscoroutine(coroutine):
        coroutine.close()


def user_of(update: object) -> int | None:
    """Whose turn an update takes: its user's, else its chat's (a channel post has no user)."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    return update.effective_chat.id if update.effective_chat is not None else None
