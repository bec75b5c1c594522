"""Payments and the ledger: every movement of credit is an entry; the balance is their sum."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import Event, LedgerEntry, Payment


class Payments:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_new(
        self,
        *,
        player_id: int,
        provider: str,
        charge_id: str,
        amount: int,
        currency: str,
        now: dt.datetime,
    ) -> int | None:
        """Record a charge once: its new id, or None when the charge id was recorded before."""
        statement = insert_ignoring_conflicts(
            self._session,
            Payment,
            values={
                "player_id": player_id,
                "provider": provider,
                "charge_id": charge_id,
                "amount": amount,
                "currency": currency,
                "status": "credited",
                "created_at": now,
            },
            conflict_columns=["charge_id"],
        ).returning(Payment.id)
        return (await self._session.execute(statement)).scalar_one_or_none()

    async def by_charge_id(self, charge_id: str) -> Payment | None:
        result = await self._session.scalars(select(Payment).where(Payment.charge_id == charge_id))
        return result.one_or_none()

    async def by_id(self, payment_id: int) -> Payment | None:
        return await self._session.get(Payment, payment_id)

    async def credited_to(self, player_id: int) -> Sequence[Payment]:
        result = await self._session.scalars(
            select(Payment)
            .where(Payment.player_id == player_id, Payment.status == "credited")
            .order_by(Payment.id.desc())
        )
        return result.all()

    async def claim_refund(self, payment_id: int, *, player_id: int) -> int | None:
        """Mark a credited payment as being refunded; its amount if this caller won, else None."""
        result = await self._session.execute(
            update(Payment)
            .where(
                Payment.id == payment_id,
                Payment.player_id == player_id,
                Payment.status == "credited",
            )
            .values(status="refunding")
            .returning(Payment.amount)
        )
        return result.scalar_one_or_none()

    async def settle_refund(self, payment_id: int, *, refunded: bool, now: dt.datetime) -> None:
        """Finish a refund the provider confirmed, or put the payment back when it refused."""
        values = {"status": "refunded", "refunded_at": now} if refunded else {"status": "credited"}
        await self._session.execute(
            update(Payment).where(Payment.id == payment_id, Payment.status == "refunding").values(**values)
        )

    async def total(self, *, status: str | None = None) -> int:
        statement = select(func.coalesce(func.sum(Payment.amount), 0))
        if status is not None:
            statement = statement.where(Payment.status == status)
        return int((await self._session.execute(statement)).scalar_one())


class Ledger:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def append(
        self,
        *,
        player_id: int,
        kind: str,
        amount: int,
        now: dt.datetime,
        quantity: int | None = None,
        payment_id: int | None = None,
        event_id: int | None = None,
    ) -> None:
        await self._session.execute(
            insert(LedgerEntry).values(
                player_id=player_id,
                kind=kind,
                amount=amount,
                quantity=quantity,
                payment_id=payment_id,
                event_id=event_id,
                created_at=now,
            )
        )

    async def append_many(self, entries: Sequence[dict[str, object]]) -> None:
        if entries:
            await self._session.execute(insert(LedgerEntry), list(entries))

    async def purchases_on(self, event_id: int) -> Sequence[Row[int, int]]:
        """(player id, total spent, negative) on the event's ballots, per player."""
        statement = (
            select(LedgerEntry.player_id, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.event_id == event_id, LedgerEntry.kind == "purchase")
            .group_by(LedgerEntry.player_id)
        )
        return (await self._session.execute(statement)).all()

    async def entries(self, player_id: int) -> Sequence[Row[LedgerEntry, dt.date | None]]:
        """The player's entries, newest first, each with the day of the event it concerns."""
        statement = (
            select(LedgerEntry, Event.day)
            .outerjoin(Event, Event.id == LedgerEntry.event_id)
            .where(LedgerEntry.player_id == player_id)
            .order_by(LedgerEntry.id.desc())
        )
        return (await self._session.execute(statement)).all()
