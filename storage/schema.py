"""Applying the Alembic migrations, from a running event loop or from the command line.

The schema is only ever made by migrations, so what runs in production is what the tests ran.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_253_001  # an arbitrary advisory-lock key of this project


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        # ConfigParser treats % as interpolation; URLs may carry %-escapes in passwords.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision` on a connection of `engine`."""

    def _upgrade(connection: Connection) -> None:
        if connection.dialect.name == "postgresql":
            # Several replicas may start at once on a fresh database: one migrates, the others wait
            # for its commit and then find nothing left to do. Released when the transaction ends.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
        else:
            # On SQLite the first statement begins the transaction with BEGIN IMMEDIATE (storage.database),
            # taking the write lock before Alembic reads the version, so every migration runs in this one
            # transaction and a second replica waits, then finds nothing to do.
            connection.exec_driver_sql("SELECT 1")
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.connect() as connection:
        await connection.run_sync(_upgrade)
        await connection.commit()
