"""One trip to the database per command: where the hot reads and writes of storage.reads and
storage.joining run.

Each is one async function written against `Query`, so the same statements serve both backends. On
PostgreSQL it runs on one pooled connection: a write in one transaction, a read statement by
statement (`_on_asyncpg` says why); the hottest writes there are instead one call each of a function
in the server (storage.postgres), one round trip with no `BEGIN` or `COMMIT`. On SQLite a read runs on
a read-only sqlite3 connection on the event loop's own thread, and a write as one function through
storage.sqlite's `SqliteWriter` (on the loop's thread too, unless the file is locked); there the async
function is driven to its end without awaiting anything: it never suspends, since `SqliteQuery`
answers at once.

On SQLite each aiosqlite call is a hop to the driver's thread and back (about 150 µs on this 2-core
machine, four per statement through SQLAlchemy), while an indexed read of a page takes tens of µs
inside SQLite. So a read runs straight on the loop's thread, on a connection of its own: in WAL mode a
reader never waits for a writer, and every read here is bounded by what one reply shows. It is a
snapshot: the statements of one read run inside one deferred `BEGIN`, with nothing awaited between
them that could let another task use the connection (`SqliteQuery` never suspends).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.reads import Query
from storage.sqlite import SqliteWriter, is_busy

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

    async def run_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        self._connection.executemany(sql, [_sqlite_params(row) for row in rows])


class CoreQuery:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        return (await self._connection.execute(text(sql), params)).all()

    async def row(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
        return (await self._connection.execute(text(sql), params)).first()

    async def run(self, sql: str, params: dict[str, Any]) -> None:
        await self._connection.execute(text(sql), params)

    async def run_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        await self._connection.execute(text(sql), rows)


class AsyncpgQuery:
    """Statements straight on the asyncpg connection under a pooled SQLAlchemy connection.

    Through SQLAlchemy's adapter each statement cost about 0.2 ms of CPU on this machine; asyncpg
    alone prepares each statement once per connection and reuses it. The SQL is the same text, with
    its `:name` parameters numbered as PostgreSQL's `$1` once per statement.
    """

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def rows(self, sql: str, params: dict[str, Any]) -> Sequence[Sequence[Any]]:
        numbered, names = _numbered(sql)
        found: Sequence[Sequence[Any]] = await self._connection.fetch(numbered, *(params[n] for n in names))
        return found

    async def row(self, sql: str, params: dict[str, Any]) -> Sequence[Any] | None:
        numbered, names = _numbered(sql)
        found: Sequence[Any] | None = await self._connection.fetchrow(numbered, *(params[n] for n in names))
        return found

    async def run(self, sql: str, params: dict[str, Any]) -> None:
        numbered, names = _numbered(sql)
        await self._connection.execute(numbered, *(params[n] for n in names))

    async def run_many(self, sql: str, rows: list[dict[str, Any]]) -> None:
        """One round trip for all the rows (asyncpg pipelines them)."""
        numbered, names = _numbered(sql)
        await self._connection.executemany(numbered, [tuple(row[n] for n in names) for row in rows])


_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`... WHERE id = :id AND day = :day` as `... WHERE id = $1 AND day = $2`, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAMETER.sub(number, sql), tuple(names)


async def _on_asyncpg(engine: AsyncEngine, work: Callable[[Query], Awaitable[T]], *, transaction: bool) -> T:
    """`work` on a pooled connection: in one transaction, or statement by statement.

    A read's statements run one by one: under PostgreSQL's READ COMMITTED each statement sees what
    was committed when it began, inside a transaction or not, so `BEGIN` and `COMMIT` around a read
    would cost two round trips and change nothing it sees. So does a write that is one statement (a
    call of a function of storage.postgres): a statement is a transaction of its own.
    """
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None, "a checked-out connection has its driver connection"
        if not transaction:
            return await work(AsyncpgQuery(driver))
        async with driver.transaction():
            return await work(AsyncpgQuery(driver))


class SqliteReader:
    """One read-only connection to a SQLite file, used on the event loop's thread.

    It never waits there: its busy timeout is zero, and should the file be locked against readers
    (a connection in exclusive locking mode, WAL recovery after a crash) the read is run again on the
    writer thread, which waits its turn with the usual busy timeout while the loop serves others.
    """

    def __init__(self, path: str, fallback: SqliteWriter) -> None:
        self._path = path
        self._fallback = fallback
        self._connection: sqlite3.Connection | None = None

    async def read(self, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
        try:
            return _read_in(self._connect(), work)
        except sqlite3.OperationalError as failure:
            if not is_busy(failure):
                raise
        return await self._fallback.run_on_thread(lambda db: _read_in(db, work))

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # No waiting, ever (timeout=0), and no pragma that takes a lock: WAL mode is the file's own,
            # set by the engine's connections and kept in the file.
            connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False, timeout=0)
            connection.execute("PRAGMA query_only=ON")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _read_in(db: sqlite3.Connection, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
    """Run a read (which never suspends) to its end in one deferred transaction: one snapshot."""
    db.execute("BEGIN")
    try:
        return _to_the_end(work(SqliteQuery(db)))
    finally:
        if db.in_transaction:
            db.execute("COMMIT")


async def write(
    engine: AsyncEngine, writer: SqliteWriter | None, work: Callable[[Query], Coroutine[Any, Any, T]]
) -> T:
    """Run `work` as one writing transaction: all of it is committed, or none of it on an error."""
    if writer is not None:
        return await writer.run(lambda db: _write_in_sqlite(db, work))
    if engine.dialect.driver == "asyncpg":
        return await _on_asyncpg(engine, work, transaction=True)
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


async def read_portably(engine: AsyncEngine, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
    """The same read on a pooled connection: statement by statement on PostgreSQL (`_on_asyncpg`), in
    one transaction on an in-memory SQLite database."""
    if engine.dialect.driver == "asyncpg":
        return await _on_asyncpg(engine, work, transaction=False)
    async with engine.connect() as connection, connection.begin():
        return await work(CoreQuery(connection))


async def one_statement(engine: AsyncEngine, work: Callable[[Query], Awaitable[T]]) -> T:
    """`work`, one statement that is a whole transaction (storage.postgres), in one round trip to
    PostgreSQL: no `BEGIN` or `COMMIT` around it."""
    return await _on_asyncpg(engine, work, transaction=False)


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
