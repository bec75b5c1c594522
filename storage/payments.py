"""Payments and the ledger: every movement of credit is an entry; the balance is their sum."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Row, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.dialects import insert_ignoring_conflicts
from storage.models import Event, LedgerEntry, OrphanPayment, Payment
from storage.reads import Query, player


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

    async def claim_refund(self, payment_id: int, *, player_id: int, now: dt.datetime) -> int | None:
        """Mark a credited payment as being refunded; its amount if this caller won, else None."""
        result = await self._session.execute(
            update(Payment)
            .where(
                Payment.id == payment_id,
                Payment.player_id == player_id,
                Payment.status == "credited",
            )
            .values(status="refunding", refund_requested_at=now)
            .returning(Payment.amount)
        )
        return result.scalar_one_or_none()

    async def settle_refund(self, payment_id: int, *, refunded: bool, now: dt.datetime) -> bool:
        """Finish a refund the provider confirmed, or put the payment back when it refused.

        True only for the one caller that moved it out of "refunding": a handler and a reconciliation
        settling the same refund never both give the credit back.
        """
        values = {"status": "refunded", "refunded_at": now} if refunded else {"status": "credited"}
        result = await self._session.execute(
            update(Payment)
            .where(Payment.id == payment_id, Payment.status == "refunding")
            .values(**values)
            .returning(Payment.id)
        )
        return result.scalar_one_or_none() is not None

    async def refunding_since(self, before: dt.datetime) -> Sequence[Payment]:
        """Refunds of unknown outcome claimed before `before`: old enough that no call is in flight.

        A claim with no time is from before the time was kept, so it is old."""
        claimed_before = or_(Payment.refund_requested_at < before, Payment.refund_requested_at.is_(None))
        result = await self._session.scalars(
            select(Payment).where(Payment.status == "refunding", claimed_before).order_by(Payment.id)
        )
        return result.all()

    async def last_id(self) -> int:
        """The newest payment's id, 0 with none: a mark that later payments are above."""
        return int((await self._session.execute(select(func.coalesce(func.max(Payment.id), 0)))).scalar_one())

    async def known_charge_ids(self, charge_ids: Sequence[str]) -> set[str]:
        """Which of these charges are on record, as payments or as orphans."""
        if not charge_ids:
            return set()
        paid = await self._session.scalars(select(Payment.charge_id).where(Payment.charge_id.in_(charge_ids)))
        orphans = await self._session.scalars(
            select(OrphanPayment.charge_id).where(OrphanPayment.charge_id.in_(charge_ids))
        )
        return set(paid.all()) | set(orphans.all())

    async def of_provider(self, provider: str) -> Sequence[Payment]:
        result = await self._session.scalars(
            select(Payment).where(Payment.provider == provider).order_by(Payment.id)
        )
        return result.all()

    async def add_orphan_if_new(
        self,
        *,
        charge_id: str,
        telegram_id: int,
        amount: int,
        currency: str,
        payload: str,
        reason: str,
        now: dt.datetime,
    ) -> bool:
        """Keep a payment nobody could be credited for; True the first time this charge is kept."""
        statement = insert_ignoring_conflicts(
            self._session,
            OrphanPayment,
            values={
                "charge_id": charge_id,
                "telegram_id": telegram_id,
                "amount": amount,
                "currency": currency,
                "payload": payload[:128],
                "reason": reason,
                "created_at": now,
            },
            conflict_columns=["charge_id"],
        ).returning(OrphanPayment.id)
        return (await self._session.execute(statement)).scalar_one_or_none() is not None

    async def orphan_by_id(self, orphan_id: int) -> OrphanPayment | None:
        return await self._session.get(OrphanPayment, orphan_id)

    async def mark_orphan_refunded(self, orphan_id: int, *, now: dt.datetime) -> bool:
        """Note that Telegram gave an orphan payment back; True for the first caller only."""
        result = await self._session.execute(
            update(OrphanPayment)
            .where(OrphanPayment.id == orphan_id, OrphanPayment.refunded_at.is_(None))
            .values(refunded_at=now)
            .returning(OrphanPayment.id)
        )
        return result.scalar_one_or_none() is not None

    async def orphan(self, charge_id: str) -> OrphanPayment | None:
        result = await self._session.scalars(
            select(OrphanPayment).where(OrphanPayment.charge_id == charge_id)
        )
        return result.one_or_none()

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


