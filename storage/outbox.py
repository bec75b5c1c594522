"""The notification outbox: messages owed, written with the fact they report, sent later by the bot.

Senders claim due rows with a lease in one guarded UPDATE, so several processes can drain the same
outbox without sending a row twice at once, and a sender that dies mid-way leaves rows that become
due again when the lease runs out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, cast, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Player, Registration, UTCDateTime


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    kind: str
    channel: str
    recipient: str
    event_id: int | None
    player_id: int | None
    attempts: int
    created_at: dt.datetime


class Outbox:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        kind: str,
        channel: str,
        recipient: str,
        event_id: int | None,
        player_id: int | None,
        now: dt.datetime,
    ) -> None:
        await self._session.execute(
            insert(OutboxMessage).values(
                kind=kind,
                channel=channel,
                recipient=recipient,
                event_id=event_id,
                player_id=player_id,
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    async def add_for_participants(
        self, *, kind: str, event_id: int, now: dt.datetime, except_player_id: int | None = None
    ) -> None:
        """One Telegram message for every participant still reachable, in one INSERT … SELECT."""
        timestamp = literal(now, UTCDateTime)
        participants = (
            select(
                literal(kind, String),
                literal("telegram", String),
                cast(Player.telegram_id, String),
                Registration.event_id,
                Player.id,
                literal("pending", String),
                literal(0),
                timestamp,
                timestamp,
            )
            .select_from(Registration)
            .join(Player, Player.id == Registration.player_id)
            .where(Registration.event_id == event_id, Player.telegram_id.is_not(None))
        )
        if except_player_id is not None:
            participants = participants.where(Player.id != except_player_id)
        columns = [
            "kind",
            "channel",
            "recipient",
            "event_id",
            "player_id",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ]
        await self._session.execute(insert(OutboxMessage).from_select(columns, participants))

    async def claim_due(self, *, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[ClaimedMessage]:
        free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
        # A materialized CTE is evaluated once. As `id IN (subquery)` PostgreSQL re-ran the LIMITed
        # subquery for each outer row (loops=N), and one claim took every pending row.
        due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now, free)
            .order_by(OutboxMessage.id)
            .limit(limit)
            # PostgreSQL: concurrent senders skip each other's rows instead of queueing on them.
            # SQLite ignores this; its writers are serialised anyway.
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(select(due.c.id)), OutboxMessage.status == "pending", free)
            .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1)
            .returning(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.event_id,
                OutboxMessage.player_id,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
            )
        )
        claimed = [ClaimedMessage(**row._mapping) for row in result.all()]
        return sorted(claimed, key=lambda message: message.id)

    async def mark_sent(self, message_ids: Sequence[int], *, now: dt.datetime) -> None:
        if not message_ids:
            return
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids))
            .values(status="sent", sent_at=now, claimed_until=None, last_error=None)
        )

    async def retry_later(self, message_id: int, *, at: dt.datetime, error: str) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(next_attempt_at=at, claimed_until=None, last_error=error[:1000])
        )

    async def give_up(self, message_id: int, *, error: str) -> None:
        await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status="failed", claimed_until=None, last_error=error[:1000])
        )

    async def count(self, *, status: str | None = None) -> int:
        statement = select(func.count()).select_from(OutboxMessage)
        if status is not None:
            statement = statement.where(OutboxMessage.status == status)
        return (await self._session.execute(statement)).scalar_one()

    async def for_event(self, event_id: int) -> Sequence[OutboxMessage]:
        statement = select(OutboxMessage).where(OutboxMessage.event_id == event_id).order_by(OutboxMessage.id)
        return (await self._session.scalars(statement)).all()
