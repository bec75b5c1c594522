"""Purchases per second through the core buy use case, against raw aiosqlite inserts in the same run.

Each purchase is its own transaction, awaited one after another, as the bot does with
`concurrent_updates=1`: the figure is the latency-bound rate of one writer. The baseline is the floor
under any write, one plain INSERT per transaction on the same table, so the ratio says how much the
use case (its guards, ledger entry, and the trip to the database thread) costs on top of SQLite
itself. A second, informative line sends the purchase's own SQL statement by statement through
aiosqlite, seven trips to its thread, which is why the use case runs it as one function on a writer
thread instead (storage/sqlite.py).

Run from the project root: `python -m bench.purchases`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from bench._common import Outcome, median, print_table, spread, sqlite_datetime, sqlite_url, temp_database
from core.clock import FixedClock
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
PLAYERS = 100
FIRST_TELEGRAM_ID = 10_001
WARMUP = 50
REPEATS = 5
PURCHASES_PER_REPEAT = 500
RAW_INSERTS_PER_REPEAT = 2_000
RAW_PURCHASES_PER_REPEAT = 1_000
GOAL_RATIO = 0.4

RESERVE_SQL = """
UPDATE events SET ballot_count = ballot_count + 1
WHERE day = ? AND status = 'open' AND EXISTS (
    SELECT 1 FROM registrations JOIN players ON players.id = registrations.player_id
    WHERE registrations.event_id = events.id AND players.telegram_id = ?)
RETURNING id, ballot_count, price
"""
DEBIT_SQL = (
    "UPDATE players SET balance = balance - ? WHERE telegram_id = ? AND balance >= ? RETURNING id, balance"
)
BALLOT_SQL = "INSERT INTO ballots (event_id, number, player_id, created_at, receipt) VALUES (?, ?, ?, ?, ?)"
LEDGER_SQL = (
    "INSERT INTO ledger_entries (player_id, kind, amount, quantity, event_id, created_at) "
    "VALUES (?, 'purchase', ?, 1, ?, ?)"
)


def buyers() -> list[int]:
    """The telegram ids taking turns, so purchases do not all hit one player's row."""
    return [FIRST_TELEGRAM_ID + offset for offset in range(PLAYERS)]


# --- the figure: the use case -------------------------------------------------------------------


async def prepare_players(service: LotteryService, credit_each: int) -> None:
    """Register, join and pay for every buyer through the use cases, as real players would."""
    chunk = service.rules.max_ballots_per_purchase
    for telegram_id in buyers():
        await service.players.register(telegram_id, username=f"p{telegram_id}", first_name="Bench")
        await service.tickets.join(telegram_id)
        remaining = credit_each
        while remaining > 0:
            await service.wallet.pay(telegram_id, min(chunk, remaining))
            remaining -= chunk


async def buy_many(service: LotteryService, count: int, offset: int) -> float:
    """Buy one ballot `count` times, rotating buyers; purchases per second."""
    ids = buyers()
    start = time.perf_counter()
    for index in range(offset, offset + count):
        await service.tickets.buy(ids[index % PLAYERS], 1)
    return count / (time.perf_counter() - start)


# --- the baseline: one raw INSERT per transaction -----------------------------------------------


def seed_raw_database(path: Path, credit_each: int) -> None:
    """Give the raw database today's event and the same joined, paid buyers as the service's."""
    created = sqlite_datetime(NOW)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
            "VALUES (1, ?, 'raw', 1, 'XTR', 'open', 0, ?)",
            (NOW.date().isoformat(), created),
        )
        connection.executemany(
            "INSERT INTO players (id, telegram_id, balance, created_at) VALUES (?, ?, ?, ?)",
            [(index + 1, telegram_id, credit_each, created) for index, telegram_id in enumerate(buyers())],
        )
        connection.executemany(
            "INSERT INTO registrations (event_id, player_id, joined_at) VALUES (1, ?, ?)",
            [(index + 1, created) for index in range(PLAYERS)],
        )
    connection.close()


async def raw_inserts(connection: aiosqlite.Connection, count: int, first_number: int) -> float:
    """One ballot INSERT and one COMMIT per iteration, straight through aiosqlite; inserts per second.

    The ballots table of the migrated schema (both its indexes) with numbers far above the floor's,
    so the two raw loops sharing the database never collide.
    """
    created = sqlite_datetime(NOW)
    start = time.perf_counter()
    for number in range(first_number, first_number + count):
        await connection.execute(
            "INSERT INTO ballots (event_id, number, player_id, created_at) VALUES (1, ?, 1, ?)",
            (number, created),
        )
        await connection.commit()
    return count / (time.perf_counter() - start)


# --- information: the use case's SQL with nothing around it -------------------------------------


async def open_like_engine(path: Path) -> aiosqlite.Connection:
    """An aiosqlite connection with storage's pragmas and explicit transactions."""
    connection = await aiosqlite.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
        await connection.execute(f"PRAGMA {pragma}")
    return connection


