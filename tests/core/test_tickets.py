"""Joining and buying: ballots only for paid credit, only while the event is open, numbered densely."""

from __future__ import annotations

import datetime as dt

import pytest

from core.clock import FixedClock
from core.errors import EventClosed, InvalidQuantity, NotEnoughCredit, NotRegistered
from core.service import LotteryService
from storage import Database
from tests.conftest import START
from tests.core.players import joined_player, player


async def test_buying_numbers_ballots_densely_across_players(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    bob = await joined_player(service, 2, paid_ballots=2)

    first = await service.tickets.buy(ann, 2)
    second = await service.tickets.buy(bob, 2)
    third = await service.tickets.buy(ann, 1)

    assert list(first.numbers) == [1, 2]
    assert list(second.numbers) == [3, 4]
    assert list(third.numbers) == [5]
    assert third.balance == 0
    assert (await service.players.profile(ann)).today_ballots == (1, 2, 5)


async def test_buying_spends_exactly_the_price(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=5)
    receipt = await service.tickets.buy(ann, 3)
    assert receipt.spent == 3 * service.rules.ballot_price
    assert receipt.balance == 2 * service.rules.ballot_price
    assert (await service.players.profile(ann)).balance == receipt.balance


async def test_no_ballot_without_payment(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    with pytest.raises(NotEnoughCredit) as refused:
        await service.tickets.buy(ann, 2)
    assert refused.value.needed == 20
    assert refused.value.available == 10
    assert (await service.events.today()).ballot_count == 0
    profile = await service.players.profile(ann)
    assert (profile.today_ballots, profile.today_ballot_count, profile.balance) == ((), 0, 10)
    assert [line.kind.value for line in (await service.history.page(ann)).ledger] == ["payment"]


async def test_the_receipt_names_the_prize_and_rules_of_the_day(service: LotteryService) -> None:
    await service.events.edit_prize(START.date(), prize="A weekend in Riga", rules="One win per person")
    ann = await joined_player(service, 1, paid_ballots=1)
    receipt = await service.tickets.buy(ann, 1)
    assert (receipt.prize.text, receipt.prize.rules) == ("A weekend in Riga", "One win per person")


async def test_an_unknown_player_joining_makes_no_event(service: LotteryService, db: Database) -> None:
    with pytest.raises(NotRegistered):
        await service.tickets.join(42)
    async with db.snapshot() as uow:
        assert await uow.events.on_day(START.date()) is None


async def test_buying_joins_todays_lottery(service: LotteryService) -> None:
    ann = await player(service, 1)
    await service.wallet.pay(ann, 1)
    assert (await service.events.today()).participants == 0
    receipt = await service.tickets.buy(ann, 1)
    assert receipt.numbers == range(1, 2)
    assert (await service.events.today()).participants == 1
    assert (await service.players.profile(ann)).balance == 0
    assert not (await service.tickets.join(ann)).newly_joined


async def test_a_purchase_the_credit_cannot_cover_joins_nobody(service: LotteryService) -> None:
    ann = await player(service, 1)
    with pytest.raises(NotEnoughCredit) as refused:
        await service.tickets.buy(ann, 1)
    assert (refused.value.needed, refused.value.available) == (10, 0)
    today = await service.events.today()
    assert (today.ballot_count, today.participants) == (0, 0)


async def test_unknown_player_cannot_buy_or_pay(service: LotteryService) -> None:
    with pytest.raises(NotRegistered):
        await service.tickets.buy(42, 1)
    with pytest.raises(NotRegistered):
        await service.wallet.pay(42, 1)
    with pytest.raises(NotRegistered):
        await service.tickets.join(42)


@pytest.mark.parametrize("quantity", [0, -1, 101, 10**12])
async def test_quantities_are_bounded(service: LotteryService, quantity: int) -> None:
    ann = await joined_player(service, 1, paid_ballots=100)
    with pytest.raises(InvalidQuantity) as refused:
        await service.tickets.buy(ann, quantity)
    assert refused.value.maximum == 100
    with pytest.raises(InvalidQuantity):
        await service.wallet.pay(ann, quantity)
    assert (await service.players.profile(ann)).balance == 1000


async def test_joining_twice_is_harmless(service: LotteryService) -> None:
    ann = await player(service, 1)
    first = await service.tickets.join(ann)
    second = await service.tickets.join(ann)
    assert first.newly_joined
    assert not second.newly_joined
    assert second.event.participants == 1


async def test_nothing_can_be_bought_after_an_early_close_until_the_next_day(
    service: LotteryService, clock: FixedClock
) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    await service.tickets.buy(ann, 1)
    await service.closing.close_open_events()

    with pytest.raises(EventClosed) as refused:
        await service.tickets.buy(ann, 1)
    assert refused.value.reopens_at == dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    with pytest.raises(EventClosed):
        await service.tickets.join(ann)

    clock.advance(dt.timedelta(days=1))
    await service.tickets.join(ann)
    receipt = await service.tickets.buy(ann, 1)
    assert receipt.day == dt.date(2024, 5, 2)
    assert list(receipt.numbers) == [1]


async def test_unspent_credit_carries_over_to_the_next_day(
    service: LotteryService, clock: FixedClock
) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(ann, 1)
    clock.advance(dt.timedelta(days=1))
    await service.closing.close_due_events()
    await service.tickets.join(ann)
    receipt = await service.tickets.buy(ann, 2)
    assert receipt.balance == 0
    assert receipt.day == dt.date(2024, 5, 2)


async def test_receipts_say_how_many_more_ballots_the_credit_buys(service: LotteryService) -> None:
    ann = await joined_player(service, 1)
    paid = await service.wallet.pay(ann, 100)
    assert paid.affordable == 100
    bought = await service.tickets.buy(ann, 3)
    assert bought.affordable == 97
    await service.wallet.pay(ann, 50)
    assert (await service.tickets.buy(ann, 1)).affordable == 100  # capped at one purchase's limit
