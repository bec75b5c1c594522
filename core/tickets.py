"""Taking part in today's event: joining it and buying ballots with credit."""

from __future__ import annotations

import datetime as dt

from core.context import Context, event_info, player_of
from core.errors import EventClosed, NotEnoughCredit, NotJoined
from core.results import EventStatus, JoinResult, LedgerKind, PurchaseReceipt
from storage import UnitOfWork


class Tickets:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def join(self, telegram_id: int) -> JoinResult:
        """Enter today's event; joining twice is harmless."""
        now = self._ctx.clock.now()
        day = self._ctx.today(now)
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            event = await self._ctx.event_of(uow, day, now)
            if event.status != EventStatus.OPEN:
                raise EventClosed(day, self._ctx.rules.end_of(day))
            newly_joined = await uow.registrations.add(event_id=event.id, player_id=player.id, now=now)
            participants = await uow.registrations.count(event.id)
        return JoinResult(event=event_info(event, participants=participants), newly_joined=newly_joined)

    async def buy(self, telegram_id: int, quantity: int) -> PurchaseReceipt:
        """Turn credit into `quantity` ballots of today's event, numbered next in line.

        One transaction: reserve the numbers (guarded by the event being open and the player having
        joined), debit the credit (guarded by the balance covering it), insert the ballots in bulk and
        write the ledger entry. Any guard failing rolls all of it back, so no ballot exists unpaid.
        """
        rules = self._ctx.rules
        rules.check_quantity(quantity)
        now = self._ctx.clock.now()
        day = rules.day_of(now)
        async with self._ctx.db.transaction() as uow:
            reservation = await uow.events.reserve_numbers(
                day=day, telegram_id=telegram_id, quantity=quantity
            )
            if reservation is None:
                # The event may just have been made, or joined, by a racing transaction: look once more.
                await self._refuse_if_not_open(uow, telegram_id, day, now)
                reservation = await uow.events.reserve_numbers(
                    day=day, telegram_id=telegram_id, quantity=quantity
                )
                if reservation is None:
                    raise RuntimeError("a purchase of an open, joined event was refused twice")
            cost = quantity * reservation.price
            debited = await uow.players.debit_by_telegram_id(telegram_id, cost)
            if debited is None:
                player = await player_of(uow, telegram_id)
                raise NotEnoughCredit(cost, player.balance, reservation.currency)
            player_id, balance = debited
            await uow.ballots.issue(
                event_id=reservation.event_id,
                player_id=player_id,
                first=reservation.first,
                last=reservation.last,
                now=now,
            )
            await uow.ledger.append(
                player_id=player_id,
                kind=LedgerKind.PURCHASE,
                amount=-cost,
                quantity=quantity,
                event_id=reservation.event_id,
                now=now,
            )
        return PurchaseReceipt(
            day=day,
            numbers=range(reservation.first, reservation.last + 1),
            spent=cost,
            balance=balance,
            currency=reservation.currency,
        )

    async def _refuse_if_not_open(
        self, uow: UnitOfWork, telegram_id: int, day: dt.date, now: dt.datetime
    ) -> None:
        """Raise the error the player should see for the guard that stopped a purchase."""
        player = await player_of(uow, telegram_id)
        event = await self._ctx.event_of(uow, day, now)
        if event.status != EventStatus.OPEN:
            raise EventClosed(day, self._ctx.rules.end_of(day))
        if not await uow.registrations.exists(event_id=event.id, player_id=player.id):
            raise NotJoined(day)
