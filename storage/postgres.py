"""The hot writes on PostgreSQL, each one call of a function that migration 0010 made: one round trip.

As a transaction of separate statements, /start's register was 5 to 9 round trips (BEGIN, each
statement, COMMIT), /join 5 to 8, a payment's credit 7 and /buy 7; each trip costs the bot about
0.1 ms of CPU in asyncpg and the event loop, and the server a little more. A function applies the same
guards inside the server, as one statement and so as one transaction of its own: its
guards decide as the statements did, a failure rolls all of it back, and what it returns is what the
portable versions (storage.joining, storage.payments, storage.purchases, which SQLite runs) return;
tests/core/test_postgres_functions.py runs both on the same states and compares results and rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Sequence
from typing import Any

from storage.joining import Closed, Joined, JoinOutcome, NewEvent, Unknown
from storage.payments import Credited
from storage.purchases import (
    RECEIPT_BYTES,
    NotReserved,
    Purchase,
    PurchaseOutcome,
    Unaffordable,
)
from storage.reads import PAGE_NUMBERS, PlayerRow, Query, TodaysBallots, event_row

_REGISTER = (
    "SELECT * FROM lottery_register(:telegram_id, :username, :first_name, :language, :now, :day, :numbers)"
)
_JOIN = (
    "SELECT * FROM lottery_join(:telegram_id, :day, :title, :price, :currency, :now, :secret, :commitment)"
)
_CREDIT = "SELECT * FROM lottery_credit(:telegram_id, :provider, :charge_id, :amount, :currency, :now)"
_BUY = "SELECT * FROM lottery_buy(:day, :telegram_id, :quantity, :now, :receipts)"


async def register(
    query: Query,
    *,
    telegram_id: int,
    username: str | None,
    first_name: str | None,
    day: dt.date,
    now: dt.datetime,
    language: str | None = None,
) -> tuple[TodaysBallots, bool]:
    """storage.joining.register in one call."""
    found = await _one(
        query,
        _REGISTER,
        {
            "telegram_id": telegram_id,
            "username": username,
            "first_name": first_name,
            "language": language,
            "now": now,
            "day": day,
            "numbers": PAGE_NUMBERS,
        },
        columns=20,
    )
    created, player, event, held, numbers = found[0], found[1:7], found[7:18], found[18], found[19]
    profile = TodaysBallots(
        PlayerRow(*player),
        None if event[0] is None else event_row(event),
        int(held),
        tuple((int(number), None) for number in numbers),
    )
    return profile, bool(created)


async def join(
    query: Query, *, telegram_id: int, day: dt.date, terms: NewEvent, now: dt.datetime
) -> JoinOutcome:
    """storage.joining.join in one call; the day's event, if it has to be made, gets its commitment."""
    secret = secrets.token_bytes(32)
    found = await _one(
        query,
        _JOIN,
        {
            "telegram_id": telegram_id,
            "day": day,
            "title": terms.title,
            "price": terms.price,
            "currency": terms.currency,
            "now": now,
            "secret": secret.hex(),
            "commitment": hashlib.sha256(hashlib.sha256(secret).digest()).hexdigest(),
        },
        columns=13,
    )
    outcome, newly_joined, event = found[0], found[1], found[2:]
    if outcome == "unknown":
        return Unknown()
    if outcome == "closed":
        return Closed(event_row(event))
    return Joined(event_row(event), newly_joined=bool(newly_joined))


async def credit_charge(
    query: Query,
    *,
    telegram_id: int,
    provider: str,
    charge_id: str,
    amount: int,
    currency: str,
    now: dt.datetime,
) -> Credited | None:
    """storage.payments.credit_charge in one call."""
    outcome, payment_id, paid, paid_in, balance = await _one(
        query,
        _CREDIT,
        {
            "telegram_id": telegram_id,
            "provider": provider,
            "charge_id": charge_id,
            "amount": amount,
            "currency": currency,
            "now": now,
        },
        columns=5,
    )
    if outcome == "none":
        return None
    return Credited(int(payment_id), int(paid), paid_in, int(balance), newly_credited=outcome == "credited")


async def buy(
    query: Query, *, day: dt.date, telegram_id: int, quantity: int, now: dt.datetime
) -> PurchaseOutcome:
    """storage.purchases' purchase in one call, each ballot with its fresh private receipt."""
    receipts = [secrets.token_hex(RECEIPT_BYTES) for _ in range(quantity)]
    found = await _one(
        query,
        _BUY,
        {"day": day, "telegram_id": telegram_id, "quantity": quantity, "now": now, "receipts": receipts},
        columns=10,
    )
    outcome, event_id, player_id, first, last, price, currency, balance, prize, prize_rules = found
    if outcome == "not_reserved":
        return NotReserved()
    if outcome == "unaffordable":
        return Unaffordable(quantity * int(price), currency)
    return Purchase(
        int(event_id), int(player_id), first, last, int(price), currency, int(balance), prize, prize_rules
    )


async def _one(query: Query, sql: str, params: dict[str, Any], *, columns: int) -> Sequence[Any]:
    """The function's one row, refused unless it has the columns read from it: a database whose
    function is of another shape (migrated by another version of the bot) fails here, plainly."""
    found = await query.row(sql, params)
    if found is None or len(found) != columns:
        shape = "no row" if found is None else f"{len(found)} columns"
        raise RuntimeError(f"{sql.split('(')[0].split()[-1]} returned {shape}, not {columns} columns")
    return found
