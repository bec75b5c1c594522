"""What SQLite needs that PostgreSQL does not: its pragmas, and where a one-trip transaction runs.

Every aiosqlite call is a round trip to the connection's own thread; on a busy two-core machine one
trip cost about 150 µs, while the whole purchase transaction takes about 80 µs inside SQLite. Sent
statement by statement (seven trips) a purchase ran at ~850/s; as one function on a writer thread
(one trip) it runs several times faster (bench/purchases.py).

Even one trip to a thread costs more than the transaction: the event loop and the writer thread hand
the GIL to each other on every hop, and end to end (bench/end_to_end.py) the bot handled 0.48x the
no-op bot's updates/s with its writes on the thread against 0.72x with them on the loop's own thread.
So a transaction first runs on the loop, on a connection that never waits for the lock (busy timeout
zero); only when another connection holds the lock does it run on the writer thread, which waits its
turn with the usual busy timeout while the loop serves others. Both use the standard sqlite3 module on
the same file with `BEGIN IMMEDIATE`, so they serialise with each other and with the engine's pooled
connections exactly as those serialise among themselves.

The loop's commits checkpoint the WAL as SQLite does by default (about every 1,000 pages), so now and
then one commit copies the WAL back into the file and syncs it, on the loop: here 5 of 5,000 commits
took over 1 ms, the longest 3.9 ms; on slower storage that stall is longer. Checkpoints on the thread
instead (PASSIVE, or RESTART every few hundred commits) let the WAL grow past 20 MB under steady
writes in a test, so they were not taken.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL")
# The loop's connection never waits for the lock. WAL mode is the file's own, set by the engine's
# connections; setting it again may take a lock.
LOOP_PRAGMAS = ("busy_timeout=0", "foreign_keys=ON", "synchronous=NORMAL")


class _Cursor(Protocol):
    def execute(self, sql: str, /) -> Any: ...


def apply_pragmas(cursor: _Cursor, pragmas: tuple[str, ...] = PRAGMAS) -> None:
    for pragma in pragmas:
        cursor.execute(f"PRAGMA {pragma}")


def is_busy(failure: sqlite3.Error) -> bool:
    """The database file was locked by another connection: nothing of the statement happened.

    The error code is SQLite's extended one (SQLITE_BUSY_RECOVERY while a crashed writer's WAL is
    recovered, SQLITE_BUSY_SNAPSHOT, ...): its low byte is the primary code."""
    code = getattr(failure, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class SqliteWriter:
    """Runs whole transactions: on the event loop's thread when the lock is free, else on its own thread.

    `work` is one transaction from `BEGIN IMMEDIATE` to `COMMIT`, rolled back on any error, so a try
    on the loop that found the file locked changed nothing and can be run again on the thread.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._connection: sqlite3.Connection | None = None
        self._loop_connection: sqlite3.Connection | None = None
        self._closed = False

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        try:
            outcome = work(self._on_loop())
        except sqlite3.OperationalError as failure:
            if not is_busy(failure):
                raise
            return await self.run_on_thread(work)
        return outcome

    async def run_on_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` on the writer thread, which waits for the lock as long as the busy timeout."""
        self._refuse_if_closed()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise RuntimeError("the database is closed")

    def _on_loop(self) -> sqlite3.Connection:
        self._refuse_if_closed()
        if self._loop_connection is None:
            # Transactions are begun explicitly (BEGIN IMMEDIATE), never by the sqlite3 module.
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=0)
            apply_pragmas(connection, LOOP_PRAGMAS)
            self._loop_connection = connection
        return self._loop_connection

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            # Transactions are begun explicitly (BEGIN IMMEDIATE), never by the sqlite3 module.
            self._connection = sqlite3.connect(self.path, isolation_level=None)
            apply_pragmas(self._connection)
        return work(self._connection)

    async def close(self) -> None:
        self._closed = True
        if self._loop_connection is not None:
            self._loop_connection.close()
            self._loop_connection = None
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
