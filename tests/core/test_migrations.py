"""The migrations build exactly the schema the models describe, on a fresh database, and carry
the rows of an older one forward."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection

from storage import Database
from storage.database import create_engine
from storage.models import Base, Event, Payment, Player
from storage.schema import upgrade
from tests.conftest import _create_postgres_database, _drop_postgres_database, _postgres_server_url

PAID = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)


async def test_migrated_schema_matches_the_models(db: Database) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        diff = await connection.run_sync(differences)
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert diff == []
    assert {table.name for table in Base.metadata.sorted_tables} | {"alembic_version"} == tables


@pytest.fixture
async def empty_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema at all, to migrate step by step."""
    server = _postgres_server_url()
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = f"lottery_migration_{secrets.token_hex(4)}"
    yield await _create_postgres_database(server, name)
    await _drop_postgres_database(server, name)


async def test_0006_dates_refunds_left_pending_by_older_code(empty_url: str) -> None:
    engine = create_engine(empty_url)
    try:
        await upgrade(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(insert(Player).values(id=1, telegram_id=1, balance=0, created_at=PAID))
            for charge_id, state in (("pending", "refunding"), ("kept", "credited")):
                await connection.execute(
                    insert(Payment).values(
                        player_id=1,
                        provider="stars",
                        charge_id=charge_id,
                        amount=10,
                        currency="XTR",
                        status=state,
                        created_at=PAID,
                    )
                )
        await upgrade(engine)
        async with engine.connect() as connection:
            rows = (await connection.execute(select(Payment.charge_id, Payment.refund_requested_at))).all()
    finally:
        await engine.dispose()
    assert {charge: at for charge, at in rows} == {"pending": PAID, "kept": None}


async def test_0009_names_every_earlier_player_by_first_name_and_leaves_prizes_to_the_settings(
    empty_url: str,
) -> None:
    engine = create_engine(empty_url)
    try:
        await upgrade(engine, "0008")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO players (id, telegram_id, username, first_name, balance, created_at) "
                    "VALUES (1, 1, 'ann', 'Ann', 0, :at)"
                ),
                {"at": PAID},
            )
            await connection.execute(
                text(
                    "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
                    "VALUES (1, :day, 'Lottery', 10, 'XTR', 'open', 0, :at)"
                ),
                {"day": PAID.date(), "at": PAID},
            )
        await upgrade(engine)
        async with engine.connect() as connection:
            choice = (await connection.execute(select(Player.public_name))).scalar_one()
            prizes = (await connection.execute(select(Event.prize, Event.prize_rules))).one()
    finally:
        await engine.dispose()
    assert choice == "first_name"
    assert tuple(prizes) == (None, None)
