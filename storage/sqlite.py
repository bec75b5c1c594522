"""What SQLite needs that PostgreSQL does not: its pragmas, and a writer thread for one-hop transactions.

Every aiosqlite call is a round trip to the connection's own thread; on a busy two-core machine one
trip cost about 150 µs, while the whole purchase transaction takes about 80 µs inside SQLite. Sent
statement by statement (seven trips) a purchase ran at ~850/s; as one function on a writer thread
(one trip) it runs several times faster (bench/purchases.py). The writer uses the standard sqlite3
module on the same database file, with the same pragmas as the engine's pooled connections, and
`BEGIN IMMEDIATE`, so it serialises with them exactly as they serialise with each other.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

T = TypeVar("T")

PRAGMAS = ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL")


class _Cursor(Protocol):
    def execute(self, sql: str, /) -> Any: ...


def apply_pragmas(cursor: _Cursor) -> None:
    for pragma in PRAGMAS:
        cursor.execute(f"PRAGMA {pragma}")


class SqliteWriter:
    """One sqlite3 connection owned by one thread; `run` executes a whole transaction there."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._connection: sqlite3.Connection | None = None

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], T]) -> T:
        if self._connection is None:
            # Transactions are begun explicitly (BEGIN IMMEDIATE), never by the sqlite3 module.
            self._connection = sqlite3.connect(self.path, isolation_level=None)
            apply_pragmas(self._connection)
        return work(self._connection)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close_connection)
        self._executor.shutdown(wait=True)

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
