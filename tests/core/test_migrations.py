"""The migrations build exactly the schema the models describe, on a fresh database, and carry
the rows of an older one forward."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import Database
from storage.database import create_engine
from storage.models import Base, Event, Payment, Player
from storage.schema import alembic_config, upgrade
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


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(run)
        await connection.commit()


async def test_a_database_with_rows_goes_up_to_head_down_to_0004_and_up_again(empty_url: str) -> None:
    """This session's migrations (0005 to head) on a database that holds a day of play: every step
    keeps the rows, and the counts they add are backfilled. On SQLite a batch rebuild of a table that
    others reference would be refused by the foreign keys here."""
    engine = create_engine(empty_url)
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO players (id, telegram_id, balance, created_at) VALUES "
                    "(1, 11, 0, :at), (2, 12, 0, :at)"
                ),
                {"at": PAID},
            )
            await connection.execute(
                text(
                    "INSERT INTO events (id, day, title, price, currency, status, ballot_count, created_at) "
                    "VALUES (1, :day, 't', 10, 'XTR', 'open', 3, :at)"
                ),
                {"day": dt.date(2024, 5, 1), "at": PAID},
            )
            await connection.execute(
                text(
                    "INSERT INTO registrations (event_id, player_id, joined_at) "
                    "VALUES (1, 1, :at), (1, 2, :at)"
                ),
                {"at": PAID},
            )
            await connection.execute(
                text(
                    "INSERT INTO ballots (event_id, number, player_id, created_at) VALUES "
                    "(1, 1, 1, :at), (1, 2, 1, :at), (1, 3, 2, :at)"
                ),
                {"at": PAID},
            )
        for _ in range(2):
            await upgrade(engine)
            async with engine.connect() as connection:
                participants = (
                    await connection.execute(text("SELECT participant_count FROM events"))
                ).scalar()
                held: dict[int, int] = dict(
                    (await connection.execute(text("SELECT player_id, ballots FROM registrations"))).all()
                )
            assert (participants, held) == (2, {1: 2, 2: 1})
            await _downgrade(engine, "0004")
            async with engine.connect() as connection:
                counts = [
                    (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar()
                    for table in ("players", "events", "registrations", "ballots")
                ]
            assert counts == [2, 1, 2, 3]
    finally:
        await engine.dispose()


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
