"""The database decides: concurrent buyers, closers and processes can never break an invariant."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select

from core.errors import EventClosed, NotEnoughCredit
from core.results import PurchaseReceipt
from core.service import LotteryService
from storage import Database
from storage.models import Ballot, Event, LedgerEntry, Player
from tests.core.players import joined_player

ROOT = Path(__file__).resolve().parents[2]


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

    async def buy_all(telegram_id: int) -> list[PurchaseReceipt | BaseException]:
        outcomes: list[PurchaseReceipt | BaseException] = []
        for _ in range(5):
            try:
                outcomes.append(await service.tickets.buy(telegram_id, 1))
            except EventClosed as closed:
                outcomes.append(closed)
        return outcomes

    async def close_soon() -> None:
        await asyncio.sleep(0.01)
        await service.closing.close_event(event.id, service.context.clock.now())

    closer = asyncio.create_task(close_soon())
    results = await asyncio.gather(*(buy_all(b) for b in buyers))
    await closer
    sold = sum(isinstance(o, PurchaseReceipt) for outcomes in results for o in outcomes)

    async with db.snapshot() as uow:
        stored = (await uow.session.execute(select(Event))).scalar_one()
        numbers = list((await uow.session.scalars(select(Ballot.number).order_by(Ballot.number))).all())
    assert stored.status == "closed"
    # Every ballot that exists was counted in the draw, and every sale made a ballot.
    assert numbers == list(range(1, stored.ballot_count + 1))
    assert stored.ballot_count == sold
    if sold:
        assert stored.winning_number is not None
        assert 1 <= stored.winning_number <= sold


async def test_two_processes_closing_the_same_events_draw_each_once(database_url: str, db: Database) -> None:
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(300)]
    async with db.transaction() as uow:
        await uow.session.execute(
            insert(Event),
            [
                {"day": day, "title": "t", "price": 1, "currency": "XTR", "status": "open", "created_at": now}
                for day in days
            ],
        )
    start_at = time.time() + 1.5
    command = [sys.executable, "-m", "tests.core.close_worker", database_url, str(start_at)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(w.communicate() for w in workers)), timeout=120)
    for worker, (_, stderr) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, stderr.decode()
    closed_by = [set(json.loads(stdout.decode().strip().splitlines()[-1])) for stdout, _ in outputs]

    print("closed per process:", [len(ids) for ids in closed_by])
    assert not closed_by[0] & closed_by[1], "an event was closed by both processes"
    async with db.snapshot() as uow:
        all_ids = set(
            (await uow.session.scalars(select(Event.id).where(Event.day < dt.date(2030, 1, 1)))).all()
        )
        still_open = (
            await uow.session.execute(select(func.count()).select_from(Event).where(Event.status == "open"))
        ).scalar_one()
    assert closed_by[0] | closed_by[1] == all_ids
    assert still_open == 1  # only the new day's event, made by the catch-up
