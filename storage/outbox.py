"""The notification outbox: messages owed, written with the fact they report, sent later by the bot.

Senders claim due rows with a lease in one guarded UPDATE, so several processes can drain the same
outbox without sending a row twice at once, and a sender that dies mid-way leaves rows that become
due again when the lease runs out.

Every claim stamps its rows with a fresh fencing token, and every outcome is a guarded UPDATE
`WHERE id = … AND claim_token = :token`: a sender whose lease ran out, and whose rows another claim
took, records nothing over the new owner. Each recording method says how many rows it changed, so
the caller can tell how many outcomes were fenced off.
"""

from __future__ import annotations

import datetime as dt
import secrets
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
    claim_token: str


QUARANTINED = "quarantined"


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
        """Lease up to `limit` due rows to this caller alone, stamped with a token fresh to this claim."""
        token = secrets.token_hex(16)
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
            .values(claimed_until=now + lease, attempts=OutboxMessage.attempts + 1, claim_token=token)
            .returning(
                OutboxMessage.id,
                OutboxMessage.kind,
                OutboxMessage.channel,
                OutboxMessage.recipient,
                OutboxMessage.event_id,
                OutboxMessage.player_id,
                OutboxMessage.attempts,
                OutboxMessage.created_at,
                OutboxMessage.claim_token,
            )
        )
        claimed = [ClaimedMessage(**row._mapping) for row in result.all()]
        return sorted(claimed, key=lambda message: message.id)

    async def mark_sent(self, message_ids: Sequence[int], *, token: str, now: dt.datetime) -> int:
        """Record sends under the claim `token`; how many rows that claim still held."""
        if not message_ids:
            return 0
        return await self._record(
            message_ids, token, status="sent", sent_at=now, claimed_until=None, last_error=None
        )

    async def retry_later(self, message_id: int, *, token: str, at: dt.datetime, error: str) -> int:
        return await self._record(
            [message_id], token, next_attempt_at=at, claimed_until=None, last_error=error[:1000]
        )

    async def give_up(self, message_id: int, *, token: str, error: str) -> int:
        return await self._record(
            [message_id], token, status="failed", claimed_until=None, last_error=error[:1000]
        )

    async def quarantine(self, message_id: int, *, token: str, error: str) -> int:
        """Set aside a row the code cannot read: never claimed again, and kept for an admin to see."""
        return await self._record(
            [message_id], token, status=QUARANTINED, claimed_until=None, last_error=error[:1000]
        )

    async def _record(self, message_ids: Sequence[int], token: str, **values: object) -> int:
        """The one guarded UPDATE every outcome goes through: only the claim holding the rows wins."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claim_token == token)
            .values(claim_token=None, **values)
            .returning(OutboxMessage.id)
        )
        return len(result.all())

    async def oldest_pending(self) -> dt.datetime | None:
        statement = select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == "pending")
        return (await self._session.execute(statement)).scalar_one()

    async def failures(self, *, limit: int) -> Sequence[OutboxMessage]:
        statement = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "failed")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return (await self._session.execute(statement)).scalars().all()

    async def requeue_failed(self, *, now: dt.datetime) -> int:
        """Failed notices become due now, with fresh attempts; erased recipients (blank) stay failed."""
        result = await self._session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "failed", OutboxMessage.recipient != "")
            .values(status="pending", attempts=0, next_attempt_at=now, created_at=now, claim_token=None)
            .returning(OutboxMessage.id)
        )
        return len(result.all())

    async def count_by_status(self) -> dict[str, int]:
        statement = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {status: count for status, count in (await self._session.execute(statement)).all()}

    async def count(self, *, status: str | None = None) -> int:
        statement = select(func.count()).select_from(OutboxMessage)
        if status is not None:
            statement = statement.where(OutboxMessage.status == status)
        return (await self._session.execute(statement)).scalar_one()

    async def for_event(self, event_id: int) -> Sequence[OutboxMessage]:
        statement = select(OutboxMessage).where(OutboxMessage.event_id == event_id).order_by(OutboxMessage.id)
        return (await self._session.scalars(statement)).all()
