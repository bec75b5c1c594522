"""Admins' event management: create ahead, edit and delete while unsold, cancel with refunds."""

from __future__ import annotations

import datetime as dt

import pytest

from core.errors import (
    EventAlreadyExists,
    EventNotEditable,
    InvalidEventDate,
    InvalidPrice,
    NoEventOnDate,
)
from core.results import EventStatus, LedgerKind
from core.service import LotteryService
from storage import Database
from storage.events import Events
from tests.core.players import joined_player
from tests.core.test_wallet import assert_books_balance

TODAY = dt.date(2024, 5, 1)
TOMORROW = dt.date(2024, 5, 2)


async def test_create_an_event_ahead_with_its_own_terms(service: LotteryService) -> None:
    created = await service.events.create(TOMORROW, price=25, title="Spring special")
    assert (created.day, created.price, created.title, created.status) == (
        TOMORROW,
        25,
        "Spring special",
        EventStatus.OPEN,
    )
    with pytest.raises(EventAlreadyExists):
        await service.events.create(TOMORROW)
    with pytest.raises(InvalidEventDate):
        await service.events.create(dt.date(2024, 4, 30))
    with pytest.raises(InvalidPrice):
        await service.events.create(dt.date(2024, 5, 3), price=0)
    overview = await service.events.overview()
    assert [e.day for e in overview] == [TOMORROW, TODAY]


async def test_terms_can_change_only_while_nothing_is_sold(service: LotteryService) -> None:
    edited = await service.events.edit(TODAY, title="Renamed", price=15)
    assert (edited.title, edited.price) == ("Renamed", 15)
    ann = await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(ann, 1)
    with pytest.raises(EventNotEditable, match="ballots have been sold"):
        await service.events.edit(TODAY, price=1)
    with pytest.raises(EventNotEditable):
        await service.events.delete(TODAY)
    assert (await service.events.on_day(TODAY)).price == 15


async def test_delete_an_unsold_event(service: LotteryService) -> None:
    await service.events.create(TOMORROW)
    await service.events.delete(TOMORROW)
    with pytest.raises(NoEventOnDate):
        await service.events.on_day(TOMORROW)
    with pytest.raises(NoEventOnDate):
        await service.events.delete(TOMORROW)


async def test_cancelling_gives_every_ballot_back_as_credit(service: LotteryService, db: Database) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    bob = await joined_player(service, 2, paid_ballots=1)
    await service.tickets.buy(ann, 3)
    await service.tickets.buy(bob, 1)

    result = await service.events.cancel(TODAY)

    assert (result.refunded_players, result.refunded_amount) == (2, 40)
    assert (await service.players.profile(ann)).balance == 30
    assert (await service.players.profile(bob)).balance == 10
    assert (await service.wallet.history(ann)).ledger[0].kind is LedgerKind.EVENT_CANCELLED
    assert (await service.events.on_day(TODAY)).status is EventStatus.CANCELLED
    with pytest.raises(EventNotEditable):
        await service.events.cancel(TODAY)
    assert await service.closing.close_open_events() == []
    await assert_books_balance(db)


async def test_stats_add_up(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(ann, 2)
    stats = await service.events.stats()
    assert (stats.players, stats.ballots, stats.paid_in, stats.credit_outstanding) == (1, 2, 30, 10)


async def test_cancel_refunds_what_was_paid_even_if_the_terms_changed_meanwhile(
    service: LotteryService, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a price edit and a purchase can commit between the cancel's first read and its
    claim; the refund must follow the money, not the price the cancel saw first."""
    if db.dialect == "sqlite":
        pytest.skip("SQLite runs the cancel's whole transaction alone (BEGIN IMMEDIATE): no gap to race in")
    ann = await joined_player(service, 1, paid_ballots=10)
    original_claim = Events.claim_cancel

    async def claim_after_a_sale(self: Events, event_id: int, *, now: dt.datetime) -> bool:
        await service.events.edit(TODAY, price=50)
        await service.tickets.buy(ann, 2)
        return await original_claim(self, event_id, now=now)

    monkeypatch.setattr(Events, "claim_cancel", claim_after_a_sale)
    result = await service.events.cancel(TODAY)

    assert result.refunded_amount == 100
    assert (await service.players.profile(ann)).balance == 100
    await assert_books_balance(db)