# Crediting a charge in one trip to the database (storage.trips): the same guarded statements on both
# backends, run as one transaction. The payment row's unique charge id is the guard: only the caller
# whose insert adds the row credits the balance and writes the ledger entry, so recording the same
# charge twice (a retry, a redelivered update, two tasks at once) credits it once. On PostgreSQL the
# function `lottery_credit` (migration 0010, storage.postgres) runs these statements inside the server.
_ADD_PAYMENT = """
INSERT INTO payments (player_id, provider, charge_id, amount, currency, status, created_at)
VALUES (:player_id, :provider, :charge_id, :amount, :currency, 'credited', :now)
ON CONFLICT (charge_id) DO NOTHING RETURNING id
"""
# Guarded by the telegram id too: on PostgreSQL a /deleteme may commit between reading the payer and
# this statement, and a deleted player's row (anonymous, telegram id cleared) must never be credited.
_CREDIT = """
UPDATE players SET balance = balance + :amount
WHERE id = :player_id AND telegram_id = :telegram_id RETURNING balance
"""
_UNDO_PAYMENT = "DELETE FROM payments WHERE id = :payment_id"
_ORPHANED = "SELECT 1 FROM orphan_payments WHERE charge_id = :charge_id"
_PAYMENT_ENTRY = """
INSERT INTO ledger_entries (player_id, kind, amount, payment_id, created_at)
VALUES (:player_id, 'payment', :amount, :payment_id, :now)
"""
_KNOWN_CHARGE = """
SELECT payments.id, payments.amount, payments.currency, players.balance
FROM payments JOIN players ON players.id = :player_id
WHERE payments.charge_id = :charge_id
"""


@dataclass(frozen=True)
class Credited:
    """A charge on record: the payment, and the payer's balance once it is credited."""

    payment_id: int
    amount: int
    currency: str
    balance: int
    newly_credited: bool


async def credit_charge(
    query: Query,
    *,
    telegram_id: int,
    provider: str,
    charge_id: str,
    amount: int,
    currency: str,
    now: dt.datetime,
) -> Credited | None:
    """Record a provider's charge and credit it, exactly once; None when no player has `telegram_id`
    (or the payer is deleted meanwhile), or when the charge is kept as an orphan payment already.

    A charge recorded before is not credited again: its first record is returned, with the balance
    as it stands now. An orphan charge (its payer was no player when it was paid) is never credited
    later, say when the same update comes again after the payer registered: admins refund orphans by
    their charge id, and the money must not go out twice."""
    payer = await player(query, telegram_id)
    if payer is None or await query.row(_ORPHANED, {"charge_id": charge_id}) is not None:
        return None
    values = {"player_id": payer.id, "amount": amount, "now": now}
    added = await query.row(
        _ADD_PAYMENT, {**values, "provider": provider, "charge_id": charge_id, "currency": currency}
    )
    if added is None:
        known = await query.row(_KNOWN_CHARGE, {"player_id": payer.id, "charge_id": charge_id})
        assert known is not None, "a conflicting charge id is on record"
        payment_id, paid, paid_in, balance = known
        return Credited(int(payment_id), int(paid), paid_in, int(balance), newly_credited=False)
    credited = await query.row(_CREDIT, {**values, "telegram_id": telegram_id})
    if credited is None:
        await query.run(_UNDO_PAYMENT, {"payment_id": int(added[0])})
        return None
    await query.run(_PAYMENT_ENTRY, {**values, "payment_id": int(added[0])})
    return Credited(int(added[0]), amount, currency, int(credited[0]), newly_credited=True)
