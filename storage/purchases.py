"""Buying ballots: the hottest write path, in as few round trips to the database as it can take.

The purchase is five guarded statements in one transaction: reserve the next numbers (only in an open
event the player joined), debit the balance (only if it covers the cost), insert the ballots in bulk,
count them on the player's registration, and write the ledger entry. Any guard failing rolls it all
back. On PostgreSQL the function `lottery_buy` (migration 0010) runs the same guards inside the server;
tests/core/test_postgres_functions.py holds the two to the same results and the same rows.

On SQLite the transaction runs as one function through storage.sqlite's `SqliteWriter` (on the event
loop's own connection, or on the writer thread when the file is locked): through SQLAlchemy's async
adapter the same purchase took 19 trips to aiosqlite's thread and ran at ~270/s.
On PostgreSQL the purchase is one call of the function `lottery_buy` (migration 0010, storage.postgres),
which runs the same guards inside the server in one round trip; these statements serve an in-memory
SQLite database.
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from storage.reads import Query
from storage.sqlite import SqliteWriter
from storage.trips import write


@dataclass(frozen=True)
class Purchase:
    event_id: int
    player_id: int
    first: int
    last: int
    price: int
    currency: str
    balance: int
    # The event's own prize and rules line (None: the configured ones), for the receipt.
    prize: str | None
    prize_rules: str | None


@dataclass(frozen=True)
class NotReserved:
    """The day's event is missing or not open, or the player has not joined it."""


@dataclass(frozen=True)
class Unaffordable:
    cost: int
    currency: str


PurchaseOutcome = Purchase | NotReserved | Unaffordable

RECEIPT_BYTES = 16

_RESERVE = """
UPDATE events SET ballot_count = ballot_count + :quantity
WHERE day = :day AND status = 'open' AND EXISTS (
    SELECT 1 FROM registrations JOIN players ON players.id = registrations.player_id
    WHERE registrations.event_id = events.id AND players.telegram_id = :telegram_id
)
RETURNING id, ballot_count, price, currency, prize, prize_rules
"""
_DEBIT = """
UPDATE players SET balance = balance - :cost
WHERE telegram_id = :telegram_id AND balance >= :cost
RETURNING id, balance
"""
_ISSUE = """
INSERT INTO ballots (event_id, number, player_id, created_at, receipt)
VALUES (:event_id, :number, :player_id, :created_at, :receipt)
"""
# The holder's count of ballots in the event, read by /me and /history instead of counting them.
_HOLD = """
UPDATE registrations SET ballots = ballots + :quantity WHERE event_id = :event_id AND player_id = :player_id
"""
_LEDGER = """
INSERT INTO ledger_entries (player_id, kind, amount, quantity, event_id, created_at)
VALUES (:player_id, 'purchase', :amount, :quantity, :event_id, :created_at)
"""


async def buy_ballots(
    engine: AsyncEngine,
    writer: SqliteWriter | None,
    *,
    day: dt.date,
    telegram_id: int,
    quantity: int,
    now: dt.datetime,
) -> PurchaseOutcome:
    """Run the purchase transaction; nothing is written unless the whole of it succeeds."""
    if writer is not None:
        timestamp = _sqlite_timestamp(now)
        return await writer.run(
            lambda db: _buy_in_sqlite(db, day.isoformat(), telegram_id, quantity, timestamp)
        )
    return await _buy_portably(engine, day, telegram_id, quantity, now)


class _Refused(Exception):
    """Carries a refusal out of the transaction, so that it rolls back the numbers it reserved."""

    def __init__(self, outcome: PurchaseOutcome) -> None:
        self.outcome = outcome


async def _buy_portably(
    engine: AsyncEngine, day: dt.date, telegram_id: int, quantity: int, now: dt.datetime
) -> PurchaseOutcome:
    try:
        return await write(engine, None, lambda query: _purchase(query, day, telegram_id, quantity, now))
    except _Refused as refused:
        return refused.outcome


async def _purchase(
    query: Query, day: dt.date, telegram_id: int, quantity: int, now: dt.datetime
) -> PurchaseOutcome:
    reserved = await query.row(_RESERVE, {"day": day, "telegram_id": telegram_id, "quantity": quantity})
    if reserved is None:
        raise _Refused(NotReserved())
    event_id, last, price, currency, prize, prize_rules = reserved
    cost = quantity * price
    debited = await query.row(_DEBIT, {"cost": cost, "telegram_id": telegram_id})
    if debited is None:
        raise _Refused(Unaffordable(cost, currency))
    player_id, balance = debited
    first = last - quantity + 1
    await query.run_many(_ISSUE, _ballot_rows(event_id, player_id, first, last, now))
    await query.run(_HOLD, {"quantity": quantity, "event_id": event_id, "player_id": player_id})
    await query.run(
        _LEDGER,
        {
            "player_id": player_id,
            "amount": -cost,
            "quantity": quantity,
            "event_id": event_id,
            "created_at": now,
        },
    )
    return Purchase(event_id, player_id, first, last, price, currency, balance, prize, prize_rules)


def _buy_in_sqlite(
    db: sqlite3.Connection, day: str, telegram_id: int, quantity: int, created_at: str
) -> PurchaseOutcome:
    """The same statements on one of `SqliteWriter`'s sqlite3 connections, in one BEGIN IMMEDIATE."""
    db.execute("BEGIN IMMEDIATE")
    try:
        outcome = _purchase_statements(db, day, telegram_id, quantity, created_at)
        db.execute("COMMIT" if isinstance(outcome, Purchase) else "ROLLBACK")
    except BaseException:
        # The connection lives on: never leave it inside a transaction holding the write lock.
        # SQLite may have rolled back by itself already (a failed COMMIT, an I/O error).
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return outcome


def _purchase_statements(
    db: sqlite3.Connection, day: str, telegram_id: int, quantity: int, created_at: str
) -> PurchaseOutcome:
    reserved = db.execute(_RESERVE, {"day": day, "telegram_id": telegram_id, "quantity": quantity}).fetchone()
    if reserved is None:
        return NotReserved()
    event_id, last, price, currency, prize, prize_rules = reserved
    cost = quantity * price
    debited = db.execute(_DEBIT, {"cost": cost, "telegram_id": telegram_id}).fetchone()
    if debited is None:
        return Unaffordable(cost, currency)
    player_id, balance = debited
    first = last - quantity + 1
    db.executemany(_ISSUE, _ballot_rows(event_id, player_id, first, last, created_at))
    db.execute(_HOLD, {"quantity": quantity, "event_id": event_id, "player_id": player_id})
    db.execute(
        _LEDGER,
        {
            "player_id": player_id,
            "amount": -cost,
            "quantity": quantity,
            "event_id": event_id,
            "created_at": created_at,
        },
    )
    return Purchase(event_id, player_id, first, last, price, currency, balance, prize, prize_rules)


def _ballot_rows(
    event_id: int, player_id: int, first: int, last: int, created_at: object
) -> list[dict[str, Any]]:
    """The ballots' rows, each with a fresh private receipt, so the bulk insert stays one statement."""
    return [
        {
            "event_id": event_id,
            "number": n,
            "player_id": player_id,
            "created_at": created_at,
            "receipt": secrets.token_hex(RECEIPT_BYTES),
        }
        for n in range(first, last + 1)
    ]


def _sqlite_timestamp(instant: dt.datetime) -> str:
    """UTC in the text form SQLAlchemy's SQLite DateTime writes and reads back."""
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
