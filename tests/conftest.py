"""Shared fixtures: a real database per test (a temp SQLite file, or PostgreSQL when asked).

Set TEST_DATABASE_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres) to run every
database test on PostgreSQL: the run creates a fresh database of its own on that server, migrates it
once, and empties it before each test. Without it, each test gets its own migrated SQLite file.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from core.clock import FixedClock
from core.gateway import DummyGateway
from core.rules import LotteryRules
from core.service import LotteryService
from storage import Database, create_engine
from storage.models import Base
from storage.schema import upgrade

START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _postgres_server_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def _create_postgres_database(server_url: str, name: str) -> str:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database made once per run: a SQLite file to copy, or a PostgreSQL database."""
    server_url = _postgres_server_url()
    if server_url is None:
        path = tmp_path_factory.mktemp("template") / "lottery.db"
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return
    name = f"lottery_test_{secrets.token_hex(4)}"
    url = asyncio.run(_create_postgres_database(server_url, name))
    asyncio.run(_migrate(url))
    yield url
    asyncio.run(_drop_postgres_database(server_url, name))


@pytest.fixture
async def database_url(database_template: str, tmp_path: Path) -> str:
    """The URL of an empty, migrated database for this test alone."""
    if _postgres_server_url() is None:
        path = tmp_path / "lottery.db"
        shutil.copyfile(database_template, path)
        return f"sqlite+aiosqlite:///{path}"
    engine = create_engine(database_template)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    try:
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()
    return database_template


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def rules() -> LotteryRules:
    return LotteryRules(ballot_price=10, currency="XTR", max_ballots_per_purchase=100)


@pytest.fixture
def gateway() -> DummyGateway:
    return DummyGateway()


@pytest.fixture
def service(db: Database, rules: LotteryRules, clock: FixedClock, gateway: DummyGateway) -> LotteryService:
    return LotteryService(db, rules=rules, clock=clock, gateway=gateway)
