"""Managing lottery events: today's, the list, and the admins' create, edit, delete and cancel."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

from core.context import Context, event_info, event_row_info
from core.errors import EventAlreadyExists, EventNotEditable, InvalidEventDate, NoEventOnDate
from core.results import CancelResult, EventInfo, EventStatus, LedgerKind, Stats
from core.rules import validate_price, validate_prize_text, validate_title
from storage import UnitOfWork, joining, reads
from storage.models import Event


class EventCalendar:
    def __init__(self, context: Context) -> None:
        self._ctx = context

    async def today(self) -> EventInfo:
        """Today's event, read without writing; made (one writing trip) only the first time it is needed."""
        now = self._ctx.clock.now()
        day = self._ctx.today(now)
        event = await self._ctx.db.read(lambda query: reads.event_on(query, day))
        if event is None:
            event = await self._made(day, now)
        return self._row_info(event)

    async def due_to_close(self) -> list[EventInfo]:
        """Every open event up to today, oldest first: exactly what an admin's /close would close,
        however old (a day whose close failed stays open until it is mended)."""
        today = self._ctx.today()
        async with self._ctx.db.snapshot() as uow:
            events = await uow.events.open_events_until(today)
        return [event_info(event) for event in events]

    async def overview(self, *, past: int = 5, upcoming: int = 5) -> list[EventInfo]:
        """Upcoming events, today's and the last few, newest first: one read, which writes nothing
        unless today's event has yet to be made."""
        now = self._ctx.clock.now()
        day = self._ctx.today(now)

        def around(query: reads.Query) -> Coroutine[Any, Any, list[reads.EventRow]]:
            return reads.events_around(query, day, past=past, upcoming=upcoming)

        listing = await self._ctx.db.read(around)
        if all(event.day != day for event in listing):
            await self._made(day, now)
            listing = await self._ctx.db.read(around)
        return [self._row_info(event) for event in listing]

    def _row_info(self, event: reads.EventRow) -> EventInfo:
        return replace(event_row_info(event), prize=self._ctx.rules.prize(event.prize, event.prize_rules))

    def _info(self, event: Event, *, participants: int = 0) -> EventInfo:
        prize = self._ctx.rules.prize(event.prize, event.prize_rules)
        return replace(event_info(event, participants=participants), prize=prize)

    async def _made(self, day: dt.date, now: dt.datetime) -> reads.EventRow:
        terms = self._ctx.new_event(day)
        return await self._ctx.db.write(
            lambda query: joining.event_of_day(query, day=day, terms=terms, now=now)
        )

    async def on_day(self, day: dt.date) -> EventInfo:
        async with self._ctx.db.transaction() as uow:
            event = await self._event_on(uow, day)
        return self._info(event, participants=event.participant_count)

    async def create(self, day: dt.date, *, price: int | None = None, title: str | None = None) -> EventInfo:
        """Create the event of a day that has not begun yet (or of today, before anyone needed it)."""
        rules = self._ctx.rules
        now = self._ctx.clock.now()
        today = rules.day_of(now)
        if day < today:
            raise InvalidEventDate(day, today)
        price = validate_price(rules.ballot_price if price is None else price)
        title = validate_title(rules.default_title(day) if title is None else title)
        async with self._ctx.db.transaction() as uow:
            created = await uow.events.add_if_missing(
                day=day, title=title, price=price, currency=rules.currency, now=now
            )
            if not created:
                raise EventAlreadyExists(day)
            event = await self._event_on(uow, day)
        return self._info(event)

    async def edit(self, day: dt.date, *, title: str | None = None, price: int | None = None) -> EventInfo:
        """Change an event's terms while no ballot has been sold at the old ones."""
        return await self._edit_unsold(
            day,
            lambda event: {
                "title": event.title if title is None else validate_title(title),
                "price": event.price if price is None else validate_price(price),
            },
        )

    async def edit_prize(
        self, day: dt.date, *, prize: str | None = None, rules: str | None = None
    ) -> EventInfo:
        """Give an event its own prize or rules line, while no ballot has been sold at the old ones."""
        return await self._edit_unsold(
            day,
            lambda event: {
                "prize": event.prize if prize is None else validate_prize_text(prize),
                "prize_rules": event.prize_rules if rules is None else validate_prize_text(rules),
            },
        )

    async def _edit_unsold(self, day: dt.date, terms: Callable[[Event], dict[str, object]]) -> EventInfo:
        """The day's event with `terms(event)` written, refused once a ballot is sold or it is closed."""
        async with self._ctx.db.transaction() as uow:
            event = await self._event_on(uow, day)
            if not await uow.events.edit_unsold(event.id, **terms(event)):
                raise EventNotEditable(day, _frozen_reason(event))
            await uow.session.refresh(event)
        return self._info(event)

    async def delete(self, day: dt.date) -> None:
        async with self._ctx.db.transaction() as uow:
            event = await self._event_on(uow, day)
            if not await uow.events.delete_unsold(event.id):
                raise EventNotEditable(day, _frozen_reason(event))

    async def cancel(self, day: dt.date) -> CancelResult:
        """Cancel an open event: what each player spent on its ballots goes back to their credit.

        The refunds come from the ledger's purchase entries, read after the cancel has won the event:
        a price read earlier could be stale (terms may change while nothing is sold).
        """
        now = self._ctx.clock.now()
        async with self._ctx.db.transaction() as uow:
            event = await self._event_on(uow, day)
            if not await uow.events.claim_cancel(event.id, now=now):
                raise EventNotEditable(day, "it is not open")
            refunds = [(player_id, -spent) for player_id, spent in await uow.ledger.purchases_on(event.id)]
            for player_id, amount in refunds:
                await uow.players.credit(player_id, amount)
            await uow.ledger.append_many(
                [
                    {
                        "player_id": player_id,
                        "kind": LedgerKind.EVENT_CANCELLED.value,
                        "amount": amount,
                        "event_id": event.id,
                        "created_at": now,
                    }
                    for player_id, amount in refunds
                ]
            )
            await uow.outbox.add_for_participants(kind="cancelled", event_id=event.id, now=now)
        return CancelResult(
            day=day,
            refunded_players=len(refunds),
            refunded_amount=sum(amount for _, amount in refunds),
        )

    async def _event_on(self, uow: UnitOfWork, day: dt.date) -> Event:
        """The event of `day`; today's always exists, since it is made the first time it is needed."""
        now = self._ctx.clock.now()
        if day == self._ctx.today(now):
            return await self._ctx.event_of(uow, day, now)
        event = await uow.events.on_day(day)
        if event is None:
            raise NoEventOnDate(day)
        return event

    async def stats(self) -> Stats:
        """The totals in one statement, each from an index or the events table, never from ballots."""
        totals = await self._ctx.db.read(reads.totals)
        return Stats(
            players=totals.players,
            events=totals.events,
            open_events=totals.open_events,
            ballots=totals.ballots,
            paid_in=totals.paid_in,
            refunded=totals.refunded,
            credit_outstanding=totals.credit_outstanding,
            currency=self._ctx.rules.currency,
        )


def _frozen_reason(event: Event) -> str:
    if event.status != EventStatus.OPEN:
        return f"it is {event.status}"
    return "ballots have been sold"
