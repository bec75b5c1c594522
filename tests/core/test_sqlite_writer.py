"""Where SQLite's one-trip transactions run: on the event loop when the file is free, off it when not."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from core.clock import FixedClock
from core.service import LotteryService
from storage.sqlite import SqliteWriter, is_busy
from tests.conftest import START
from tests.core.players import player


def _scratch_file(tmp_path: Path) -> str:
    path = str(tmp_path / "scratch.db")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    return path


def _insert(body: str) -> Callable[[sqlite3.Connection], int]:
    def work(db: sqlite3.Connection) -> int:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO notes (body) VALUES (?)", (body,))
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        return threading.get_ident()

    return work


async def test_a_write_runs_on_the_loops_own_thread_when_the_file_is_free(tmp_path: Path) -> None:
    writer = SqliteWriter(_scratch_file(tmp_path))
    try:
        ran_on = await writer.run(_insert("hello"))
    finally:
        await writer.close()
    assert ran_on == threading.get_ident()


async def test_a_write_waits_off_the_loop_while_another_connection_holds_the_lock(tmp_path: Path) -> None:
    path = _scratch_file(tmp_path)
    writer = SqliteWriter(path)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        write = asyncio.create_task(writer.run(_insert("queued")))
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.sleep(0.2)
        assert loop.time() - started < 1  # the loop kept serving while the write waited
        assert not write.done()
        blocker.execute("ROLLBACK")
        ran_on = await asyncio.wait_for(write, timeout=10)
    finally:
        if blocker.in_transaction:
            blocker.execute("ROLLBACK")
        blocker.close()
        await writer.close()
    assert ran_on != threading.get_ident()  # the writer thread did it, after waiting its turn
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT body FROM notes").fetchall() == [("queued",)]


async def test_a_write_that_fails_on_the_loop_is_not_tried_again(tmp_path: Path) -> None:
    """Only a locked file sends a write to the thread; any other failure is the caller's to see."""
    writer = SqliteWriter(_scratch_file(tmp_path))
    attempts: list[int] = []

    def broken(db: sqlite3.Connection) -> None:
        attempts.append(1)
        db.execute("INSERT INTO no_such_table VALUES (1)")

    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await writer.run(broken)
    finally:
        await writer.close()
    assert attempts == [1]


async def test_the_wal_stays_short_under_writes_on_the_loop(tmp_path: Path) -> None:
    """The loop's commits checkpoint as SQLite does by default (about every 1,000 pages): the WAL is
    reused instead of growing with every commit. Here 12 MB are written; unbounded, the WAL would hold all."""
    path = _scratch_file(tmp_path)
    writer = SqliteWriter(path)
    try:
        for n in range(3000):
            await writer.run(_insert("x" * 4000 + str(n)))
        # Measured before the close, which checkpoints and removes the WAL.
        wal = (tmp_path / "scratch.db-wal").stat().st_size
    finally:
        await writer.close()
    assert wal < 3000 * 4000 / 2


async def test_the_service_writes_through_a_lock_held_elsewhere(database_url: str) -> None:
    """End to end through a use case: a payment made while an admin's transaction holds the file."""
    if not database_url.startswith("sqlite"):
        pytest.skip("about SQLite's single write lock")
    service = LotteryService.connect(database_url, clock=FixedClock(START))
    try:
        await player(service, 1)
        blocker = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            paying = asyncio.create_task(service.wallet.pay(1, 2))
            await asyncio.sleep(0.1)
            assert not paying.done()
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        receipt = await asyncio.wait_for(paying, timeout=10)
        profile = await service.players.profile(1)
    finally:
        await service.close()
    assert profile.balance == receipt.balance > 0


def _failure_with_code(code: int | None) -> sqlite3.OperationalError:
    failure = sqlite3.OperationalError("database is locked")
    if code is not None:
        failure.sqlite_errorcode = code
    return failure


@pytest.mark.parametrize(
    ("code", "busy"),
    [
        (sqlite3.SQLITE_BUSY, True),
        (261, True),  # SQLITE_BUSY_RECOVERY: another connection recovers a crashed writer's WAL
        (517, True),  # SQLITE_BUSY_SNAPSHOT
        (2067, False),  # SQLITE_CONSTRAINT_UNIQUE: a refusal, never retried
        (None, False),
    ],
)
def test_busy_is_told_by_the_primary_code_of_sqlites_extended_one(code: int | None, busy: bool) -> None:
    assert is_busy(_failure_with_code(code)) is busy


async def test_a_closed_writer_refuses_work_instead_of_reopening(tmp_path: Path) -> None:
    writer = SqliteWriter(_scratch_file(tmp_path))
    await writer.run(_insert("before"))
    await writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        await writer.run(_insert("after"))
    with pytest.raises(RuntimeError, match="closed"):
        await writer.run_on_thread(_insert("after"))