async def raw_purchase(connection: aiosqlite.Connection, telegram_id: int, day: str, created: str) -> None:
    """The purchase's statements alone: six round trips to the SQLite thread, as few as they allow."""
    await connection.execute("BEGIN IMMEDIATE")
    try:
        ((event_id, number, price),) = await connection.execute_fetchall(RESERVE_SQL, (day, telegram_id))
        ((player_id, _balance),) = await connection.execute_fetchall(DEBIT_SQL, (price, telegram_id, price))
        receipt = secrets.token_hex(16)  # the baseline pays for a receipt too, as the real purchase does
        await connection.execute(BALLOT_SQL, (event_id, number, player_id, created, receipt))
        await connection.execute(LEDGER_SQL, (player_id, -price, event_id, created))
    except BaseException:
        await connection.execute("ROLLBACK")
        raise
    await connection.execute("COMMIT")


async def raw_purchases(connection: aiosqlite.Connection, count: int, offset: int) -> float:
    """Run `raw_purchase` `count` times, rotating buyers; purchases per second."""
    ids, day, created = buyers(), NOW.date().isoformat(), sqlite_datetime(NOW)
    start = time.perf_counter()
    for index in range(offset, offset + count):
        await raw_purchase(connection, ids[index % PLAYERS], day, created)
    return count / (time.perf_counter() - start)


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Rates:
    """Per-repeat rates of the three loops, interleaved so machine noise hits all three alike."""

    buy: list[float] = field(default_factory=list)
    raw_insert: list[float] = field(default_factory=list)
    raw_purchase: list[float] = field(default_factory=list)


async def measure(service: LotteryService, raw_path: Path) -> Rates:
    """Warm every loop up, then run REPEATS rounds of each."""
    rates = Rates()
    await buy_many(service, WARMUP, 0)
    raw = await open_like_engine(raw_path)
    try:
        async with aiosqlite.connect(raw_path) as plain:
            # The baseline as specified: aiosqlite's default transactions, WAL and synchronous=NORMAL.
            await plain.execute("PRAGMA journal_mode=WAL")
            await plain.execute("PRAGMA synchronous=NORMAL")
            first_number = 10_000_000
            await raw_inserts(plain, WARMUP, first_number)
            await raw_purchases(raw, WARMUP, 0)
            for repeat in range(REPEATS):
                offset = WARMUP + repeat * PURCHASES_PER_REPEAT
                rates.buy.append(await buy_many(service, PURCHASES_PER_REPEAT, offset))
                number = first_number + WARMUP + repeat * RAW_INSERTS_PER_REPEAT
                rates.raw_insert.append(await raw_inserts(plain, RAW_INSERTS_PER_REPEAT, number))
                offset = WARMUP + repeat * RAW_PURCHASES_PER_REPEAT
                rates.raw_purchase.append(await raw_purchases(raw, RAW_PURCHASES_PER_REPEAT, offset))
    finally:
        await raw.close()
    return rates


def verdict(rates: Rates) -> list[Outcome]:
    """The goal line and the informative floor line."""
    buy, raw_insert, raw_purchase = median(rates.buy), median(rates.raw_insert), median(rates.raw_purchase)
    baseline = f"{spread(rates.raw_insert)} /s raw aiosqlite INSERT+COMMIT"
    return [
        Outcome(
            figure=f"purchases/s via tickets.buy (median of {REPEATS}x{PURCHASES_PER_REPEAT})",
            measured=f"{spread(rates.buy)} /s",
            baseline=baseline,
            ratio=buy / raw_insert,
            goal=f">= {GOAL_RATIO} x raw",
            passed=buy / raw_insert >= GOAL_RATIO,
        ),
        Outcome(
            figure="info: the same SQL statement by statement via aiosqlite",
            measured=f"{spread(rates.raw_purchase)} /s",
            baseline=baseline,
            ratio=raw_purchase / raw_insert,
            goal="(7 trips to the driver thread)",
            passed=None,
        ),
    ]


async def run() -> list[Outcome]:
    """Set both databases up, measure, print the raw rates, and return the verdict."""
    needed = WARMUP + REPEATS * max(PURCHASES_PER_REPEAT, RAW_PURCHASES_PER_REPEAT)
    credit_each = -(-needed // PLAYERS) + 1
    async with temp_database("purchases") as core_path, temp_database("raw") as raw_path:
        db = Database.from_url(sqlite_url(core_path))
        service = LotteryService(db, rules=LotteryRules(ballot_price=1), clock=FixedClock(NOW))
        seed_raw_database(raw_path, credit_each)
        try:
            await prepare_players(service, credit_each)
            rates = await measure(service, raw_path)
        finally:
            await db.dispose()
    print(f"tickets.buy     /s per repeat: {', '.join(f'{rate:,.0f}' for rate in rates.buy)}")
    print(f"raw INSERT      /s per repeat: {', '.join(f'{rate:,.0f}' for rate in rates.raw_insert)}")
    print(f"raw purchase    /s per repeat: {', '.join(f'{rate:,.0f}' for rate in rates.raw_purchase)}")
    return verdict(rates)


def main() -> None:
    """Entry point for `python -m bench.purchases`."""
    outcomes = asyncio.run(run())
    print_table("Purchases: one ballot per transaction, sequential awaits", outcomes)


if __name__ == "__main__":
    main()
