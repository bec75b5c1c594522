"""/winner's ◀ ▶ read the drawn days either side of a day: one index walk each way, no sort, no table scan."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from core.clock import FixedClock
from core.service import LotteryService
from storage import create_engine, reads
from storage.schema import upgrade
from tests.core.players import joined_player


async def _drawn_day(service: LotteryService, telegram_id: int) -> dt.date:
    """Today's lottery with one ballot, closed and drawn."""
    await joined_player(service, telegram_id)
    await service.wallet.pay(telegram_id, 1)
    await service.tickets.buy(telegram_id, 1)
    day = service.context.today()
    await service.closing.close_open_events()
    return day


async def test_the_walk_steps_over_days_with_no_lottery_an_empty_or_cancelled_one(
    service: LotteryService, clock: FixedClock
) -> None:
    first = await _drawn_day(service, 1)
    clock.advance(dt.timedelta(days=1))
    await service.tickets.join(1)  # a day that closes empty
    await service.closing.close_open_events()
    clock.advance(dt.timedelta(days=2))  # a day with no lottery at all
    last = await _drawn_day(service, 2)
    clock.advance(dt.timedelta(days=1))
    await service.tickets.join(1)  # today: open, not drawn yet

    between = await service.closing.winner_walk(first + dt.timedelta(days=2))
    assert (between.info, between.earlier, between.later) == (None, first, last)
    start = await service.closing.winner_walk(first)
    assert (start.info is not None, start.earlier, start.later) == (True, None, last)
    end = await service.closing.winner_walk(last)
    assert (end.earlier, end.later) == (first, None)  # today is open: no step into it
    latest = await service.closing.latest_winner_walk()
    assert latest is not None
    assert (latest.day, latest.earlier, latest.later) == (last, first, None)


async def test_each_step_is_one_walk_along_the_status_day_index(tmp_path: Path) -> None:
    """The index gives both the order and the empty days (ballot_count); only a closed day with ballots
    is read from the table, to see that its winning number is there (frozen ones wait without)."""
    path = tmp_path / "plan.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    with sqlite3.connect(path) as connection:
        for step in (reads._DRAWN_BEFORE, reads._DRAWN_AFTER):
            statement = step.format(day=":day")
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", {"day": "x"})]
            assert len(plan) == 1, plan  # no sort step (TEMP B-TREE), no second table
            assert plan[0].startswith("SEARCH drawn USING INDEX ix_events_status_day_ballot_count"), plan
        # The whole walk, with the day's own draw: every table by an index, nothing sorted.
        for statement in (reads._WINNER_WALK, reads._LATEST_WINNER_WALK):
            plan = [row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {statement}", {"day": "x"})]
            # The one row the day's own draw is joined to is SQLite's constant row, not a table.
            scans = [step for step in plan if step.startswith("SCAN")]
            assert set(scans) <= {"SCAN CONSTANT ROW", "SCAN here"}, plan
            assert not [step for step in plan if "TEMP B-TREE" in step], plan
