"""Taking part in today's event: joining it and buying ballots with credit."""

from __future__ import annotations

import datetime as dt

from core.context import Context, event_row_info, player_of
from core.errors import EventClosed, NotEnoughCredit, NotRegistered
from core.results import EventStatus, JoinResult, PurchaseReceipt
from storage import hot_writes, joining
from storage.purchases import NotReserved, Unaffordable


class Tickets:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def join(self, telegram_id: int) -> JoinResult:
        """Enter today's event; joining twice is harmless.

        One transaction in one trip (storage.joining; on PostgreSQL one call of `lottery_join`, see
        storage.postgres); the participant count is kept on the event, raised by the registration that
        adds a player, never recounted.
        """
        now = self._ctx.clock.now()
        day = self._ctx.today(now)
        terms = self._ctx.new_event(day)
        outcome = await self._ctx.db.hot(
            hot_writes.JOIN, telegram_id=telegram_id, day=day, terms=terms, now=now
        )
        if isinstance(outcome, joining.Unknown):
            raise NotRegistered(telegram_id)
        if isinstance(outcome, joining.Closed):
            raise EventClosed(day, self._ctx.rules.end_of(day))
        return JoinResult(event=event_row_info(outcome.event), newly_joined=outcome.newly_joined)

    async def buy(self, telegram_id: int, quantity: int) -> PurchaseReceipt:
        """Turn credit into `quantity` ballots of today's event, numbered next in line.

        One transaction (storage.purchases; on PostgreSQL one call of `lottery_buy`, see storage.postgres):
        reserve the numbers (guarded by the event being open and
        the player having joined), debit the credit (guarded by the balance covering it), insert the
        ballots in bulk and write the ledger entry. A failing guard rolls all of it back, so no ballot
        exists unpaid; only then does the slow path look up which guard it was.
        """
        rules = self._ctx.rules
        rules.check_quantity(quantity)
        now = self._ctx.clock.now()
        day = rules.day_of(now)
        outcome = await self._ctx.db.buy_ballots(day=day, telegram_id=telegram_id, quantity=quantity, now=now)
        if isinstance(outcome, NotReserved):
            # Find out which guard failed: a closed event is refused; a player who has not joined joins
            # now (buying is joining), and the purchase is tried once more. This path costs the hot
            # path nothing: only a player's first purchase of the day comes here.
            await self._join_or_refuse(telegram_id, day, now, quantity)
            outcome = await self._ctx.db.buy_ballots(
                day=day, telegram_id=telegram_id, quantity=quantity, now=now
            )
        if isinstance(outcome, Unaffordable):
            async with self._ctx.db.snapshot() as uow:
                player = await player_of(uow, telegram_id)
            raise NotEnoughCredit(outcome.cost, player.balance, outcome.currency)
        if isinstance(outcome, NotReserved):
            raise RuntimeError("a purchase of an open, joined event was refused twice")
        return PurchaseReceipt(
            day=day,
            numbers=range(outcome.first, outcome.last + 1),
            spent=outcome.price * quantity,
            balance=outcome.balance,
            currency=outcome.currency,
            affordable=rules.affordable(outcome.balance, outcome.price),
            prize=rules.prize(outcome.prize, outcome.prize_rules),
        )

    async def _join_or_refuse(self, telegram_id: int, day: dt.date, now: dt.datetime, quantity: int) -> None:
        """Raise the error the player should see for the guard that stopped a purchase, or join
        the player to today's open event so that the purchase can go through. A purchase the
        balance cannot cover joins nobody: a refused /buy must not make its player a participant."""
        async with self._ctx.db.transaction() as uow:
            player = await player_of(uow, telegram_id)
            event = await self._ctx.event_of(uow, day, now)
            if event.status != EventStatus.OPEN:
                raise EventClosed(day, self._ctx.rules.end_of(day))
            if player.balance < event.price * quantity:
                raise NotEnoughCredit(event.price * quantity, player.balance, event.currency)
            await uow.registrations.add(event_id=event.id, player_id=player.id, now=now)
