"""/pay on the one-trip path: the payment, its credit and its ledger entry in one transaction, once.

Also: every event made on that path (by /pay, /join or /events) carries its local commitment from the
start, like events made through the ORM.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import func, select

from core.beacon import DrawPolicy
from core.clock import FixedClock
from core.errors import NotEnoughCredit, NotRegistered
from core.gateway import Charge, DummyGateway
from core.results import PublicName
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from storage.models import LedgerEntry, Payment
from tests.core.players import joined_player, player
from tests.core.test_wallet import assert_books_balance


class CountingGateway(DummyGateway):
    def __init__(self) -> None:
        super().__init__()
        self.charged: list[int] = []

    async def charge(self, *, payer: int, amount: int, currency: str, description: str) -> Charge:
        self.charged.append(amount)
        return await super().charge(payer=payer, amount=amount, currency=currency, description=description)


async def test_pay_records_the_payment_the_credit_and_the_ledger_entry_together(
    service: LotteryService, db: Database
) -> None:
    ann = await player(service, 1)
    first = await service.wallet.pay(ann, 2)
    second = await service.wallet.pay(ann, 1)
    assert (first.balance, second.balance) == (20, 30)
    assert first.affordable == 2
    assert second.affordable == 3
    async with db.snapshot() as uow:
        payments = (await uow.session.scalars(select(Payment).order_by(Payment.id))).all()
        entries = (await uow.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))).all()
    assert [(p.id, p.amount, p.status, p.provider) for p in payments] == [
        (first.payment_id, 20, "credited", "dummy"),
        (second.payment_id, 10, "credited", "dummy"),
    ]
    assert [(e.kind, e.amount, e.payment_id) for e in entries] == [
        ("payment", 20, first.payment_id),
        ("payment", 10, second.payment_id),
    ]
    assert payments[0].created_at == entries[0].created_at == service.context.clock.now()
    await assert_books_balance(db)


async def test_an_unknown_payer_is_refused_before_anything_is_charged(
    db: Database, rules: LotteryRules, clock: FixedClock
) -> None:
    gateway = CountingGateway()
    lottery = LotteryService(db, rules=rules, clock=clock, gateway=gateway)
    with pytest.raises(NotRegistered):
        await lottery.wallet.pay(404, 1)
    with pytest.raises(NotRegistered):
        await lottery.wallet.record_payment(
            404, provider="stars", charge_id="c-404", amount=5, currency="XTR"
        )
    assert gateway.charged == []
    async with db.snapshot() as uow:
        assert (await uow.session.execute(select(func.count()).select_from(Payment))).scalar_one() == 0


async def test_concurrent_pays_and_buys_of_one_player_keep_the_books(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=1)
    paid, tried = await asyncio.gather(
        asyncio.gather(*(service.wallet.pay(ann, 1) for _ in range(20))),
        asyncio.gather(*(service.tickets.buy(ann, 1) for _ in range(10)), return_exceptions=True),
    )
    bought = [o for o in tried if not isinstance(o, BaseException)]
    assert all(isinstance(o, NotEnoughCredit) for o in tried if isinstance(o, BaseException))
    assert len(paid) == 20
    assert len({p.payment_id for p in paid}) == 20
    profile = await service.players.profile(ann)
    assert profile.balance == 10 * (1 + 20) - 10 * len(bought)
    assert profile.today_ballot_count == len(bought) >= 1
    await assert_books_balance(db)


@pytest.mark.parametrize("first_use", ["pay", "join", "events"])
async def test_an_event_made_on_the_one_trip_path_commits_before_any_ballot(
    db: Database, rules: LotteryRules, clock: FixedClock, first_use: str
) -> None:
    local = LotteryService(db, rules=rules, clock=clock, draws=DrawPolicy(delay=dt.timedelta(seconds=30)))
    ann = await player(local, 1)
    if first_use == "pay":
        await local.wallet.pay(ann, 1)
    elif first_use == "join":
        await local.tickets.join(ann)
    else:
        await local.events.overview()
    today = rules.day_of(clock.now())
    published = await local.closing.commitment_on(today)
    assert published is not None
    assert len(published) == 64
    await local.tickets.join(ann)
    if first_use != "pay":
        await local.wallet.pay(ann, 1)
    await local.tickets.buy(ann, 1)
    assert len(await local.closing.close_open_events()) == 1
    record = await local.closing.record_on(today)
    assert record is not None
    assert (record.commitment, record.committed_at) == (published, "open")


async def test_winner_reads_name_the_winner_as_they_chose_and_find_the_latest_day(
    service: LotteryService, clock: FixedClock
) -> None:
    await service.players.register(7, username="ann_l", first_name="Ann")
    await service.tickets.join(7)
    await service.wallet.pay(7, 1)
    await service.tickets.buy(7, 1)
    await service.closing.close_open_events()
    first_day = service.context.today()
    clock.advance(dt.timedelta(days=1))
    await service.tickets.join(7)
    assert len(await service.closing.close_open_events()) == 1  # a day without ballots: no winner
    latest = await service.closing.latest_winner()
    assert latest is not None
    assert (latest.day, latest.winner_name, latest.drawn) == (service.context.today(), None, False)
    first = await service.closing.winner_on(first_day)
    # First name only by default: the @username only once the winner opts in (under /me).
    assert (first.winner_name, first.winning_number, first.waiting_for_round) == ("Ann", 1, None)
    await service.players.choose_public_name(7, PublicName.FIRST_NAME_AND_USERNAME)
    assert (await service.closing.winner_on(first_day)).winner_name == "Ann (@ann_l)"
    await service.players.choose_public_name(7, PublicName.ANONYMOUS)
    assert (await service.closing.winner_on(first_day)).winner_name is None


async def test_languages_are_read_for_a_registered_player_only(service: LotteryService) -> None:
    assert await service.players.languages(5) is None
    await service.players.register(5, username=None, first_name="Eve", language="ru")
    assert await service.players.languages(5) == (None, "ru")
    await service.players.choose_language(5, "en")
    assert await service.players.languages(5) == ("en", "ru")
