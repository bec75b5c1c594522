"""Drawing an event of 1,000,000 ballots: time and memory, against the naive draw in the same run.

The draw must not grow with the number of ballots: `closing.draw` (the step after the freeze, which
bench.verifiable_draw measures) derives the winning number from the frozen record's seed and ballot
count, then finds its owner by the `(event, number)` index. The baseline is what
that design avoids, loading every ballot id into Python and picking one with `secrets.choice`.

The ballots are written by bulk SQL straight into the migrated schema (a recursive CTE), not through
the purchase use case, which would take over an hour at its rate. Between repeats the event is put back
to 'frozen' and its outbox rows removed, so every repeat draws the same event from the same state.

Run from the project root: `python -m bench.draw` (`--participants N` spreads the ballots over N
joined players, which also makes the close queue N-1 result notifications).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench._common import (
    MB,
    Outcome,
    RssProbe,
    elapsed,
    median,
    megabytes,
    milliseconds,
    print_table,
    sqlite_datetime,
    sqlite_url,
    temp_database,
    traced_peak,
)
from core.clock import FixedClock
from core.results import DrawResult
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database
from storage.models import Ballot

BALLOTS = 1_000_000
EVENT_ID = 1
DAY = dt.date(2024, 4, 30)
NOW = dt.datetime(2024, 5, 1, 0, 5, tzinfo=dt.UTC)
CLOSE_REPEATS = 5
NAIVE_REPEATS = 3
GOAL_SECONDS = 1.0
GOAL_BYTES = 50 * MB


def populate(path: Path, participants: int) -> float:
    """Write players, one open event of yesterday, its registrations and BALLOTS ballots; seconds taken.

    Plain sqlite3 with synchronous=OFF: this is setup, and the fastest honest way to a real file of
    the migrated schema with densely numbered ballots.
    """
    created = sqlite_datetime(NOW - dt.timedelta(days=1))
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO players (id, telegram_id, username, balance, created_at) VALUES (?, ?, ?, 0, ?)",
                [(pid, 1_000_000 + pid, f"player{pid}", created) for pid in range(1, participants + 1)],
            )
            connection.execute(
                "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
                "VALUES (?, ?, 'Bench draw', 1, 'XTR', 'open', ?, ?)",
                (EVENT_ID, DAY.isoformat(), BALLOTS, created),
            )
            connection.executemany(
                "INSERT INTO registrations (event_id, player_id, joined_at) VALUES (?, ?, ?)",
                [(EVENT_ID, pid, created) for pid in range(1, participants + 1)],
            )
            connection.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO ballots (event_id, number, player_id, created_at) "
                "SELECT ?, i, 1 + (i % ?), ? FROM n",
                (BALLOTS, EVENT_ID, participants, created),
            )
        (count,) = connection.execute(
            "SELECT count(*) FROM ballots WHERE event_id = ?", (EVENT_ID,)
        ).fetchone()
    finally:
        connection.close()
    if count != BALLOTS:
        raise RuntimeError(f"populated {count:,} ballots, expected {BALLOTS:,}")
    return time.perf_counter() - start


def reopen(path: Path) -> None:
    """Undo a draw, so the next repeat starts from the same frozen record and an empty outbox."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.execute(
                "UPDATE events SET winning_number = NULL, winner_player_id = NULL WHERE id = ?", (EVENT_ID,)
            )
            connection.execute(
                "UPDATE draw_records SET state = 'frozen', signature = NULL, randomness = NULL, seed = NULL, "
                "winning_number = NULL, drawn_at = NULL WHERE event_id = ?",
                (EVENT_ID,),
            )
            connection.execute("DELETE FROM outbox WHERE event_id = ?", (EVENT_ID,))
    finally:
        connection.close()


async def close(service: LotteryService) -> DrawResult:
    """The figure: one call of the use case, checked to have drawn among all the ballots."""
    result = await service.closing.draw(EVENT_ID, NOW)
    if result is None or result.ballot_count != BALLOTS or result.winning_number is None:
        raise RuntimeError(f"the draw did not draw among all {BALLOTS:,} ballots: {result}")
    return result


async def naive_pick(db: Database) -> int:
    """The baseline: every ballot id of the event into a Python list, then `secrets.choice`."""
    async with db.snapshot() as uow:
        ids = (await uow.session.scalars(select(Ballot.id).where(Ballot.event_id == EVENT_ID))).all()
    if len(ids) != BALLOTS:
        raise RuntimeError(f"loaded {len(ids):,} ballot ids, expected {BALLOTS:,}")
    return secrets.choice(ids)


