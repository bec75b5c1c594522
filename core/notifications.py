"""Notifications owed by the lottery, handed to whoever delivers them (the bot: Telegram and email).

The draw writes them to the outbox in its own transaction; here a sender claims a batch with a lease,
and reports each one sent, to retry later, or undeliverable. The backoff policy lives here so every
sender, in every process, retries the same way.

Each claim carries a fencing token, and outcomes are recorded only under it: a sender that outlived
its lease cannot record over the claim that took its rows since. A row that cannot be read (an
unknown kind or channel, a missing event) is quarantined in the claim's own transaction, so it never
blocks the rows behind it.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

from core.context import Context
from core.records import PublicRecord
from core.results import EventStatus, Prize
from core.rules import LotteryRules
from storage import UnitOfWork
from storage.models import DrawRecord, Event
from storage.outbox import QUARANTINED, ClaimedMessage

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
    # The frozen record, announced before its randomness exists (participants, results channel).
    FROZEN = "frozen"
    # The drawn record, for the results channel (participants get winner/result notices).
    DRAWN = "drawn"


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
    # The fencing token of the claim that handed out this notice; its outcome is recorded only with it.
    claim_token: str
    # The event's public draw record, when it has one (frozen or drawn).
    record: PublicRecord | None = None
    # What the winner wins and how to claim it (the event's own, else the configured one).
    prize: Prize = field(default_factory=Prize)
    # For a result notice: how many ballots of the event its recipient held (0: joined, bought none).
    held: int | None = None


@dataclass(frozen=True)
class OutboxCounts:
    """How many notices are in each state, for an admin to see (e.g. rows set aside as unreadable)."""

    pending: int = 0
    sent: int = 0
    failed: int = 0
    quarantined: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class FailedNotice:
    id: int
    kind: str
    channel: str
    error: str


@dataclass(frozen=True)
class OutboxOverview:
    """What an admin needs to see that nothing is stuck: totals, the oldest wait, the latest failures."""

    counts: OutboxCounts
    oldest_pending: dt.datetime | None
    failures: tuple[FailedNotice, ...]


class Unreadable(ValueError):
    """An outbox row this code cannot turn into a notice."""


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


async def _held(uow: UnitOfWork, claimed: list[ClaimedMessage]) -> dict[tuple[int, int], int]:
    """(event, player) -> ballots held, for the batch's result notices: one query per event, so a
    player who joined but bought nothing is told so rather than "not yours this time"."""
    wanted: dict[int, list[int]] = {}
    for message in claimed:
        if (
            message.kind == NoticeKind.RESULT
            and message.event_id is not None
            and message.player_id is not None
        ):
            wanted.setdefault(message.event_id, []).append(message.player_id)
    held: dict[tuple[int, int], int] = {}
    for event_id, players in wanted.items():
        for player_id, ballots in (await uow.registrations.held(event_id, players)).items():
            held[(event_id, player_id)] = ballots
    return held


class Notifications:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def claim_due(self, *, limit: int = 100, lease: dt.timedelta = LEASE) -> list[Notice]:
        """Take up to `limit` due notices for this sender alone until the lease runs out.

        Rows that cannot be read are quarantined in the same transaction as the claim, so they are
        never handed out again and the readable rows of the batch are returned as usual.
        """
        now = self._ctx.clock.now()
        notices = []
        async with self._ctx.db.transaction() as uow:
            claimed = await uow.outbox.claim_due(now=now, limit=limit, lease=lease)
            event_ids = {message.event_id for message in claimed if message.event_id is not None}
            events = {event_id: await uow.events.by_id(event_id) for event_id in event_ids}
            records = {event_id: await uow.records.of_event(event_id) for event_id in event_ids}
            held = await _held(uow, claimed)
            for message in claimed:
                try:
                    notice = self._read(message, events, records, rules=self._ctx.rules)
                    key = (message.event_id or 0, message.player_id or 0)
                    if notice.kind is NoticeKind.RESULT and key in held:
                        notice = replace(notice, held=held[key])
                    notices.append(notice)
                except Unreadable as poison:
                    log.error(
                        "outbox row %s is unreadable and set aside (quarantined): %s", message.id, poison
                    )
                    await uow.outbox.quarantine(message.id, token=message.claim_token, error=str(poison))
        return notices

    @staticmethod
    def _read(
        message: ClaimedMessage,
        events: Mapping[int, Event | None],
        records: Mapping[int, DrawRecord | None] | None = None,
        *,
        rules: LotteryRules | None = None,
    ) -> Notice:
        """The notice a claimed row describes, or `Unreadable` saying why there is none."""
        try:
            kind, channel = NoticeKind(message.kind), Channel(message.channel)
        except ValueError as unknown:
            raise Unreadable(f"unreadable row: {unknown}") from unknown
        event = events.get(message.event_id) if message.event_id is not None else None
        if event is None:
            raise Unreadable(f"unreadable row: event {message.event_id} does not exist")
        return Notice(
            id=message.id,
            kind=kind,
            channel=channel,
            recipient=message.recipient,
            attempts=message.attempts,
            created_at=message.created_at,
            day=event.day,
            title=event.title,
            status=EventStatus(event.status),
            ballot_count=event.ballot_count,
            winning_number=event.winning_number,
            claim_token=message.claim_token,
            record=_public(records, message.event_id),
            prize=(rules or LotteryRules()).prize(event.prize, event.prize_rules),
        )

    async def settle(self, outcomes: list[Outcome]) -> int:
        """Record how a batch of sends went, in one transaction; how many outcomes were fenced off.

        One transaction per batch rather than per message: with SQLite's single writer, fifty
        concurrent one-row transactions queued behind each other and capped delivery at ~230/s.
        """
        if not outcomes:
            return 0
        now = self._ctx.clock.now()
        recorded = 0
        async with self._ctx.db.transaction() as uow:
            tokens = {o.notice.claim_token for o in outcomes if o.result is Result.DELIVERED}
            for token in tokens:
                delivered = [
                    o.notice.id
                    for o in outcomes
                    if o.result is Result.DELIVERED and o.notice.claim_token == token
                ]
                recorded += await uow.outbox.mark_sent(delivered, token=token, now=now)
            for outcome in outcomes:
                notice, error = outcome.notice, outcome.error
                if outcome.result is Result.UNDELIVERABLE or (
                    outcome.result is Result.RETRY and now - notice.created_at >= RELEVANCE
                ):
                    log.error(
                        "giving up on notice %s after %s attempt(s): %s", notice.id, notice.attempts, error
                    )
                    recorded += await uow.outbox.give_up(notice.id, token=notice.claim_token, error=error)
                elif outcome.result is Result.RETRY:
                    delay = (
                        outcome.retry_after
                        if outcome.retry_after is not None
                        else retry_delay(notice.attempts)
                    )
                    recorded += await uow.outbox.retry_later(
                        notice.id, token=notice.claim_token, at=now + delay, error=error
                    )
        return self._fenced_off(len(outcomes), recorded)

    async def delivered(self, notice: Notice) -> int:
        return await self.settle([Outcome(notice, Result.DELIVERED)])

    async def failed(self, notice: Notice, error: str, *, retry_after: dt.timedelta | None = None) -> int:
        """A passing failure: try again after `retry_after`, or the backoff, until the notice is stale."""
        return await self.settle([Outcome(notice, Result.RETRY, error, retry_after)])

    async def undeliverable(self, notice: Notice, error: str) -> int:
        """A permanent failure (the user blocked the bot): never try this one again."""
        return await self.settle([Outcome(notice, Result.UNDELIVERABLE, error)])

    async def release(self, notices: list[Notice]) -> int:
        """Hand claimed notices back unsent (at shutdown), so the next sender takes them at once."""
        if not notices:
            return 0
        recorded = 0
        async with self._ctx.db.transaction() as uow:
            for notice in notices:
                recorded += await uow.outbox.retry_later(
                    notice.id, token=notice.claim_token, at=self._ctx.clock.now(), error="released"
                )
        return self._fenced_off(len(notices), recorded)

    @staticmethod
    def _fenced_off(outcomes: int, recorded: int) -> int:
        """Outcomes the database refused because another claim holds those rows now: worth a warning."""
        fenced = outcomes - recorded
        if fenced:
            log.warning(
                "%s outcome(s) not recorded: the lease ran out and another sender holds those notices now",
                fenced,
            )
        return fenced

    async def counts(self) -> OutboxCounts:
        """How many notices are pending, sent, failed and quarantined (unreadable, set aside)."""
        async with self._ctx.db.snapshot() as uow:
            by_status = await uow.outbox.count_by_status()
        return OutboxCounts(
            pending=by_status.get("pending", 0),
            sent=by_status.get("sent", 0),
            failed=by_status.get("failed", 0),
            quarantined=by_status.get(QUARANTINED, 0),
            cancelled=by_status.get("cancelled", 0),
        )

    async def overview(self, *, failures: int = 5) -> OutboxOverview:
        async with self._ctx.db.snapshot() as uow:
            oldest = await uow.outbox.oldest_pending()
            latest = await uow.outbox.failures(limit=failures)
        return OutboxOverview(
            counts=await self.counts(),
            oldest_pending=oldest,
            failures=tuple(FailedNotice(m.id, m.kind, m.channel, m.last_error or "") for m in latest),
        )

    async def requeue_failed(self) -> int:
        """Send failed notices again, each with a fresh seven days: an admin fixed what made them fail.

        Notices whose player was erased keep failing: their recipient is gone.
        """
        async with self._ctx.db.transaction() as uow:
            return await uow.outbox.requeue_failed(now=self._ctx.clock.now())

    async def pending(self) -> int:
        async with self._ctx.db.snapshot() as uow:
            return await uow.outbox.count(status="pending")


def _public(records: Mapping[int, DrawRecord | None] | None, event_id: int | None) -> PublicRecord | None:
    row = records.get(event_id) if records is not None and event_id is not None else None
    return PublicRecord.of(row) if row is not None else None
