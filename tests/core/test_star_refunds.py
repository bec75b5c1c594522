"""Stars refunds in core: the credit is set aside first, the refund settles once, a race has one winner."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from core.errors import (
    NotEnoughCredit,
    PaymentFailed,
    PaymentNotRefundable,
    PaymentSpent,
    ProviderUnavailable,
    RefundPending,
)
from core.results import LedgerKind
from core.service import LotteryService
from storage import Database
from storage.models import LedgerEntry, Payment
from tests.core.players import joined_player
from tests.core.stars import FakeStars
from tests.core.test_wallet import assert_books_balance


async def paid(service: LotteryService, telegram: FakeStars, who: int, amount: int, charge_id: str) -> int:
    """A Stars payment as Telegram reports it: in Telegram's books, then booked by the bot."""
    invoice = await service.orders.open(who, amount // 10)
    telegram.paid(charge_id, who, amount, invoice.payload)
    result = await service.orders.settle(
        who, payload=invoice.payload, charge_id=charge_id, amount=amount, currency="XTR"
    )
    return result.receipt.payment_id


async def status(db: Database, payment_id: int) -> str:
    async with db.snapshot() as uow:
        payment = await uow.payments.by_id(payment_id)
    assert payment is not None
    return payment.status


async def kinds(db: Database, payment_id: int) -> list[str]:
    async with db.snapshot() as uow:
        rows = await uow.session.scalars(
            select(LedgerEntry.kind).where(LedgerEntry.payment_id == payment_id).order_by(LedgerEntry.id)
        )
        return list(rows.all())


async def balance(service: LotteryService, who: int) -> int:
    return (await service.wallet.history(who)).balance


async def test_the_whole_unused_payments_are_offered_newest_first(
    stars: LotteryService, telegram: FakeStars
) -> None:
    ann = await joined_player(stars, 1)
    first = await paid(stars, telegram, ann, 10, "c1")
    second = await paid(stars, telegram, ann, 20, "c2")
    assert [p.payment_id for p in await stars.wallet.refundable(ann)] == [second, first]
    await stars.tickets.buy(ann, 2)  # 10 left: only the 10-star payment is still whole
    assert [p.payment_id for p in await stars.wallet.refundable(ann)] == [first]


async def test_a_refund_is_one_call_and_one_ledger_entry(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    receipt = await stars.wallet.refund(ann, payment)
    assert (receipt.amount, receipt.balance) == (20, 0)
    assert telegram.refund_calls == ["c1"]
    assert telegram.refunded("c1")
    assert await status(db, payment) == "refunded"
    assert await kinds(db, payment) == [LedgerKind.PAYMENT, LedgerKind.REFUND]
    with pytest.raises(PaymentNotRefundable):
        await stars.wallet.refund(ann, payment)
    assert telegram.refund_calls == ["c1"]
    await assert_books_balance(db)


async def test_a_spent_payment_is_refused_before_telegram_is_asked(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    await stars.tickets.buy(ann, 1)
    with pytest.raises(PaymentSpent) as refused:
        await stars.wallet.refund(ann, payment)
    assert (refused.value.amount, refused.value.balance) == (20, 10)
    assert telegram.refund_calls == []
    assert await status(db, payment) == "credited"
    assert await balance(stars, ann) == 10
    await assert_books_balance(db)


async def test_someone_elses_payment_is_not_refunded(stars: LotteryService, telegram: FakeStars) -> None:
    ann = await joined_player(stars, 1)
    bob = await joined_player(stars, 2)
    payment = await paid(stars, telegram, ann, 10, "c1")
    with pytest.raises(PaymentNotRefundable):
        await stars.wallet.refund(bob, payment)
    assert telegram.refund_calls == []


@pytest.mark.parametrize(("step", "error"), [("down", ProviderUnavailable), ("refuse", PaymentFailed)])
async def test_a_refund_that_did_not_happen_gives_the_credit_back(
    stars: LotteryService, telegram: FakeStars, db: Database, step: str, error: type[Exception]
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = [step]
    with pytest.raises(error):
        await stars.wallet.refund(ann, payment)
    assert await balance(stars, ann) == 20
    assert await status(db, payment) == "credited"
    assert not telegram.refunded("c1")
    # The player can try again, and it is one more refund, not two.
    await stars.wallet.refund(ann, payment)
    assert await balance(stars, ann) == 0
    await assert_books_balance(db)


async def test_a_refund_of_unknown_outcome_keeps_the_credit_aside(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = ["timeout"]
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    assert await status(db, payment) == "refunding"
    assert await balance(stars, ann) == 0  # not spendable while Telegram may have refunded
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    with pytest.raises(NotEnoughCredit):
        await stars.tickets.buy(ann, 1)
    await assert_books_balance(db)


async def test_settling_a_refund_twice_gives_the_credit_back_once(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = ["timeout-undone"]
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    results = await asyncio.gather(*(stars.wallet.settle_refund(payment, refunded=False) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]
    assert await balance(stars, ann) == 20
    await assert_books_balance(db)


async def test_a_refund_racing_a_purchase_of_the_same_credit_has_one_winner(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    for round_ in range(10):
        who = 100 + round_
        await joined_player(stars, who)
        payment = await paid(stars, telegram, who, 10, f"race{round_}")
        refund, purchase = await asyncio.gather(
            stars.wallet.refund(who, payment), stars.tickets.buy(who, 1), return_exceptions=True
        )
        won = [not isinstance(refund, BaseException), not isinstance(purchase, BaseException)]
        assert won.count(True) == 1, (refund, purchase)
        assert isinstance(refund, PaymentSpent) or isinstance(purchase, NotEnoughCredit)
        assert await balance(stars, who) == 0
        async with db.snapshot() as uow:
            row = await uow.session.get(Payment, payment)
        assert row is not None
        assert telegram.refunded(row.charge_id) == (row.status == "refunded")
    await assert_books_balance(db)
