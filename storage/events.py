"""Lottery events. Every change of an event's state is one guarded UPDATE that only one caller wins."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import Event, Registration


class Events:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def on_day(self, day: dt.date) -> Event | None:
        result = await self._session.scalars(select(Event).where(Event.day == day))
        return result.one_or_none()

    async def by_id(self, event_id: int) -> Event | None:
        return await self._session.get(Event, event_id)

    async def add_if_missing(
        self, *, day: dt.date, title: str, price: int, currency: str, now: dt.datetime
    ) -> bool:
        """Create the event of `day` unless it exists; True when this call created it.

        Every event is born with its local commit–reveal secret and commitment, whichever path creates
        it, so that with DRAW_BEACON=local the commitment exists (and /verify DATE shows it) before
        any ballot: randomness = SHA-256(secret), commitment = SHA-256(randomness), as core.verify checks.
        """
        secret = secrets.token_bytes(32)
        statement = insert_ignoring_conflicts(
            self._session,
            Event,
            values={
                "day": day,
                "title": title,
                "price": price,
                "currency": currency,
                "status": "open",
                "ballot_count": 0,
                "created_at": now,
                "draw_secret": secret.hex(),
                "draw_commitment": hashlib.sha256(hashlib.sha256(secret).digest()).hexdigest(),
            },
            conflict_columns=["day"],
        ).returning(Event.id)
        return (await self._session.execute(statement)).first() is not None

    async def claim_close(
        self, event_id: int, *, now: dt.datetime, seed: str | None = None
    ) -> tuple[dt.date, int] | None:
        """Move an open event to closed (its ballots frozen): (day, ballot count) if this caller won."""
        result = await self._session.execute(
            update(Event)
            .where(Event.id == event_id, Event.status == "open")
            .values(status="closed", closed_at=now, draw_seed=seed)
            .returning(Event.day, Event.ballot_count)
        )
        row = result.first()
        return None if row is None else (row[0], row[1])

    async def record_winner(self, event_id: int, *, number: int, player_id: int) -> None:
        await self._session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(winning_number=number, winner_player_id=player_id)
        )

    async def claim_cancel(self, event_id: int, *, now: dt.datetime) -> bool:
        result = await self._session.execute(
            update(Event)
            .where(Event.id == event_id, Event.status == "open")
            .values(status="cancelled", closed_at=now)
            .returning(Event.id)
        )
        return result.first() is not None

    async def edit_unsold(self, event_id: int, **terms: object) -> bool:
        """Change an event's terms (title, price, prize, prize_rules) only while it is open and no
        ballot was sold at the old ones: nobody bought a ballot on terms that change under them."""
        result = await self._session.execute(
            update(Event)
            .where(Event.id == event_id, Event.status == "open", Event.ballot_count == 0)
            .values(**terms)
            .returning(Event.id)
        )
        return result.first() is not None

    async def delete_unsold(self, event_id: int) -> bool:
        await self._session.execute(
            delete(Registration).where(
                Registration.event_id == event_id,
                select(Event.id)
                .where(Event.id == event_id, Event.status == "open", Event.ballot_count == 0)
                .exists(),
            )
        )
        result = await self._session.execute(
            delete(Event)
            .where(Event.id == event_id, Event.status == "open", Event.ballot_count == 0)
            .returning(Event.id)
        )
        return result.first() is not None

    async def open_before(self, day: dt.date) -> Sequence[int]:
        result = await self._session.scalars(
            select(Event.id).where(Event.status == "open", Event.day < day).order_by(Event.day)
        )
        return result.all()

    async def open_until(self, day: dt.date) -> Sequence[int]:
        result = await self._session.scalars(
            select(Event.id).where(Event.status == "open", Event.day <= day).order_by(Event.day)
        )
        return result.all()

    async def open_events_until(self, day: dt.date) -> Sequence[Event]:
        """Every open event up to `day`, oldest first: what an admin's /close would close."""
        result = await self._session.scalars(
            select(Event).where(Event.status == "open", Event.day <= day).order_by(Event.day)
        )
        return result.all()

    async def recent(self, *, limit: int, from_day: dt.date | None = None) -> Sequence[Event]:
        statement = select(Event).order_by(Event.day.desc()).limit(limit)
        if from_day is not None:
            statement = statement.where(Event.day <= from_day)
        return (await self._session.scalars(statement)).all()

    async def upcoming(self, *, after: dt.date, limit: int) -> Sequence[Event]:
        statement = select(Event).where(Event.day > after).order_by(Event.day).limit(limit)
        return (await self._session.scalars(statement)).all()

    async def latest_drawn(self) -> Event | None:
        statement = (
            select(Event)
            .where(Event.status == "closed", Event.closed_at.is_not(None))
            .order_by(Event.day.desc())
            .limit(1)
        )
        return (await self._session.scalars(statement)).first()

    async def count(self, *, status: str | None = None) -> int:
        statement = select(func.count()).select_from(Event)
        if status is not None:
            statement = statement.where(Event.status == status)
        return (await self._session.execute(statement)).scalar_one()


class Registrations:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, *, event_id: int, player_id: int, now: dt.datetime) -> bool:
        """Join the player to the event; True when they were not joined before.

        The event's participant count is raised by the same transaction that adds the registration,
        so it is never recounted (storage.joining does the same in its one-trip join)."""
        statement = insert_ignoring_conflicts(
            self._session,
            Registration,
            values={"event_id": event_id, "player_id": player_id, "joined_at": now},
            conflict_columns=["event_id", "player_id"],
        ).returning(Registration.player_id)
        if (await self._session.execute(statement)).first() is None:
            return False
        await self._session.execute(
            update(Event)
            .where(Event.id == event_id)
            .values(participant_count=Event.participant_count + 1)
            .execution_options(synchronize_session=False)
        )
        return True

    async def exists(self, *, event_id: int, player_id: int) -> bool:
        statement = select(Registration.player_id).where(
            Registration.event_id == event_id, Registration.player_id == player_id
        )
        return (await self._session.execute(statement)).first() is not None

    async def held(self, event_id: int, player_ids: Sequence[int]) -> dict[int, int]:
        """How many ballots of the event each of these players held (by the registrations' key)."""
        if not player_ids:
            return {}
        statement = select(Registration.player_id, Registration.ballots).where(
            Registration.event_id == event_id, Registration.player_id.in_(player_ids)
        )
        return {player_id: ballots for player_id, ballots in (await self._session.execute(statement)).all()}

    async def count(self, event_id: int) -> int:
        statement = select(func.count()).select_from(Registration).where(Registration.event_id == event_id)
        return (await self._session.execute(statement)).scalar_one()