@dataclass(frozen=True)
class Measured:
    """Median seconds and worst RSS growth over the timed runs, and the traced peak of one more run."""

    seconds: list[float]
    rss_growth: list[int]
    traced_peak: int

    @property
    def median_seconds(self) -> float:
        return median(self.seconds)


async def measure_close(service: LotteryService, path: Path) -> Measured:
    """Time CLOSE_REPEATS closes (tracemalloc off), then trace one more for its Python peak."""
    seconds, growth = [], []
    for _ in range(CLOSE_REPEATS):
        reopen(path)
        probe = RssProbe.start()
        _, took = await elapsed(lambda: close(service))
        growth.append(probe.growth_bytes())
        seconds.append(took)
    reopen(path)
    _, peak = await traced_peak(lambda: close(service))
    return Measured(seconds, growth, peak)


async def measure_naive(db: Database) -> Measured:
    """Time NAIVE_REPEATS naive picks (tracemalloc off), then trace one more for its Python peak."""
    seconds, growth = [], []
    for _ in range(NAIVE_REPEATS):
        probe = RssProbe.start()
        _, took = await elapsed(lambda: naive_pick(db))
        growth.append(probe.growth_bytes())
        seconds.append(took)
    _, peak = await traced_peak(lambda: naive_pick(db))
    return Measured(seconds, growth, peak)


def verdict(core: Measured, naive: Measured) -> list[Outcome]:
    """Time and both memory views, each against the naive draw and the goal."""
    core_rss, naive_rss = max(core.rss_growth), max(naive.rss_growth)
    return [
        Outcome(
            figure=f"draw time (median of {CLOSE_REPEATS})",
            measured=milliseconds(core.median_seconds),
            baseline=f"{milliseconds(naive.median_seconds)} naive load-all + secrets.choice",
            ratio=core.median_seconds / naive.median_seconds,
            goal=f"< {GOAL_SECONDS:g} s",
            passed=core.median_seconds < GOAL_SECONDS,
        ),
        Outcome(
            figure="draw tracemalloc peak",
            measured=megabytes(core.traced_peak),
            baseline=f"{megabytes(naive.traced_peak)} naive",
            ratio=core.traced_peak / naive.traced_peak,
            goal=f"< {megabytes(GOAL_BYTES)}",
            passed=core.traced_peak < GOAL_BYTES,
        ),
        Outcome(
            figure=f"draw RSS growth (worst of {CLOSE_REPEATS})",
            measured=megabytes(core_rss),
            baseline=f"{megabytes(naive_rss)} naive",
            ratio=core_rss / naive_rss if naive_rss else None,
            goal=f"< {megabytes(GOAL_BYTES)}",
            passed=core_rss < GOAL_BYTES,
        ),
    ]


async def run(participants: int) -> list[Outcome]:
    """Populate, warm the engine up, measure the use case first and the naive draw second.

    The naive draw goes last so the memory it leaves with the allocator cannot flatter the use case.
    """
    async with temp_database("draw") as path:
        took = populate(path, participants)
        size = sum(file.stat().st_size for file in path.parent.iterdir())
        print(
            f"populated {BALLOTS:,} ballots, {participants:,} participant(s): {took:.1f} s, {megabytes(size)}"
        )
        db = Database.from_url(sqlite_url(path))
        service = LotteryService(db, rules=LotteryRules(), clock=FixedClock(NOW))
        try:
            await service.closing.winner_on(DAY)  # connect, set the pragmas, fill SQLAlchemy's caches
            await service.closing.freeze(EVENT_ID, NOW)  # once: the figure is the draw that follows
            core = await measure_close(service, path)
            naive = await measure_naive(db)
        finally:
            await db.dispose()
    print(f"draw seconds: {', '.join(f'{s:.4f}' for s in core.seconds)}")
    print(f"naive pick seconds:  {', '.join(f'{s:.3f}' for s in naive.seconds)}")
    print(f"draw RSS growth (MB): {', '.join(f'{g / MB:.1f}' for g in core.rss_growth)}")
    print(f"naive pick RSS growth (MB):  {', '.join(f'{g / MB:.1f}' for g in naive.rss_growth)}")
    return verdict(core, naive)


def main() -> None:
    """Entry point for `python -m bench.draw`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=1, help="joined players sharing the ballots")
    arguments = parser.parse_args()
    outcomes = asyncio.run(run(max(1, arguments.participants)))
    print_table(f"Closing an event of {BALLOTS:,} ballots (ratio = figure / baseline)", outcomes)


if __name__ == "__main__":
    main()
