"""`winner_on(day)` latency with ten years of daily draws, against a raw aiosqlite lookup in the same run.

The question a player asks most after "did I win today" is "who won on that day": it must stay fast
however long the lottery has run. Ten years of closed events with winners are written by bulk SQL;
the same random days are then asked of the use case and of one hand-written indexed SELECT … JOIN
straight through aiosqlite (the floor: one round trip, no SQLAlchemy, no transaction).

Run from the project root: `python -m bench.winners`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from bench._common import (
    Outcome,
    median,
    milliseconds,
    percentile,
    print_table,
    spread,
    sqlite_datetime,
    sqlite_url,
    temp_database,
)
from core.clock import FixedClock
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database

YEARS = 10
EVENTS = 365 * YEARS
PLAYERS = 1_000
FIRST_DAY = dt.date(2015, 1, 1)
NOW = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=EVENTS), dt.time(12), tzinfo=dt.UTC)
CALLS_PER_ROUND = 500
ROUNDS = 3
WARMUP = 50
GOAL_SECONDS = 0.005

RAW_SQL = """
SELECT e.day, e.title, e.status, e.ballot_count, e.winning_number, p.id, p.username, p.first_name
FROM events AS e LEFT JOIN players AS p ON p.id = e.winner_player_id
WHERE e.day = ?
"""


def event_row(index: int) -> tuple[int, str, str, int, str, str, str, int, int]:
    """One closed day: random ballot count, a winning number within it, a random winner, a fresh seed."""
    day = FIRST_DAY + dt.timedelta(days=index)
    ballots = 1 + secrets.randbelow(5_000)
    closed = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0, 5), tzinfo=dt.UTC)
    return (
        index + 1,
        day.isoformat(),
        f"Lottery of {day.isoformat()}",
        ballots,
        sqlite_datetime(closed - dt.timedelta(days=1)),
        sqlite_datetime(closed),
        secrets.token_hex(32),
        1 + secrets.randbelow(ballots),
        1 + secrets.randbelow(PLAYERS),
    )


def populate(path: Path) -> float:
    """Write PLAYERS players and EVENTS closed, drawn events into the migrated schema; seconds taken."""
    created = sqlite_datetime(dt.datetime.combine(FIRST_DAY, dt.time(), tzinfo=dt.UTC))
    start = time.perf_counter()
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.executemany(
                "INSERT INTO players (id, telegram_id, username, first_name, balance, created_at) "
                "VALUES (?, ?, ?, 'Bench', 0, ?)",
                [(pid, 2_000_000 + pid, f"winner{pid}", created) for pid in range(1, PLAYERS + 1)],
            )
            connection.executemany(
                "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at, "
                "closed_at, draw_seed, winning_number, winner_player_id) "
                "VALUES (?, ?, ?, 1, 'XTR', 'closed', ?, ?, ?, ?, ?, ?)",
                [event_row(index) for index in range(EVENTS)],
            )
    finally:
        connection.close()
    return time.perf_counter() - start


def random_days(count: int) -> list[dt.date]:
    """Days picked uniformly over the ten years with `secrets`, so no cache sees a pattern."""
    return [FIRST_DAY + dt.timedelta(days=secrets.randbelow(EVENTS)) for _ in range(count)]


async def latencies(lookup: Callable[[dt.date], Awaitable[object]], days: Sequence[dt.date]) -> list[float]:
    """Seconds per call of `lookup` for each day, awaited one after another."""
    seconds = []
    for day in days:
        start = time.perf_counter()
        await lookup(day)
        seconds.append(time.perf_counter() - start)
    return seconds


def core_lookup(service: LotteryService) -> Callable[[dt.date], Awaitable[object]]:
    """The figure: the use case, checked to name a winner."""

    async def lookup(day: dt.date) -> object:
        info = await service.closing.winner_on(day)
        if not info.drawn or info.winner_name is None:
            raise RuntimeError(f"no winner named for {day}: {info}")
        return info

    return lookup


def raw_lookup(connection: aiosqlite.Connection) -> Callable[[dt.date], Awaitable[object]]:
    """The baseline: one indexed SELECT … JOIN by day, one round trip to the SQLite thread."""

    async def lookup(day: dt.date) -> object:
        rows = list(await connection.execute_fetchall(RAW_SQL, (day.isoformat(),)))
        if len(rows) != 1 or rows[0][5] is None:
            raise RuntimeError(f"no winner found for {day}: {rows}")
        return rows[0]

    return lookup


@dataclass
class Rounds:
    """Per-round medians and every call's latency, for the use case and the raw lookup."""

    core_medians: list[float] = field(default_factory=list)
    raw_medians: list[float] = field(default_factory=list)
    core_all: list[float] = field(default_factory=list)
    raw_all: list[float] = field(default_factory=list)


async def measure(service: LotteryService, path: Path) -> Rounds:
    """Warm both up, then ROUNDS rounds asking both the same fresh random days."""
    rounds = Rounds()
    async with aiosqlite.connect(path) as connection:
        for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
            await connection.execute(f"PRAGMA {pragma}")
        core, raw = core_lookup(service), raw_lookup(connection)
        warmup = random_days(WARMUP)
        await latencies(core, warmup)
        await latencies(raw, warmup)
        for _ in range(ROUNDS):
            days = random_days(CALLS_PER_ROUND)
            core_seconds = await latencies(core, days)
            raw_seconds = await latencies(raw, days)
            rounds.core_medians.append(median(core_seconds))
            rounds.raw_medians.append(median(raw_seconds))
            rounds.core_all += core_seconds
            rounds.raw_all += raw_seconds
    return rounds


def verdict(rounds: Rounds) -> list[Outcome]:
    """The median against the goal, and the tail for information."""
    core, raw = median(rounds.core_medians), median(rounds.raw_medians)
    core_tail, raw_tail = percentile(rounds.core_all, 0.95), percentile(rounds.raw_all, 0.95)
    return [
        Outcome(
            figure=f"winner_on latency (median, {ROUNDS}x{CALLS_PER_ROUND} days)",
            measured=spread(rounds.core_medians, milliseconds),
            baseline=f"{spread(rounds.raw_medians, milliseconds)} raw aiosqlite SELECT … JOIN WHERE day = ?",
            ratio=core / raw,
            goal=f"< {GOAL_SECONDS * 1000:g} ms",
            passed=core < GOAL_SECONDS,
        ),
        Outcome(
            figure="info: winner_on latency, 95th percentile",
            measured=milliseconds(core_tail),
            baseline=f"{milliseconds(raw_tail)} raw",
            ratio=core_tail / raw_tail,
            goal="-",
            passed=None,
        ),
    ]


async def run() -> list[Outcome]:
    """Populate ten years, measure both lookups, print the per-round medians, return the verdict."""
    async with temp_database("winners") as path:
        took = populate(path)
        print(f"populated {EVENTS:,} closed events and {PLAYERS:,} players in {took:.2f} s")
        db = Database.from_url(sqlite_url(path))
        service = LotteryService(db, rules=LotteryRules(), clock=FixedClock(NOW))
        try:
            rounds = await measure(service, path)
        finally:
            await db.dispose()
    print(f"winner_on median per round: {', '.join(milliseconds(s) for s in rounds.core_medians)}")
    print(f"raw       median per round: {', '.join(milliseconds(s) for s in rounds.raw_medians)}")
    return verdict(rounds)


def main() -> None:
    """Entry point for `python -m bench.winners`."""
    outcomes = asyncio.run(run())
    print_table(f"Who won on a day, with {YEARS} years of daily draws (ratio = figure / baseline)", outcomes)


if __name__ == "__main__":
    main()
