"""The hot reads stay bounded: a page of history, counts instead of lists, reads that write nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from core.clock import FixedClock
from core.errors import NotRegistered
from core.results import LedgerKind
from core.service import LotteryService
from storage import create_engine
from storage.schema import upgrade
from tests.conftest import START
from tests.core.players import joined_player, player


async def _holding(service: LotteryService, telegram_id: int, ballots: int) -> None:
    """Join today's event and buy `ballots`, in purchases of at most 100."""
    await joined_player(service, telegram_id)
    while ballots:
        quantity = min(ballots, 100)
        await service.wallet.pay(telegram_id, quantity)
        await service.tickets.buy(telegram_id, quantity)
        ballots -= quantity


async def test_history_pages_the_ledger_newest_first(service: LotteryService) -> None:
    ann = await joined_player(service, 1)
    for _ in range(7):  # 14 ledger lines: a payment and a purchase each
        await service.wallet.pay(ann, 1)
        await service.tickets.buy(ann, 1)

    first = await service.history.page(ann)
    second = await service.history.page(ann, 1)
    third = await service.history.page(ann, 2)

    assert len(first.ledger) == 10
    assert first.has_next
    assert not first.has_previous
    assert first.ledger[0].kind is LedgerKind.PURCHASE  # the newest line first
    assert len(second.ledger) == 4
    assert not second.has_next
    assert second.has_previous
    assert third.ledger == ()
    assert not third.has_next
    assert [line.amount for line in first.ledger + second.ledger] == [-10, 10] * 7


async def test_history_counts_a_days_ballots_and_names_a_run_as_one_range(service: LotteryService) -> None:
    await _holding(service, 1, 150)
    await _holding(service, 2, 1)
    await service.wallet.pay(1, 1)
    await service.tickets.buy(1, 1)  # #152: a gap after #150 (ballot #151 is player 2's)

    day = (await service.history.page(1)).days[0]
    assert day.held == 151
    assert day.numbers[:3] == (1, 2, 3)
    assert len(day.numbers) == 12
    assert day.last == 152
    assert not day.one_run

    only = (await service.history.page(2)).days[0]
    assert (only.held, only.numbers, only.one_run) == (1, (151,), True)


async def test_history_pages_ballot_days(service: LotteryService, clock: FixedClock) -> None:
    for _ in range(7):
        await _holding(service, 1, 2)
        clock.advance(dt.timedelta(days=1))
    first = await service.history.page(1)
    second = await service.history.page(1, 1)
    assert len(first.days) == 5
    assert first.has_next
    assert len(second.days) == 2
    days = [d.day for d in first.days + second.days]
    assert days == sorted(days, reverse=True)
    assert len(set(days)) == 7


async def test_history_of_an_unknown_player_is_refused(service: LotteryService) -> None:
    with pytest.raises(NotRegistered):
        await service.history.page(42)


async def test_profile_counts_all_ballots_but_lists_a_page(service: LotteryService) -> None:
    await _holding(service, 1, 130)
    profile = await service.players.profile(1)
    assert profile.today_ballot_count == 130
    assert profile.today_ballots == tuple(range(1, 61))
    receipts = await service.receipts.today(1)
    assert receipts.held == 130
    assert len(receipts.ballots) == 60


async def test_joining_counts_each_player_once(service: LotteryService) -> None:
    await player(service, 1)
    await player(service, 2)
    assert (await service.tickets.join(1)).event.participants == 1
    again = await service.tickets.join(1)
    assert (again.newly_joined, again.event.participants) == (False, 1)
    assert (await service.tickets.join(2)).event.participants == 2
    assert (await service.events.today()).participants == 2
    assert [e.participants for e in await service.events.overview()] == [2]


async def test_concurrent_joins_count_every_player(service: LotteryService) -> None:
    ids = range(1, 21)
    for telegram_id in ids:
        await player(service, telegram_id)
    await asyncio.gather(*(service.tickets.join(i) for i in ids), *(service.tickets.join(i) for i in ids))
    assert (await service.events.today()).participants == 20


async def test_stats_add_up(service: LotteryService) -> None:
    await _holding(service, 1, 3)
    await _holding(service, 2, 2)
    await service.wallet.pay(2, 4)
    stats = await service.events.stats()
    assert (stats.players, stats.events, stats.open_events, stats.ballots) == (2, 1, 1, 5)
    assert (stats.paid_in, stats.refunded, stats.credit_outstanding) == (90, 0, 40)


async def test_events_are_listed_while_a_writer_holds_the_database(
    service: LotteryService, database_url: str
) -> None:
    """/events reads: it answers at once while another transaction holds SQLite's write lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's single write lock is what a writing read would queue behind")
    await joined_player(service, 1)
    blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        listing = await asyncio.wait_for(service.events.overview(), timeout=1)
        profile = await asyncio.wait_for(service.players.profile(1), timeout=1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert [e.participants for e in listing] == [1]
    assert profile.today_ballot_count == 0


async def test_the_migration_counts_the_participants_and_ballots_already_there(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO players (id, telegram_id, balance, created_at) VALUES (1, 1, 0, :now)",
                "INSERT INTO players (id, telegram_id, balance, created_at) VALUES (2, 2, 0, :now)",
                "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at)"
                " VALUES (1, :day, 'Old', 10, 'XTR', 'open', 0, :now)",
                "INSERT INTO registrations (event_id, player_id, joined_at) VALUES (1, 1, :now)",
                "INSERT INTO registrations (event_id, player_id, joined_at) VALUES (1, 2, :now)",
                "INSERT INTO ballots (event_id, number, player_id, created_at) VALUES (1, 1, 2, :now)",
                "INSERT INTO ballots (event_id, number, player_id, created_at) VALUES (1, 2, 2, :now)",
            ):
                await connection.execute(text(statement), {"now": START, "day": START.date()})
        await upgrade(engine)
        async with engine.connect() as connection:
            counted = (await connection.execute(text("SELECT participant_count FROM events"))).scalars().all()
            held = (
                await connection.execute(
                    text("SELECT player_id, ballots FROM registrations ORDER BY player_id")
                )
            ).all()
    finally:
        await engine.dispose()
    assert counted == [2]
    assert [tuple(row) for row in held] == [(1, 0), (2, 2)]


async def test_a_read_never_blocks_the_event_loop_on_a_locked_file(database_url: str) -> None:
    """Locked against readers (a connection in exclusive locking mode), the read waits off the loop."""
    if not database_url.startswith("sqlite"):
        pytest.skip("about SQLite's reader on the event loop's thread")
    blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
    blocker.execute("PRAGMA locking_mode=EXCLUSIVE")
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("SELECT count(*) FROM players")
    blocker.execute("COMMIT")  # the exclusive lock stays until the connection closes
    service = LotteryService.connect(database_url, clock=FixedClock(START))
    try:
        listing = asyncio.create_task(service.events.overview())
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.2)
        assert loop.time() - started < 1  # the loop kept running while the read waited
        assert not listing.done()
        blocker.close()
        events = await asyncio.wait_for(listing, timeout=10)
    finally:
        blocker.close()
        await service.close()
    assert [event.day for event in events] == [START.date()]
