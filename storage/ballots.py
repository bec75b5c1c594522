"""Ballots: numbered densely per event, found by `(event, number)`; they are issued by storage.purchases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Ballot, Event


class Ballots:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def owner_of(self, *, event_id: int, number: int) -> int:
        """The player holding ballot `number`: one index lookup, however many ballots there are."""
        statement = select(Ballot.player_id).where(Ballot.event_id == event_id, Ballot.number == number)
        return (await self._session.execute(statement)).scalar_one()

    async def numbers(self, *, event_id: int, player_id: int) -> list[int]:
        statement = (
            select(Ballot.number)
            .where(Ballot.event_id == event_id, Ballot.player_id == player_id)
            .order_by(Ballot.number)
        )
        return list((await self._session.scalars(statement)).all())

    async def held_by(self, player_id: int) -> Sequence[Row[dt.date, str, int | None, int]]:
        """(day, status, winning number, ballot number) of every ballot held, newest event first."""
        statement = (
            select(Event.day, Event.status, Event.winning_number, Ballot.number)
            .join(Event, Event.id == Ballot.event_id)
            .where(Ballot.player_id == player_id)
            .order_by(Event.day.desc(), Ballot.number)
        )
        return (await self._session.execute(statement)).all()

    async def receipts(self, *, event_id: int, player_id: int) -> Sequence[Row[int, str | None]]:
        """(number, receipt) of the player's ballots in one event, in number order."""
        statement = (
            select(Ballot.number, Ballot.receipt)
            .where(Ballot.event_id == event_id, Ballot.player_id == player_id)
            .order_by(Ballot.number)
        )
        return (await self._session.execute(statement)).all()

    async def one(self, *, event_id: int, number: int) -> Row[int, str | None] | None:
        """(holder, receipt) of ballot `number`, or None when no such ballot was sold."""
        statement = select(Ballot.player_id, Ballot.receipt).where(
            Ballot.event_id == event_id, Ballot.number == number
        )
        return (await self._session.execute(statement)).first()

    async def all_receipts(self, *, event_id: int) -> Sequence[Row[int, str | None]]:
        """(number, receipt) of every ballot in number order, in one query: the Merkle root's input."""
        statement = (
            select(Ballot.number, Ballot.receipt).where(Ballot.event_id == event_id).order_by(Ballot.number)
        )
        return (await self._session.execute(statement)).all()

    async def count(self) -> int:
        statement = select(func.count()).select_from(Ballot)
        return (await self._session.execute(statement)).scalar_one()
