"""Buying ballots: the hottest write path, in as few round trips to the database as it can take.

The purchase is five guarded statements in one transaction: reserve the next numbers (only in an open
event the player joined), debit the balance (only if it covers the cost), insert the ballots in bulk,
count them on the player's registration, and write the ledger entry. Any guard failing rolls it all
back. On PostgreSQL the function `lottery_buy` (migration 0010) runs the same guards inside the server;
tests/core/test_postgres_functions.py holds the two to the same results and the same rows.

On SQLite the transaction runs as one function through storage.sqlite's `SqliteWriter` (storage.trips'
`write`: on the event loop's own connection, or on the writer thread when the file is locked): through
SQLAlchemy's async adapter the same purchase took 19 trips to aiosqlite's thread and ran at ~270/s. On
PostgreSQL `Database.buy_ballots` calls the function instead (storage.postgres); these statements also
serve an in-memory SQLite database.
"""

from __future__ import annotations

import datetime as dt
import secrets
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
    try:
        return await write(engine, writer, lambda query: _purchase(query, day, telegram_id, quantity, now))
    except _Refused as refused:
        return refused.outcome


class _Refused(Exception):
    """Carries a refusal out of the transaction, so that it rolls back the numbers it reserved."""

    def __init__(self, outcome: PurchaseOutcome) -> None:
        self.outcome = outcome


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


def _ballot_rows(
    event_id: int, player_id: int, first: int, last: int, created_at: dt.datetime
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
