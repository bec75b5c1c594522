"""Payments, refunds and the ledger: every movement is an entry and the entries sum to the balance."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from core.errors import PaymentFailed, PaymentNotRefundable, PaymentSpent, RefundPending
from core.gateway import Charge, DummyGateway
from core.results import LedgerKind
from core.service import LotteryService
from storage import Database
from storage.models import LedgerEntry, Payment, Player
from tests.core.players import joined_player, player


async def assert_books_balance(db: Database) -> None:
    """Every player's ledger sums to their balance column."""
    async with db.snapshot() as uow:
        sums = dict(
            (
                await uow.session.execute(
                    select(LedgerEntry.player_id, func.sum(LedgerEntry.amount)).group_by(
                        LedgerEntry.player_id
                    )
                )
            ).all()
        )
        balances = dict((await uow.session.execute(select(Player.id, Player.balance))).all())
    assert {pid: balance for pid, balance in balances.items() if balance or pid in sums} == {
        pid: int(total) for pid, total in sums.items()
    }


async def test_paying_credits_the_price_of_the_ballots(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    receipt = await service.wallet.pay(ann, 3)
    assert receipt.newly_credited
    assert receipt.amount == 30
    assert receipt.balance == 30
    assert receipt.charge_id.startswith("dummy-")
    await assert_books_balance(db)


async def test_recording_the_same_charge_twice_credits_once(service: LotteryService, db: Database) -> None:
    ann = await player(service, 1)
    first = await service.wallet.record_payment(
        ann, provider="stars", charge_id="charge-1", amount=50, currency="XTR"
    )
    again = await service.wallet.record_payment(
        ann, provider="stars", charge_id="charge-1", amount=50, currency="XTR"
    )
    assert first.newly_credited
    assert not again.newly_credited
    assert again.payment_id == first.payment_id
    assert (await service.players.profile(ann)).balance == 50
    async with db.snapshot() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() == 1
    await assert_books_balance(db)


async def test_a_refund_gives_back_a_whole_unused_payment(
    service: LotteryService, db: Database, gateway: DummyGateway
) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    second = await service.wallet.pay(ann, 1)
    refundable = await service.wallet.refundable(ann)
    assert [p.payment_id for p in refundable] == [second.payment_id, second.payment_id - 1]

    receipt = await service.wallet.refund(ann, second.payment_id)
    assert receipt.amount == 10
    assert receipt.balance == 20
    assert gateway.refunded == [second.charge_id]
    with pytest.raises(PaymentNotRefundable):
        await service.wallet.refund(ann, second.payment_id)
    await assert_books_balance(db)


async def test_spent_credit_cannot_be_refunded(service: LotteryService, db: Database) -> None:
    ann = await joined_player(service, 1, paid_ballots=2)
    await service.tickets.buy(ann, 1)
    assert await service.wallet.refundable(ann) == []
    payment = (await service.wallet.history(ann)).ledger[-1]
    assert payment.kind is LedgerKind.PAYMENT
    async with db.snapshot() as uow:
        payment_id = (await uow.session.execute(select(Payment.id))).scalar_one()
    with pytest.raises(PaymentSpent):
        await service.wallet.refund(ann, payment_id)
    assert (await service.players.profile(ann)).balance == 10
    await assert_books_balance(db)


async def test_someone_elses_payment_is_not_refundable(service: LotteryService) -> None:
    ann = await player(service, 1)
    bob = await player(service, 2)
    receipt = await service.wallet.pay(ann, 1)
    with pytest.raises(PaymentNotRefundable):
        await service.wallet.refund(bob, receipt.payment_id)


class RefusingRefunds(DummyGateway):
    async def refund(self, *, payer: int, charge_id: str) -> None:
        raise PaymentFailed("provider is down")


async def test_a_refused_refund_restores_the_credit(service: LotteryService, db: Database) -> None:
    refusing = LotteryService(db, rules=service.rules, clock=service.context.clock, gateway=RefusingRefunds())
    ann = await player(refusing, 1)
    receipt = await refusing.wallet.pay(ann, 2)
    with pytest.raises(PaymentFailed):
        await refusing.wallet.refund(ann, receipt.payment_id)
    assert (await refusing.players.profile(ann)).balance == 20
    assert [p.payment_id for p in await refusing.wallet.refundable(ann)] == [receipt.payment_id]
    kinds = [line.kind for line in (await refusing.wallet.history(ann)).ledger]
    assert kinds == [LedgerKind.REFUND_REVERSED, LedgerKind.REFUND, LedgerKind.PAYMENT]
    await assert_books_balance(db)


class FailingCharges(DummyGateway):
    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        raise PaymentFailed("card declined")


async def test_a_failed_charge_credits_nothing(service: LotteryService, db: Database) -> None:
    failing = LotteryService(db, rules=service.rules, clock=service.context.clock, gateway=FailingCharges())
    ann = await player(failing, 1)
    with pytest.raises(PaymentFailed):
        await failing.wallet.pay(ann, 2)
    assert (await failing.players.profile(ann)).balance == 0


async def test_history_lists_payments_purchases_and_ballots(service: LotteryService) -> None:
    ann = await joined_player(service, 1, paid_ballots=3)
    await service.tickets.buy(ann, 2)
    history = await service.wallet.history(ann)
    assert [(line.kind, line.amount, line.quantity) for line in history.ledger] == [
        (LedgerKind.PURCHASE, -20, 2),
        (LedgerKind.PAYMENT, 30, None),
    ]
    assert history.balance == 10
    assert len(history.ballots) == 1
    assert history.ballots[0].numbers == (1, 2)


async def test_the_same_charge_recorded_concurrently_credits_once(
    service: LotteryService, db: Database
) -> None:
    ann = await player(service, 1)
    receipts = await asyncio.gather(
        *(
            service.wallet.record_payment(
                ann, provider="stars", charge_id="charge-9", amount=40, currency="XTR"
            )
            for _ in range(10)
        )
    )
    assert sum(r.newly_credited for r in receipts) == 1
    assert len({r.payment_id for r in receipts}) == 1
    assert (await service.players.profile(ann)).balance == 40
    await assert_books_balance(db)


class TimingOutRefunds(DummyGateway):
    async def refund(self, *, payer: int, charge_id: str) -> None:
        raise TimeoutError("the provider did not answer")


async def test_a_refund_with_an_unknown_outcome_keeps_the_credit_set_aside(
    service: LotteryService, db: Database
) -> None:
    uncertain = LotteryService(
        db, rules=service.rules, clock=service.context.clock, gateway=TimingOutRefunds()
    )
    ann = await player(uncertain, 1)
    receipt = await uncertain.wallet.pay(ann, 2)
    with pytest.raises(RefundPending):
        await uncertain.wallet.refund(ann, receipt.payment_id)
    # Neither spendable nor refundable again until the provider's answer is known.
    assert (await uncertain.players.profile(ann)).balance == 0
    assert await uncertain.wallet.refundable(ann) == []
    async with db.snapshot() as uow:
        payment = await uow.payments.by_id(receipt.payment_id)
    assert payment is not None
    assert payment.status == "refunding"
    await assert_books_balance(db)
