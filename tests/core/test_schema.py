"""Migrations are safe when several replicas start at once on a fresh database.

Replicas are processes, so the test starts three `lottery-bot migrate` processes together.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import create_engine
from tests.support.processes import clean_env, finish, start_module


@pytest.fixture
async def fresh_database_url(tmp_path: Path) -> AsyncIterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if server is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"lottery_fresh_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def test_replicas_starting_together_migrate_once(fresh_database_url: str, tmp_path: Path) -> None:
    env = clean_env(DATABASE_URL=fresh_database_url)
    replicas = [await start_module("bot", "migrate", env=env, cwd=tmp_path) for _ in range(3)]
    for finished in await finish(*replicas):
        assert finished.returncode == 0, finished.stderr[-2000:]
    engine = create_engine(fresh_database_url)
    try:
        async with engine.connect() as connection:
            versions = (
                (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            )
    finally:
        await engine.dispose()
    assert versions == ["0002"]
