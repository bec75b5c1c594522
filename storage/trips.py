"""One trip to the database per command: where the hot reads and writes of storage.reads and
storage.joining run.

Each is one async function written against `Query`, so the same statements serve both backends. On
PostgreSQL it runs on one pooled connection in one transaction. On SQLite a read runs on a read-only
sqlite3 connection on the event loop's own thread, and a write as one function on the writer thread
(storage.sqlite), where the async function is driven to its end without an event loop: it never
suspends, since `SqliteQuery` answers at once.

On SQLite each aiosqlite call is a hop to the driver's thread and back (about 150 µs on this 2-core
machine, four per statement through SQLAlchemy), while an indexed read of a page takes tens of µs
inside SQLite. So a read runs straight on the loop's thread, on a connection of its own: in WAL mode a
reader never waits for a writer, and every read here is bounded by what one reply shows. It is a
snapshot: the statements of one read run inside one deferred `BEGIN`, with nothing awaited between
them that could let another task use the connection (`SqliteQuery` never suspends).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.reads import Query
from storage.sqlite import SqliteWriter, apply_pragmas

T = TypeVar("T")


class SqliteQuery:
    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return self._connection.execute(sql, _sqlite_params(params)).fetchall()

    async def row(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
        found: Sequence[Any] | None = self._connection.execute(sql, _sqlite_params(params)).fetchone()
        return found

    async def run(self, sql: str, params: dict[str, Any]) -> None:
        self._connection.execute(sql, _sqlite_params(params))


class CoreQuery:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return (await self._connection.execute(text(sql), params)).all()

    async def row(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
        return (await self._connection.execute(text(sql), params)).first()

    async def run(self, sql: str, params: dict[str, Any]) -> None:
        await self._connection.execute(text(sql), params)


class SqliteReader:
    """One read-only connection to a SQLite file, used on the event loop's thread."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._connection: sqlite3.Connection | None = None

    async def read(self, work: Callable[[Query], Awaitable[T]]) -> T:
        connection = self._connect()
        connection.execute("BEGIN")
        try:
            return await work(SqliteQuery(connection))
        finally:
            connection.execute("COMMIT")

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            apply_pragmas(connection)
            connection.execute("PRAGMA query_only=ON")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


async def write(
    engine: AsyncEngine, writer: SqliteWriter | None, work: Callable[[Query], Coroutine[Any, Any, T]]
) -> T:
    """Run `work` as one writing transaction: all of it is committed, or none of it on an error."""
    if writer is not None:
        return await writer.run(lambda db: _write_in_sqlite(db, work))
    async with engine.connect() as connection, connection.begin():
        return await work(CoreQuery(connection))


def _write_in_sqlite(db: sqlite3.Connection, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
    db.execute("BEGIN IMMEDIATE")
    try:
        outcome: T = _to_the_end(work(SqliteQuery(db)))
        db.execute("COMMIT")
    except BaseException:
        # The writer's connection lives on: never leave it inside a transaction holding the lock.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return outcome


def _to_the_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never suspends, run without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as finished:
        result: T = finished.value
        return result
    coroutine.close()
    raise RuntimeError("a one-trip transaction awaited something other than the database")


async def read_portably(engine: AsyncEngine, work: Callable[[Query], Awaitable[T]]) -> T:
    """The same read on a pooled connection, in one transaction (PostgreSQL, in-memory SQLite)."""
    async with engine.connect() as connection, connection.begin():
        return await work(CoreQuery(connection))


def _sqlite_params(params: dict[str, Any]) -> dict[str, Any]:
    """Dates and instants in the text forms SQLAlchemy's SQLite types write."""
    converted = {}
    for name, value in params.items():
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        converted[name] = value
    return converted
