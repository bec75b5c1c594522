"""What every use case needs: the database, the rules, the clock and the payment gateway."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from core.clock import Clock
from core.errors import NotRegistered
from core.gateway import PaymentGateway
from core.results import EventInfo, EventStatus, Profile, PublicName
from core.rules import LotteryRules
from storage import Database, UnitOfWork
from storage.joining import NewEvent
from storage.models import Event, Player
from storage.reads import EventRow, TodaysBallots


@dataclass(frozen=True)
class Context:
    db: Database
    rules: LotteryRules
    clock: Clock
    gateway: PaymentGateway

    def today(self, now: dt.datetime | None = None) -> dt.date:
        return self.rules.day_of(now or self.clock.now())

    def new_event(self, day: dt.date) -> NewEvent:
        """The terms the event of `day` is made with when it is first needed."""
        return NewEvent(self.rules.default_title(day), self.rules.ballot_price, self.rules.currency)

    async def event_of(self, uow: UnitOfWork, day: dt.date, now: dt.datetime) -> Event:
        """The event of `day`, made on demand: each day's event exists without anyone creating it."""
        event = await uow.events.on_day(day)
        if event is None:
            await uow.events.add_if_missing(
                day=day,
                title=self.rules.default_title(day),
                price=self.rules.ballot_price,
                currency=self.rules.currency,
                now=now,
            )
            event = await uow.events.on_day(day)
            assert event is not None, "the event of the day exists once added"
        return event


async def player_of(uow: UnitOfWork, telegram_id: int) -> Player:
    player = await uow.players.by_telegram_id(telegram_id)
    if player is None:
        raise NotRegistered(telegram_id)
    return player


class _EventFields(Protocol):
    """What an event says of itself, whether a mapped `Event` or a `storage.reads` row."""

    @property
    def id(self) -> int: ...
    @property
    def day(self) -> dt.date: ...
    @property
    def title(self) -> str: ...
    @property
    def price(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def ballot_count(self) -> int: ...
    @property
    def winning_number(self) -> int | None: ...


def event_info(event: _EventFields, *, participants: int = 0) -> EventInfo:
    return EventInfo(
        id=event.id,
        day=event.day,
        title=event.title,
        price=event.price,
        currency=event.currency,
        status=EventStatus(event.status),
        ballot_count=event.ballot_count,
        winning_number=event.winning_number,
        participants=participants,
    )


def event_row_info(event: EventRow) -> EventInfo:
    """An event as storage.reads found it, in core's terms."""
    return event_info(event, participants=event.participants)


def profile_of(telegram_id: int, found: TodaysBallots, rules: LotteryRules) -> Profile:
    player = found.player
    event = found.event
    return Profile(
        telegram_id=telegram_id,
        username=player.username,
        first_name=player.first_name,
        email=player.email,
        balance=player.balance,
        currency=rules.currency,
        today_ballots=tuple(number for number, _ in found.first),
        today_ballot_count=found.held,
        public_name=PublicName(player.public_name),
        today_prize=rules.prize() if event is None else rules.prize(event.prize, event.prize_rules),
    )


def public_name(first_name: str | None, username: str | None, choice: str | None) -> str | None:
    """First name only unless the player opted in to their @username: never the @username alone,
    since Telegram users can be found by it."""
    if choice == PublicName.ANONYMOUS or not first_name:
        return None
    if choice == PublicName.FIRST_NAME_AND_USERNAME and username:
        return f"{first_name} (@{username})"
    return first_name
