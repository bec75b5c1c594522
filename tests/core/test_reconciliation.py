"""Reconciliation against Telegram's books: missed payments booked, pending refunds settled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence

import pytest
from sqlalchemy import update

from core.clock import FixedClock
from core.errors import PaymentOrphaned, RefundPending, RefundsUnavailable
from core.gateway import TRANSACTIONS_PER_PAGE, ProviderTransaction, StarsGateway
from core.reconciliation import REFUND_SETTLES_AFTER
from core.results import MismatchKind
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from storage.models import Payment
from tests.core.players import joined_player, player
from tests.core.stars import FakeStars
from tests.core.test_star_refunds import balance, paid, status
from tests.core.test_wallet import assert_books_balance

LATER = REFUND_SETTLES_AFTER + dt.timedelta(seconds=1)


async def test_a_payment_the_bot_missed_is_booked_once(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    invoice = await stars.orders.open(ann, 3)
    telegram.paid("missed", ann, 30, invoice.payload)  # successful_payment never arrived
    report = await stars.reconciliation.run()
    assert report.booked == ("missed",)
    assert report.changed
    assert report.mismatches == ()
    assert await balance(stars, ann) == 30
    again = await stars.reconciliation.run()
    assert again.booked == ()
    assert not again.changed
    assert await balance(stars, ann) == 30
    # The update arriving late after all is the same charge: credited once.
    late = await stars.orders.settle(
        ann, payload=invoice.payload, charge_id="missed", amount=30, currency="XTR"
    )
    assert not late.receipt.newly_credited
    assert await balance(stars, ann) == 30
    await assert_books_balance(db)


async def test_every_page_is_read(stars: LotteryService, telegram: FakeStars) -> None:
    ann = await player(stars, 1)
    count = TRANSACTIONS_PER_PAGE * 2 + 5
    for n in range(count):
        telegram.paid(f"c{n}", ann, 10)
    report = await stars.reconciliation.run()
    assert report.transactions == count
    assert len(report.booked) == count
    assert await balance(stars, ann) == 10 * count


async def test_a_timed_out_refund_that_happened_is_confirmed(
    stars: LotteryService, telegram: FakeStars, db: Database, clock: FixedClock
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = ["timeout"]
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    young = await stars.reconciliation.run()  # the call may still be in flight: left alone
    assert young.still_pending == 1
    assert await status(db, payment) == "refunding"
    clock.advance(LATER)
    report = await stars.reconciliation.run()
    assert report.confirmed == (payment,)
    assert report.still_pending == 0
    assert await status(db, payment) == "refunded"
    assert await balance(stars, ann) == 0
    await assert_books_balance(db)


async def test_a_timed_out_refund_that_never_happened_gives_the_credit_back(
    stars: LotteryService, telegram: FakeStars, db: Database, clock: FixedClock
) -> None:
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = ["timeout-undone"]
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    clock.advance(LATER)
    report = await stars.reconciliation.run()
    assert report.restored == (payment,)
    assert await status(db, payment) == "credited"
    assert await balance(stars, ann) == 20
    assert (await stars.reconciliation.run()).restored == ()
    assert await balance(stars, ann) == 20
    await assert_books_balance(db)


async def test_a_refund_made_outside_the_bot_is_booked_or_reported(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    bob = await joined_player(stars, 2)
    unspent = await paid(stars, telegram, ann, 10, "a1")
    await paid(stars, telegram, bob, 20, "b1")
    await stars.tickets.buy(bob, 1)
    await telegram.refund_star_payment(user_id=ann, charge_id="a1")
    await telegram.refund_star_payment(user_id=bob, charge_id="b1")
    report = await stars.reconciliation.run()
    assert report.refunds_booked == (unspent,)
    assert await balance(stars, ann) == 0
    assert [(m.kind, m.charge_id) for m in report.mismatches] == [(MismatchKind.REFUND_OF_SPENT_CREDIT, "b1")]
    assert await balance(stars, bob) == 10
    await assert_books_balance(db)


async def test_what_cannot_be_explained_is_reported(stars: LotteryService, telegram: FakeStars) -> None:
    ann = await player(stars, 1)
    invoice = await stars.orders.open(ann, 1)
    await stars.orders.settle(ann, payload=invoice.payload, charge_id="ours", amount=10, currency="XTR")
    telegram.paid("differs", ann, 50)
    await stars.orders.settle(ann, payload="", charge_id="differs", amount=40, currency="XTR")
    report = await stars.reconciliation.run()
    assert sorted((m.kind, m.charge_id) for m in report.mismatches) == [
        (MismatchKind.AMOUNT_DIFFERS, "differs"),
        (MismatchKind.NOT_IN_TELEGRAM, "ours"),
    ]
    assert not report.changed


async def test_a_payment_from_someone_who_is_no_player_is_kept_as_an_orphan(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await player(stars, 1)
    invoice = await stars.orders.open(ann, 1)
    await stars.players.delete(ann)
    with pytest.raises(PaymentOrphaned) as kept:
        await stars.orders.settle(ann, payload=invoice.payload, charge_id="gone", amount=10, currency="XTR")
    assert kept.value.newly_kept
    telegram.paid("gone", ann, 10, invoice.payload)
    telegram.paid("stranger", 77, 10, "forged")
    report = await stars.reconciliation.run()
    assert report.orphans == ("stranger",)  # "gone" is on record already, as an orphan
    assert report.mismatches == ()
    async with db.snapshot() as uow:
        assert (await uow.payments.orphan("gone")) is not None
        assert (await uow.payments.orphan("stranger")) is not None


async def test_the_dummy_provider_has_nothing_to_reconcile(service: LotteryService) -> None:
    with pytest.raises(RefundsUnavailable):
        await service.reconciliation.run()


async def test_the_owners_withdrawals_are_counted_and_left_alone(
    stars: LotteryService, telegram: FakeStars, db: Database
) -> None:
    ann = await joined_player(stars, 1)
    await paid(stars, telegram, ann, 20, "c1")
    telegram.withdrew("withdrawal-1", 1000)
    for _ in range(2):
        report = await stars.reconciliation.run()
        assert report.transactions == 2
        assert report.mismatches == ()
        assert not report.changed
    assert await balance(stars, ann) == 20
    await assert_books_balance(db)


async def test_a_refund_claimed_before_its_time_was_kept_is_settled(
    stars: LotteryService, telegram: FakeStars, db: Database, clock: FixedClock
) -> None:
    """A payment left "refunding" with no claim time (the code before migration 0006) counts as old."""
    ann = await joined_player(stars, 1)
    payment = await paid(stars, telegram, ann, 20, "c1")
    telegram.script = ["timeout-undone"]
    with pytest.raises(RefundPending):
        await stars.wallet.refund(ann, payment)
    async with db.transaction() as uow:
        await uow.session.execute(
            update(Payment).where(Payment.id == payment).values(refund_requested_at=None)
        )
    report = await stars.reconciliation.run()
    assert report.restored == (payment,)
    assert report.still_pending == 0
    assert await status(db, payment) == "credited"
    assert await balance(stars, ann) == 20
    await assert_books_balance(db)


class PaidDuringTheRead(FakeStars):
    """Telegram's list is read, and right then a payment arrives and is booked by its update."""

    def __init__(self) -> None:
        super().__init__()
        self.during_read: Callable[[], Awaitable[None]] | None = None

    async def star_transactions(self, *, offset: int, limit: int) -> Sequence[ProviderTransaction]:
        page = await super().star_transactions(offset=offset, limit=limit)
        if self.during_read is not None:
            arrive, self.during_read = self.during_read, None
            await arrive()
        return page


async def test_a_payment_booked_while_the_list_is_read_is_no_mismatch(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    telegram = PaidDuringTheRead()
    stars = LotteryService(db, rules=rules, clock=clock, gateway=StarsGateway(telegram))
    ann = await joined_player(stars, 1)
    await paid(stars, telegram, ann, 10, "before")

    async def arrive() -> None:
        await paid(stars, telegram, ann, 20, "during")

    telegram.during_read = arrive
    report = await stars.reconciliation.run()
    assert report.transactions == 1
    assert report.mismatches == ()
    assert report.booked == ()
    again = await stars.reconciliation.run()
    assert again.transactions == 2
    assert again.mismatches == ()
    assert await balance(stars, ann) == 30
