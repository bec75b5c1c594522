"""The startup check tells an unusable database from a busy one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.database import DatabaseUnusable, check_usable


async def test_a_sqlite_file_another_process_is_writing_is_busy_not_unusable(tmp_path: Path) -> None:
    path = tmp_path / "lottery.db"
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("CREATE TABLE held (id INTEGER)")
        writer.execute("BEGIN IMMEDIATE")  # a replica migrating, or a long write: the lock is taken
        await check_usable(f"sqlite+aiosqlite:///{path}")  # waits out busy_timeout, then lets the bot on
    finally:
        writer.execute("ROLLBACK")
        writer.close()


async def test_a_sqlite_file_in_a_missing_directory_is_unusable(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnusable, match="DATABASE_URL"):
        await check_usable(f"sqlite+aiosqlite:///{tmp_path}/missing/lottery.db")
