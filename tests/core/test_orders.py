"""Orders paid by invoice (Telegram Stars): what the pre-checkout accepts, and what a payment credits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.clock import FixedClock
from core.errors import (
    EventClosed,
    InvalidQuantity,
    NotRegistered,
    OrderChanged,
    OrderDayDrawn,
    OrderUnknown,
    PaymentFailed,
    RefundsUnavailable,
    UnexpectedCurrency,
)
from core.gateway import StarsGateway
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from storage.models import Payment, StarOrder
from tests.core.players import joined_player, player
from tests.core.test_wallet import assert_books_balance


async def balance(service: LotteryService, telegram_id: int) -> int:
    return (await service.wallet.history(telegram_id)).balance


async def payments(db: Database) -> int:
    async with db.snapshot() as uow:
        return int((await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one())


async def test_an_order_stores_what_the_invoice_asks_for(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 3)
    again = await service.orders.open(ann, 3)
    assert (invoice.quantity, invoice.unit_price, invoice.total, invoice.currency) == (3, 10, 30, "XTR")
    assert invoice.payload != again.payload
    assert 1 <= len(invoice.payload.encode()) <= 128
    async with db.snapshot() as uow:
        order = await uow.star_orders.by_payload(invoice.payload)
    assert order is not None
    assert (order.quantity, order.unit_price, order.total, order.currency) == (3, 10, 30, "XTR")
    assert await balance(service, ann) == 0


async def test_an_order_needs_a_player_and_a_quantity_in_bounds(service: LotteryService) -> None:
    with pytest.raises(NotRegistered):
        await service.orders.open(7, 1)
    await player(service, 1)
    with pytest.raises(InvalidQuantity):
        await service.orders.open(1, 0)
    with pytest.raises(InvalidQuantity):
        await service.orders.open(1, 101)


async def test_no_order_is_made_for_a_lottery_already_drawn(service: LotteryService, db: Database) -> None:
    await joined_player(service, 1, paid_ballots=1)
    await service.tickets.buy(1, 1)
    await service.closing.close_open_events()
    with pytest.raises(EventClosed):
        await service.orders.open(1, 1)
    async with db.snapshot() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(StarOrder))).scalar_one() == 0


async def test_the_pre_checkout_accepts_only_the_order_as_it_was_made(service: LotteryService) -> None:
    ann, bob = await player(service, 1), await player(service, 2, name="Bob")
    invoice = await service.orders.open(ann, 3)
    await service.orders.check(ann, payload=invoice.payload, amount=30, currency="XTR")
    with pytest.raises(OrderUnknown):
        await service.orders.check(ann, payload="forged", amount=30, currency="XTR")
    with pytest.raises(OrderUnknown):
        await service.orders.check(bob, payload=invoice.payload, amount=30, currency="XTR")
    with pytest.raises(OrderChanged):
        await service.orders.check(ann, payload=invoice.payload, amount=10, currency="XTR")
    with pytest.raises(OrderChanged):
        await service.orders.check(ann, payload=invoice.payload, amount=30, currency="EUR")


async def test_the_pre_checkout_refuses_when_the_price_moved(
    service: LotteryService, clock: FixedClock
) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 2)
    await service.events.edit(clock.now().date(), price=15)
    with pytest.raises(OrderChanged):
        await service.orders.check(ann, payload=invoice.payload, amount=20, currency="XTR")


async def test_the_pre_checkout_refuses_a_deleted_player(service: LotteryService) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 1)
    await service.players.delete(ann)
    with pytest.raises(NotRegistered):
        await service.orders.check(ann, payload=invoice.payload, amount=10, currency="XTR")


async def test_the_pre_checkout_refuses_once_the_day_is_drawn_or_over(
    service: LotteryService, clock: FixedClock
) -> None:
    ann = await player(service, 1)
    drawn = await service.orders.open(ann, 1)
    await service.closing.close_open_events()
    with pytest.raises(OrderDayDrawn) as refused:
        await service.orders.check(ann, payload=drawn.payload, amount=10, currency="XTR")
    assert refused.value.day == drawn.day

    clock.advance(dt.timedelta(days=1))
    late = await service.orders.open(ann, 1)
    clock.advance(dt.timedelta(days=1))  # midnight passed; the close has not run yet
    with pytest.raises(OrderDayDrawn):
        await service.orders.check(ann, payload=late.payload, amount=10, currency="XTR")


async def test_a_payment_is_credited_once_per_charge(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 3)
    first = await service.orders.settle(
        ann, payload=invoice.payload, charge_id="c1", amount=30, currency="XTR"
    )
    second = await service.orders.settle(
        ann, payload=invoice.payload, charge_id="c1", amount=30, currency="XTR"
    )
    assert first.receipt.newly_credited
    assert not first.carried_over
    assert first.receipt.affordable == 3
    assert not second.receipt.newly_credited
    assert await balance(service, ann) == 30
    assert await payments(db) == 1
    async with db.snapshot() as uow:
        order = await uow.star_orders.by_payload(invoice.payload)
    assert order is not None
    assert order.payment_id == first.receipt.payment_id
    await assert_books_balance(db)


async def test_a_payment_books_what_was_paid_never_the_order(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 3)
    short = await service.orders.settle(
        ann, payload=invoice.payload, charge_id="c1", amount=20, currency="XTR"
    )
    assert short.receipt.amount == 20
    # A payment naming no order is still the payer's money.
    stray = await service.orders.settle(ann, payload="unknown", charge_id="c2", amount=5, currency="XTR")
    assert stray.receipt.newly_credited
    assert stray.day is None
    assert await balance(service, ann) == 25
    await assert_books_balance(db)


async def test_a_payment_in_another_currency_credits_nothing(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 3)
    with pytest.raises(UnexpectedCurrency):
        await service.orders.settle(ann, payload=invoice.payload, charge_id="c1", amount=30, currency="EUR")
    assert await balance(service, ann) == 0
    assert await payments(db) == 0


async def test_a_payment_after_the_draw_stays_as_credit(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 2)
    await service.orders.check(ann, payload=invoice.payload, amount=20, currency="XTR")
    await service.closing.close_open_events()
    paid = await service.orders.settle(
        ann, payload=invoice.payload, charge_id="c1", amount=20, currency="XTR"
    )
    assert paid.carried_over
    assert paid.day == invoice.day
    assert await balance(service, ann) == 20
    await assert_books_balance(db)


async def test_a_stars_refund_without_telegram_attached_is_refused_and_the_credit_stays(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    service = LotteryService(db, rules=rules, clock=clock, gateway=StarsGateway())
    ann = await player(service, 1)
    invoice = await service.orders.open(ann, 2)
    paid = await service.orders.settle(
        ann, payload=invoice.payload, charge_id="c1", amount=20, currency="XTR"
    )
    with pytest.raises(RefundsUnavailable):
        await service.wallet.refund(ann, paid.receipt.payment_id)
    with pytest.raises(PaymentFailed):
        await service.wallet.pay(ann, 1)
    assert await balance(service, ann) == 20
    with pytest.raises(RefundsUnavailable):  # nothing is offered that would then be refused
        await service.wallet.refundable(ann)
    await assert_books_balance(db)
