"""Closing and drawing: one draw per event, never half-closed, winners told through the outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, select

from core import verify
from core.clock import FixedClock
from core.errors import NoEventOnDate
from core.results import EventStatus
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from storage.models import Ballot, Event
from storage.outbox import Outbox
from tests.core.players import joined_player

MAY_1 = dt.date(2024, 5, 1)


async def test_closing_draws_one_of_the_ballots_and_queues_the_news(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    bob = await joined_player(service, 2, paid_ballots=2)
    carol = await joined_player(service, 3)
    await service.players.set_email(ann, "ann@example.com")
    await service.players.set_email(bob, "bob@example.com")
    await service.tickets.buy(ann, 3)
    await service.tickets.buy(bob, 2)

    [result] = await service.closing.close_open_events()

    assert result.day == MAY_1
    assert result.ballot_count == 5
    assert result.winning_number is not None
    expected_winner = ann if result.winning_number <= 3 else bob
    assert result.winner_telegram_id == expected_winner
    async with db.snapshot() as uow:
        event = (await uow.session.execute(select(Event))).scalar_one()
        owner = await uow.ballots.owner_of(event_id=event.id, number=result.winning_number)
        messages = await uow.outbox.for_event(event.id)
    # The draw is a pure function of the public record: the standalone verifier recomputes it.
    record = await service.closing.record_on(MAY_1)
    assert record is not None
    assert record.winning_number == event.winning_number == result.winning_number
    assert verify.problems(record.as_json(), None) == []
    assert event.winner_player_id == owner
    loser = bob if expected_winner == ann else ann
    assert sorted((m.kind, m.channel, m.recipient) for m in messages) == sorted(
        [
            ("winner", "telegram", str(expected_winner)),
            ("winner", "email", "ann@example.com" if expected_winner == ann else "bob@example.com"),
            ("result", "telegram", str(loser)),
            ("result", "telegram", str(carol)),
        ]
    )


async def test_an_event_without_ballots_closes_without_a_winner(service: LotteryService) -> None:
    await joined_player(service, 1)
    [result] = await service.closing.close_open_events()
    assert result.ballot_count == 0
    assert result.winning_number is None
    info = await service.closing.winner_on(MAY_1)
    assert info.status is EventStatus.CLOSED
    assert not info.drawn


async def test_closing_twice_draws_once(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)
    first = await service.closing.close_open_events()
    second = await service.closing.close_open_events()
    assert len(first) == 1
    assert second == []


async def test_racing_closers_draw_once(service: LotteryService, db: Database, clock: FixedClock) -> None:
    for telegram_id in range(1, 6):
        buyer = await joined_player(service, telegram_id, paid_ballots=2)
        await service.tickets.buy(buyer, 2)
    event = await service.events.today()
    closers = [service.closing.close_event(event.id, clock.now()) for _ in range(8)]
    results = await asyncio.gather(*closers)
    drawn = [r for r in results if r is not None]
    assert len(drawn) == 1
    info = await service.closing.winner_on(MAY_1)
    assert info.winning_number == drawn[0].winning_number
    async with db.snapshot() as uow:
        assert len([m for m in await uow.outbox.for_event(event.id) if m.kind == "winner"]) == 1


async def test_a_crash_during_a_draw_leaves_the_record_frozen_and_draws_it_next_time(
    service: LotteryService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    await service.tickets.buy(ann, 2)

    async def crash(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the process died while queueing notifications")

    with monkeypatch.context() as patch:
        patch.setattr(Outbox, "add_for_participants", crash)
        [frozen] = await service.closing.close_open_events()

    assert frozen.winning_number is None
    assert frozen.waiting_for_round == 0
    info = await service.closing.winner_on(MAY_1)
    assert info.status is EventStatus.CLOSED
    assert info.winning_number is None
    record = await service.closing.record_on(MAY_1)
    assert record is not None
    assert not record.drawn
    async with db.snapshot() as uow:
        event = (await uow.session.execute(select(Event))).scalar_one()
        assert event.winner_player_id is None
        assert await uow.outbox.for_event(event.id) == []
    [result] = await service.closing.draw_due()
    assert result.winning_number in (1, 2)
    assert await service.closing.draw_due() == []


async def test_a_crash_during_a_freeze_leaves_the_event_open(
    service: LotteryService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    await service.tickets.buy(ann, 2)

    async def crash(*args: object, **kwargs: object) -> None:
        raise ConnectionError("the process died while storing the record")

    with monkeypatch.context() as patch:
        patch.setattr("storage.records.DrawRecords.add_frozen", crash)
        with pytest.raises(ConnectionError):
            await service.closing.close_open_events()

    assert (await service.closing.winner_on(MAY_1)).status is EventStatus.OPEN
    assert await service.closing.record_on(MAY_1) is None
    [result] = await service.closing.close_open_events()
    assert result.winning_number in (1, 2)


async def test_due_events_close_when_their_day_ends_in_the_lottery_time_zone(db: Database) -> None:
    clock = FixedClock(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))
    berlin = LotteryService(db, rules=LotteryRules(timezone=ZoneInfo("Europe/Berlin")), clock=clock)
    ann = await joined_player(berlin, 1, paid_ballots=1)
    await berlin.tickets.buy(ann, 1)

    assert await berlin.closing.close_due_events(dt.datetime(2024, 5, 1, 21, 59, tzinfo=dt.UTC)) == []
    [result] = await berlin.closing.close_due_events(dt.datetime(2024, 5, 1, 22, 0, tzinfo=dt.UTC))
    assert result.day == MAY_1
    assert result.winning_number == 1
    # The next day's event is open at once, without anyone asking for it.
    assert (await berlin.events.on_day(dt.date(2024, 5, 2))).status is EventStatus.OPEN


async def test_catching_up_after_downtime_closes_every_missed_day(
    service: LotteryService, clock: FixedClock
) -> None:
    for _ in range(3):
        ann = await joined_player(service, 1, paid_ballots=1)
        await service.tickets.buy(ann, 1)
        clock.advance(dt.timedelta(days=1))
    results = await service.closing.close_due_events()
    assert [r.day for r in results] == [MAY_1, dt.date(2024, 5, 2), dt.date(2024, 5, 3)]
    assert all(r.winning_number == 1 for r in results)


async def test_winner_by_date(service: LotteryService) -> None:
    with pytest.raises(NoEventOnDate):
        await service.closing.winner_on(dt.date(2023, 1, 1))
    assert await service.closing.latest_winner() is None
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)
    before = await service.closing.winner_on(MAY_1)
    assert not before.drawn
    await service.closing.close_open_events()
    after = await service.closing.winner_on(MAY_1)
    assert (after.winning_number, after.winner_name, after.ballot_count) == (1, "Ann", 1)
    latest = await service.closing.latest_winner()
    assert latest == after


async def test_a_deleted_winner_stays_anonymous(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)
    await service.closing.close_open_events()
    await service.players.delete(ann)
    info = await service.closing.winner_on(MAY_1)
    assert info.winning_number == 1
    assert info.winner_name is None  # the front end says "a player"


async def test_the_winner_is_found_by_number_not_by_loading_ballots(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=50)
    bob = await joined_player(service, 2, paid_ballots=50)
    await service.tickets.buy(ann, 50)
    await service.tickets.buy(bob, 50)
    [result] = await service.closing.close_open_events()
    async with db.snapshot() as uow:
        holder = (
            await uow.session.execute(select(Ballot.player_id).where(Ballot.number == result.winning_number))
        ).scalar_one()
        winner = await uow.players.by_id(holder)
    assert winner is not None
    assert winner.telegram_id == result.winner_telegram_id


async def test_an_event_that_cannot_be_drawn_holds_up_no_other(
    service: LotteryService, clock: FixedClock, db: Database
) -> None:
    for _ in range(2):
        ann = await joined_player(service, 1, paid_ballots=1)
        await service.tickets.buy(ann, 1)
        clock.advance(dt.timedelta(days=1))
    # Break May 1: its count says one ballot was sold, but the ballot row is gone, so no owner is found.
    async with db.transaction() as uow:
        may_1 = await uow.events.on_day(MAY_1)
        assert may_1 is not None
        await uow.session.execute(delete(Ballot).where(Ballot.event_id == may_1.id))

    results = await service.closing.close_due_events()

    assert [r.day for r in results] == [dt.date(2024, 5, 2)]
    assert (await service.closing.winner_on(MAY_1)).status is EventStatus.OPEN
    assert (await service.events.on_day(dt.date(2024, 5, 3))).status is EventStatus.OPEN
    # It stays open to be tried again, and trying again still leaves the rest alone.
    assert await service.closing.close_due_events() == []


async def test_an_admin_close_still_draws_today_past_an_event_that_cannot_be_drawn(
    service: LotteryService, clock: FixedClock, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)
    async with db.transaction() as uow:
        may_1 = await uow.events.on_day(MAY_1)
        assert may_1 is not None
        await uow.session.execute(delete(Ballot).where(Ballot.event_id == may_1.id))
    # The day passes while the bot is down: May 1 is still open when the admin closes May 2 early.
    clock.advance(dt.timedelta(days=1))
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)

    with pytest.raises(RuntimeError, match="counts 1 ballots but stores 0"):
        await service.closing.close_open_events()

    assert (await service.closing.winner_on(dt.date(2024, 5, 2))).winning_number == 1
    assert (await service.closing.winner_on(MAY_1)).status is EventStatus.OPEN
