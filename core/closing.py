"""Closing events and drawing their winners, and telling who won.

`close_due_events` is the clock hook: the bot calls it at midnight, at startup and on a periodic tick,
from as many processes as it likes. Each close is one transaction that starts with a guarded UPDATE
(open → closed) only one caller can win, then draws, records the winner and queues the notifications;
a crash anywhere before the commit leaves the event open, to be closed by the next call.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from core.context import Context, display_name
from core.draws import new_seed, winning_number
from core.errors import NoEventOnDate
from core.results import DrawResult, EventStatus, WinnerInfo
from storage import UnitOfWork
from storage.models import Event

log = logging.getLogger(__name__)


class Closing:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def close_due_events(self, now: dt.datetime | None = None) -> list[DrawResult]:
        """Close every open event whose day has ended, and make sure today's event exists."""
        now = now or self._ctx.clock.now()
        today = self._ctx.today(now)
        async with self._ctx.db.snapshot() as uow:
            due = await uow.events.open_before(today)
        results = await self._close_each(due, now)
        async with self._ctx.db.transaction() as uow:
            await self._ctx.event_of(uow, today, now)
        return results

    async def close_open_events(self) -> list[DrawResult]:
        """Close every open event up to today now (the admin's early close)."""
        now = self._ctx.clock.now()
        async with self._ctx.db.snapshot() as uow:
            open_ids = await uow.events.open_until(self._ctx.today(now))
        return await self._close_each(open_ids, now, raise_failure=True)

    async def _close_each(
        self, event_ids: Sequence[int], now: dt.datetime, *, raise_failure: bool = False
    ) -> list[DrawResult]:
        """Close events one transaction each, so that one that cannot be drawn holds up no other.

        A failed close rolls back to open and is tried again on the next call; it is logged with its
        traceback each time, which is what an operator needs to see until it is mended. With
        `raise_failure` (an admin waiting for the answer) the first failure is raised once every other
        event has been closed, so the admin hears of it and still gets today's draw.
        """
        results = []
        failure: Exception | None = None
        for event_id in event_ids:
            try:
                result = await self.close_event(event_id, now)
            except Exception as error:
                log.exception("could not close event %s; it stays open and the others go on", event_id)
                failure = failure or error
                continue
            if result is not None:
                results.append(result)
        if raise_failure and failure is not None:
            raise failure
        return results

    async def close_event(self, event_id: int, now: dt.datetime) -> DrawResult | None:
        """Close one event and draw it; None when another caller closed it first."""
        seed = new_seed()
        async with self._ctx.db.transaction() as uow:
            claimed = await uow.events.claim_close(event_id, now=now, seed=seed.hex())
            if claimed is None:
                return None
            day, ballot_count = claimed
            if ballot_count == 0:
                await uow.outbox.add_for_participants(kind="result", event_id=event_id, now=now)
                log.info("closed the event of %s with no ballots", day)
                return DrawResult(event_id, day, 0, None, None)
            number = winning_number(seed, ballot_count)
            winner_id = await uow.ballots.owner_of(event_id=event_id, number=number)
            await uow.events.record_winner(event_id, number=number, player_id=winner_id)
            winner = await uow.players.by_id(winner_id)
            assert winner is not None
            if winner.telegram_id is not None:
                await uow.outbox.add(
                    kind="winner",
                    channel="telegram",
                    recipient=str(winner.telegram_id),
                    event_id=event_id,
                    player_id=winner_id,
                    now=now,
                )
            if winner.email:
                await uow.outbox.add(
                    kind="winner",
                    channel="email",
                    recipient=winner.email,
                    event_id=event_id,
                    player_id=winner_id,
                    now=now,
                )
            await uow.outbox.add_for_participants(
                kind="result", event_id=event_id, now=now, except_player_id=winner_id
            )
        log.info("drew ballot #%s of %s for the event of %s", number, ballot_count, day)
        return DrawResult(event_id, day, ballot_count, number, winner.telegram_id)

    async def winner_on(self, day: dt.date) -> WinnerInfo:
        async with self._ctx.db.snapshot() as uow:
            event = await uow.events.on_day(day)
            if event is None:
                raise NoEventOnDate(day)
            return await _winner_info(uow, event)

    async def latest_winner(self) -> WinnerInfo | None:
        """The most recent draw, or None before the first one."""
        async with self._ctx.db.snapshot() as uow:
            event = await uow.events.latest_drawn()
            if event is None:
                return None
            return await _winner_info(uow, event)


async def _winner_info(uow: UnitOfWork, event: Event) -> WinnerInfo:
    winner = None
    if event.winner_player_id is not None:
        winner = await uow.players.by_id(event.winner_player_id)
    return WinnerInfo(
        day=event.day,
        title=event.title,
        status=EventStatus(event.status),
        ballot_count=event.ballot_count,
        winning_number=event.winning_number,
        winner_name=display_name(winner),
    )
