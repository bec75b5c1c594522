"""The database decides: concurrent buyers, closers and processes can never break an invariant."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from typing import Any

from sqlalchemy import func, insert, select

from core.errors import EventClosed, NotEnoughCredit
from core.results import PurchaseReceipt
from core.service import LotteryService
from storage import Database
from storage.models import Ballot, Event, LedgerEntry, OutboxMessage, Player
from tests.core.players import joined_player
from tests.support.processes import clean_env, finish, start_module


async def test_fifty_concurrent_buys_against_credit_for_ten_give_exactly_ten(
    service: LotteryService, db: Database
) -> None:
    ann = await joined_player(service, 1, paid_ballots=10)

    outcomes = await asyncio.gather(*(service.tickets.buy(ann, 1) for _ in range(50)), return_exceptions=True)

    bought = [o for o in outcomes if isinstance(o, PurchaseReceipt)]
    refused = [o for o in outcomes if isinstance(o, NotEnoughCredit)]
    assert len(bought) == 10
    assert len(refused) == 40
    assert sorted(n for receipt in bought for n in receipt.numbers) == list(range(1, 11))
    async with db.snapshot() as uow:
        balance = (await uow.session.execute(select(Player.balance))).scalar_one()
        ledger = (await uow.session.execute(select(func.sum(LedgerEntry.amount)))).scalar_one()
        ballots = (await uow.session.execute(select(func.count()).select_from(Ballot))).scalar_one()
    assert (balance, ledger, ballots) == (0, 0, 10)


async def test_no_ballot_is_sold_after_close_when_buying_and_closing_race(
    service: LotteryService, db: Database
) -> None:
    buyers = [await joined_player(service, telegram_id, paid_ballots=5) for telegram_id in range(1, 11)]
    event = await service.events.today()
    ten_sold = asyncio.Event()
    sold: list[int] = []

    async def buy_all(telegram_id: int) -> None:
        for _ in range(5):
            try:
                receipt = await service.tickets.buy(telegram_id, 1)
            except EventClosed:
                return
            sold.extend(receipt.numbers)
            if len(sold) >= 10:
                ten_sold.set()
            await asyncio.sleep(0.005)  # leave the closer room to get in between purchases

    async def close_mid_way() -> None:
        await ten_sold.wait()
        await service.closing.close_event(event.id, service.context.clock.now())

    await asyncio.gather(close_mid_way(), *(buy_all(b) for b in buyers))

    async with db.snapshot() as uow:
        stored = (await uow.session.execute(select(Event))).scalar_one()
        numbers = list((await uow.session.scalars(select(Ballot.number).order_by(Ballot.number))).all())
    assert stored.status == "closed"
    assert 10 <= len(sold) < 50, "the close should have come while purchases were still going on"
    # Every ballot that exists was counted in the draw, and every sale made a ballot.
    assert numbers == sorted(sold) == list(range(1, stored.ballot_count + 1))
    assert stored.winning_number is not None
    assert 1 <= stored.winning_number <= len(sold)


async def run_workers(*commands: list[str]) -> list[Any]:
    """Start the worker processes together and return what each one printed."""
    workers = [await start_module("tests.core.workers", *command, env=clean_env()) for command in commands]
    results = await finish(*workers)
    for finished in results:
        assert finished.returncode == 0, finished.stderr
    return [json.loads(finished.stdout.strip().splitlines()[-1]) for finished in results]


async def test_two_processes_buying_against_one_balance_never_overspend(
    service: LotteryService, db: Database, database_url: str
) -> None:
    ann = await joined_player(service, 1, paid_ballots=20)
    start_at = str(time.time() + 1.5)
    bought = await run_workers(
        ["buy", database_url, start_at, str(ann), "25"], ["buy", database_url, start_at, str(ann), "25"]
    )
    assert len(bought[0]) + len(bought[1]) == 20
    assert sorted(bought[0] + bought[1]) == list(range(1, 21))
    async with db.snapshot() as uow:
        balance = (await uow.session.execute(select(Player.balance))).scalar_one()
        ledger = (await uow.session.execute(select(func.sum(LedgerEntry.amount)))).scalar_one()
        ballots = (await uow.session.execute(select(func.count()).select_from(Ballot))).scalar_one()
    assert (balance, ledger, ballots) == (0, 0, 20)


async def test_two_processes_closing_the_same_events_draw_each_once(database_url: str, db: Database) -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(300)]
    async with db.transaction() as uow:
        await uow.players.add_if_missing(telegram_id=1, username=None, first_name="Ann", now=now)
        player = await uow.players.by_telegram_id(1)
        assert player is not None
        # Two events in three have three ballots each, so most closes also draw and queue messages.
        for index, day in enumerate(days):
            count = 0 if index % 3 == 0 else 3
            await uow.events.add_if_missing(day=day, title="t", price=1, currency="XTR", now=now)
            event = await uow.events.on_day(day)
            assert event is not None
            event.ballot_count = count
            await uow.registrations.add(event_id=event.id, player_id=player.id, now=now)
            if count:
                await uow.session.execute(
                    insert(Ballot),
                    [
                        {"event_id": event.id, "number": n, "player_id": player.id, "created_at": now}
                        for n in range(1, count + 1)
                    ],
                )
    start_at = str(time.time() + 1.5)
    steps_by = [
        {(event_id, step) for event_id, step in steps}
        for steps in await run_workers(["close", database_url, start_at], ["close", database_url, start_at])
    ]
    # One process may freeze an event and the other draw it; no step is ever done by both.
    drawn_by = [{event_id for event_id, step in steps if step == "drawn"} for steps in steps_by]
    assert not drawn_by[0] & drawn_by[1], "an event was drawn by both processes"
    frozen_by = [{event_id for event_id, step in steps if step == "frozen"} for steps in steps_by]
    assert not frozen_by[0] & frozen_by[1], "an event was frozen by both processes"
    closed_by = [{event_id for event_id, _ in steps} for steps in steps_by]
    async with db.snapshot() as uow:
        events = (await uow.session.scalars(select(Event).where(Event.day < dt.date(2030, 1, 1)))).all()
        winners = (
            await uow.session.execute(
                select(OutboxMessage.event_id, func.count())
                .where(OutboxMessage.kind == "winner")
                .group_by(OutboxMessage.event_id)
            )
        ).all()
    assert closed_by[0] | closed_by[1] == {e.id for e in events}
    assert all(e.status == "closed" for e in events)
    drawn = {e.id for e in events if e.ballot_count}
    assert {e.id for e in events if e.winning_number is not None} == drawn
    assert dict(winners) == dict.fromkeys(drawn, 1)
