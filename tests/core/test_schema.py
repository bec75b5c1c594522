"""Migrations are safe when several replicas start at once on a fresh database.

Replicas are processes, so the test starts three `lottery-bot migrate` processes together.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage import create_engine

ROOT = Path(__file__).resolve().parents[2]


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
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "DATABASE_URL": fresh_database_url}
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "migrate",
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(r.communicate() for r in replicas)), timeout=120)
    for replica, (_, stderr) in zip(replicas, outputs, strict=True):
        assert replica.returncode == 0, stderr.decode()[-2000:]
    engine = create_engine(fresh_database_url)
    try:
        async with engine.connect() as connection:
            versions = (
                (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalars().all()
            )
    finally:
        await engine.dispose()
    assert versions == ["0001"]
