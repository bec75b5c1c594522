"""Notifications owed by the lottery, handed to whoever delivers them (the bot: Telegram and email).

The draw writes them to the outbox in its own transaction; here a sender claims a batch with a lease,
and reports each one sent, to retry later, or undeliverable. The backoff policy lives here so every
sender, in every process, retries the same way.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from enum import StrEnum

from core.context import Context
from core.results import EventStatus

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
# A notice is retried for as long as it is still worth sending, not a fixed number of times:
# a 3-hour SMTP or Telegram outage at draw time must not lose the winner's notice.
RELEVANCE = dt.timedelta(days=7)
FIRST_RETRY = dt.timedelta(seconds=5)
LONGEST_RETRY = dt.timedelta(minutes=30)


class NoticeKind(StrEnum):
    WINNER = "winner"
    RESULT = "result"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    TELEGRAM = "telegram"
    EMAIL = "email"


@dataclass(frozen=True)
class Notice:
    id: int
    kind: NoticeKind
    channel: Channel
    recipient: str
    attempts: int
    created_at: dt.datetime
    day: dt.date
    title: str
    status: EventStatus
    ballot_count: int
    winning_number: int | None


class Result(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    UNDELIVERABLE = "undeliverable"


@dataclass(frozen=True)
class Outcome:
    notice: Notice
    result: Result
    error: str = ""
    retry_after: dt.timedelta | None = None


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: about 5 s, 10 s, 20 s, … capped at 30 minutes.

    Each delay is cut by up to a fifth at random (`secrets`), so notices that failed together
    (an outage) do not all come back in the same second and hit the recovering server at once.
    """
    doublings = min(max(attempts - 1, 0), 16)
    ceiling = min(FIRST_RETRY * (1 << doublings), LONGEST_RETRY)
    return ceiling * (800 + secrets.randbelow(201)) / 1000


class Notifications:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def claim_due(self, *, limit: int = 100, lease: dt.timedelta = LEASE) -> list[Notice]:
        """Take up to `limit` due notices for this sender alone until the lease runs out."""
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            claimed = await uow.outbox.claim_due(now=now, limit=limit, lease=lease)
            event_ids = {message.event_id for message in claimed if message.event_id is not None}
            events = {event_id: await uow.events.by_id(event_id) for event_id in event_ids}
        notices = []
        for message in claimed:
            event = events.get(message.event_id) if message.event_id is not None else None
            if event is None:
                continue
            notices.append(
                Notice(
                    id=message.id,
                    kind=NoticeKind(message.kind),
                    channel=Channel(message.channel),
                    recipient=message.recipient,
                    attempts=message.attempts,
                    created_at=message.created_at,
                    day=event.day,
                    title=event.title,
                    status=EventStatus(event.status),
                    ballot_count=event.ballot_count,
                    winning_number=event.winning_number,
                )
            )
        return notices

    async def settle(self, outcomes: list[Outcome]) -> None:
        """Record how a batch of sends went, in one transaction.

        One transaction per batch rather than per message: with SQLite's single writer, fifty
        concurrent one-row transactions queued behind each other and capped delivery at ~230/s.
        """
        if not outcomes:
            return
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            delivered = [o.notice.id for o in outcomes if o.result is Result.DELIVERED]
            await uow.outbox.mark_sent(delivered, now=now)
            for outcome in outcomes:
                notice, error = outcome.notice, outcome.error
                if outcome.result is Result.UNDELIVERABLE or (
                    outcome.result is Result.RETRY and now - notice.created_at >= RELEVANCE
                ):
                    log.error(
                        "giving up on notice %s after %s attempt(s): %s", notice.id, notice.attempts, error
                    )
                    await uow.outbox.give_up(notice.id, error=error)
                elif outcome.result is Result.RETRY:
                    delay = (
                        outcome.retry_after
                        if outcome.retry_after is not None
                        else retry_delay(notice.attempts)
                    )
                    await uow.outbox.retry_later(notice.id, at=now + delay, error=error)

    async def delivered(self, notice: Notice) -> None:
        await self.settle([Outcome(notice, Result.DELIVERED)])

    async def failed(self, notice: Notice, error: str, *, retry_after: dt.timedelta | None = None) -> None:
        """A passing failure: try again after `retry_after`, or the backoff, until the notice is stale."""
        await self.settle([Outcome(notice, Result.RETRY, error, retry_after)])

    async def undeliverable(self, notice: Notice, error: str) -> None:
        """A permanent failure (the user blocked the bot): never try this one again."""
        await self.settle([Outcome(notice, Result.UNDELIVERABLE, error)])

    async def release(self, notices: list[Notice]) -> None:
        """Hand claimed notices back unsent (at shutdown), so the next sender takes them at once."""
        if not notices:
            return
        async with self._ctx.db.transaction() as uow:
            for notice in notices:
                await uow.outbox.retry_later(notice.id, at=self._ctx.clock.now(), error="released")

    async def pending(self) -> int:
        async with self._ctx.db.snapshot() as uow:
            return await uow.outbox.count(status="pending")
