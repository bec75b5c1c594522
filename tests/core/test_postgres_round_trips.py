"""On PostgreSQL each hot write is one round trip: a call of its function (storage.postgres), no BEGIN
or COMMIT. Counted by asyncpg itself, which logs every query it sends on a connection.

That the functions decide as the statements do is tests/core/test_postgres_functions.py's subject."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import event

from core.service import LotteryService
from storage import Database


@pytest.fixture
async def sent(db: Database) -> list[str]:
    """Every query the pool's connections send from now on, by its first word or two."""
    if db.dialect != "postgresql":
        pytest.skip("about PostgreSQL's round trips; SQLite runs in the bot's own process")
    queries: list[str] = []

    @event.listens_for(db.engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda record: queries.append(record.query))

    await db.engine.dispose()  # the connections made from here on log what they send
    return queries


async def _trips(sent: list[str], step: Callable[[], Awaitable[object]]) -> list[str]:
    sent.clear()
    await step()
    return [" ".join(query.split()).split("(")[0] for query in sent]  # "SELECT * FROM lottery_join"


async def test_each_hot_write_is_one_call(service: LotteryService, sent: list[str]) -> None:
    players, tickets, wallet = service.players, service.tickets, service.wallet
    # A first round on each pooled connection: asyncpg reads the array types' layout once per connection.
    await players.register(1, username="ann", first_name="Ann")
    await tickets.join(1)
    await wallet.pay(1, 2)
    await tickets.buy(1, 1)

    register = ["SELECT * FROM lottery_register"]
    assert await _trips(sent, lambda: players.register(2, username="bob", first_name="Bob")) == register
    assert await _trips(sent, lambda: players.register(1, username="ann", first_name="Anna")) == register
    assert await _trips(sent, lambda: tickets.join(2)) == ["SELECT * FROM lottery_join"]
    # The payer and the price in one read, the provider's charge, then the credit in one call.
    pay = await _trips(sent, lambda: wallet.pay(2, 1))
    assert len(pay) == 2
    assert pay[1] == "SELECT * FROM lottery_credit"
    assert await _trips(sent, lambda: tickets.buy(2, 1)) == ["SELECT * FROM lottery_buy"]


async def test_each_hot_read_is_one_statement_and_a_history_page_four(
    service: LotteryService, sent: list[str]
) -> None:
    await service.players.register(1, username="ann", first_name="Ann")
    await service.tickets.join(1)
    await service.wallet.pay(1, 2)
    await service.tickets.buy(1, 2)
    today = service.context.today()

    assert len(await _trips(sent, lambda: service.players.profile(1))) == 1  # /me
    assert len(await _trips(sent, lambda: service.receipts.today(1))) == 1  # /mytickets
    assert len(await _trips(sent, lambda: service.closing.winner_walk(today))) == 1  # /winner DATE
    assert len(await _trips(sent, lambda: service.events.overview())) == 1  # /events
    # The player, a page of the ledger, the page of ballot days, the first numbers of those days.
    assert len(await _trips(sent, lambda: service.history.page(1))) == 4  # /history
