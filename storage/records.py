"""Draw records: frozen once per event, drawn once per record, each by a guarded statement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import DrawRecord, OutboxMessage, Player, Registration

CHAIN_LOCK = 7_253_008  # an arbitrary advisory-lock key of this project (storage.schema uses 7_253_001)


class DrawRecords:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def lock_chain(self) -> None:
        """Freezes one at a time, so each links to the last one frozen and the chain never forks.

        SQLite's writers are one at a time already (BEGIN IMMEDIATE). On PostgreSQL two freezes of
        different days in flight at once could each read the same last record; a transaction-scoped
        advisory lock makes the second wait for the first's commit. The unique chain position is the
        backstop: a second record after the same one cannot be stored, and its freeze rolls back.
        """
        connection = await self._session.connection()
        if connection.dialect.name == "postgresql":
            await connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK})")

    async def leaf_inputs(self, event_id: int) -> Sequence[tuple[int, str | None]]:
        """(number, receipt) of every ballot in number order, in this transaction, on the driver's fast path.

        The freeze reads up to millions of rows: through SQLAlchemy's result machinery 1,000,000 rows
        took several seconds; one driver-level fetch on the same connection (so the same transaction)
        costs about what plain sqlite3 does.
        """
        connection = await self._session.connection()
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection
        if connection.dialect.name == "postgresql":
            rows = await driver.fetch(
                "SELECT number, receipt FROM ballots WHERE event_id = $1 ORDER BY number", event_id
            )
            return [(row[0], row[1]) for row in rows]
        cursor = await driver.execute(
            "SELECT number, receipt FROM ballots WHERE event_id = ? ORDER BY number", (event_id,)
        )
        try:
            return list(await cursor.fetchall())
        finally:
            await cursor.close()

    async def telegram_backlog(self) -> int:
        """Telegram messages the outbox has yet to send: a new announcement queues behind them."""
        statement = select(func.count()).where(
            OutboxMessage.status == "pending", OutboxMessage.channel == "telegram"
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def reachable_participants(self, event_id: int) -> int:
        """Participants a frozen announcement goes to (those with a Telegram chat)."""
        statement = (
            select(func.count())
            .select_from(Registration)
            .join(Player, Player.id == Registration.player_id)
            .where(Registration.event_id == event_id, Player.telegram_id.is_not(None))
        )
        return int((await self._session.execute(statement)).scalar_one())

    async def add_frozen(self, **values: object) -> bool:
        """Store an event's frozen record; False when the event already has one."""
        statement = insert_ignoring_conflicts(
            self._session,
            DrawRecord,
            values={**values, "state": "frozen", "attempts": 0},
            conflict_columns=["event_id"],
        ).returning(DrawRecord.event_id)
        return (await self._session.execute(statement)).first() is not None

    async def of_event(self, event_id: int) -> DrawRecord | None:
        return await self._session.get(DrawRecord, event_id)

    async def on_day(self, day: dt.date) -> DrawRecord | None:
        return (await self._session.scalars(select(DrawRecord).where(DrawRecord.day == day))).first()

    async def latest_before(self, day: dt.date) -> DrawRecord | None:
        """The record of the latest day before `day` (what /verify shows when no day is given)."""
        statement = select(DrawRecord).where(DrawRecord.day < day).order_by(DrawRecord.day.desc()).limit(1)
        return (await self._session.scalars(statement)).first()

    async def last_frozen(self) -> DrawRecord | None:
        """The record a new record links to: the last one frozen, whatever its day.

        The chain follows freeze order, not day order: a day whose freeze failed and is frozen later
        links to the records frozen meanwhile, so no two records ever name the same previous one.
        """
        statement = select(DrawRecord).order_by(DrawRecord.chain_position.desc()).limit(1)
        return (await self._session.scalars(statement)).first()

    async def due(self, *, now: dt.datetime) -> Sequence[int]:
        """Frozen records whose randomness may exist by now, oldest first."""
        statement = (
            select(DrawRecord.event_id)
            .where(DrawRecord.state == "frozen", DrawRecord.draw_after <= now)
            .order_by(DrawRecord.day)
        )
        return (await self._session.scalars(statement)).all()

    async def waiting(self) -> Sequence[DrawRecord]:
        statement = select(DrawRecord).where(DrawRecord.state == "frozen").order_by(DrawRecord.day)
        return (await self._session.scalars(statement)).all()

    async def claim_draw(
        self,
        event_id: int,
        *,
        signature: str,
        randomness: str,
        seed: str,
        winning_number: int,
        bls_checked: bool | None,
        now: dt.datetime,
    ) -> bool:
        """frozen → drawn, once: True only for the one caller whose result is stored."""
        result = await self._session.execute(
            update(DrawRecord)
            .where(DrawRecord.event_id == event_id, DrawRecord.state == "frozen")
            .values(
                state="drawn",
                signature=signature,
                randomness=randomness,
                seed=seed,
                winning_number=winning_number,
                bls_checked=bls_checked,
                drawn_at=now,
                last_error=None,
            )
            .returning(DrawRecord.event_id)
        )
        return result.first() is not None

    async def note_wait(self, event_id: int, *, error: str) -> None:
        """Why a draw is still waiting (beacon unreachable, mirrors disagree), for an admin to see."""
        await self._session.execute(
            update(DrawRecord)
            .where(DrawRecord.event_id == event_id, DrawRecord.state == "frozen")
            .values(attempts=DrawRecord.attempts + 1, last_error=error[:1000])
        )
