"""Engines and transactions.

On SQLite every unit of work that writes starts with `BEGIN IMMEDIATE`: the default deferred `BEGIN`
lets two transactions read the same balance and both spend it, and a deferred transaction upgraded
to a writer fails at once with "database is locked" instead of waiting (see FIELD_NOTES).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidRequestError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from storage import postgres
from storage.hot_writes import HotWrite
from storage.purchases import PurchaseOutcome, buy_ballots
from storage.reads import Query
from storage.sqlite import SqliteWriter, apply_pragmas
from storage.trips import SqliteReader, one_statement, read_portably, write
from storage.unit_of_work import UnitOfWork

READ_ONLY = "lottery_read_only"

T = TypeVar("T")
P = ParamSpec("P")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Build an engine with the pragmas and transaction mode this project relies on."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        apply_pragmas(cursor)
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


class Database:
    """One engine and its session factories; created once at startup and disposed at shutdown."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._writer_thread = _sqlite_writer(engine)
        # On PostgreSQL each hot write is one call of a function of migration 0010 (storage.postgres).
        self._functions = engine.dialect.driver == "asyncpg"
        self._sqlite_reader = (
            SqliteReader(self._writer_thread.path, self._writer_thread) if self._writer_thread else None
        )
        self._read_engine = engine.execution_options(**{READ_ONLY: True})
        self._writer = async_sessionmaker(engine, expire_on_commit=False)
        self._reader = async_sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work that may write; commits when the block ends, rolls back on an error."""
        async with self._writer() as session, session.begin():
            yield UnitOfWork(session)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[UnitOfWork]:
        """A unit of work for reads only, which on SQLite does not queue behind the writers."""
        async with self._reader() as session, session.begin():
            yield UnitOfWork(session)

    async def buy_ballots(
        self, *, day: dt.date, telegram_id: int, quantity: int, now: dt.datetime
    ) -> PurchaseOutcome:
        """The purchase transaction, on the fastest path the backend allows (see storage.purchases)."""
        if self._functions:
            return await one_statement(
                self.engine,
                lambda query: postgres.buy(
                    query, day=day, telegram_id=telegram_id, quantity=quantity, now=now
                ),
            )
        return await buy_ballots(
            self.engine, self._writer_thread, day=day, telegram_id=telegram_id, quantity=quantity, now=now
        )

    async def hot(self, write: HotWrite[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """A hot write (storage.hot_writes) in one round trip: its statements as one transaction, or
        on PostgreSQL the one call of the function that runs them inside the server."""
        if self._functions:
            return await one_statement(self.engine, lambda query: write.function(query, *args, **kwargs))
        return await self.write(lambda query: write.statements(query, *args, **kwargs))

    async def read(self, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
        """A hot read (storage.reads) on the cheapest path the backend allows: one snapshot on SQLite,
        statement by statement under READ COMMITTED on PostgreSQL (storage.trips)."""
        if self._sqlite_reader is not None:
            return await self._sqlite_reader.read(work)
        return await read_portably(self._read_engine, work)

    async def write(self, work: Callable[[Query], Coroutine[Any, Any, T]]) -> T:
        """A hot write (storage.joining) as one transaction, in one trip on SQLite."""
        return await write(self.engine, self._writer_thread, work)

    async def dispose(self) -> None:
        if self._sqlite_reader is not None:
            self._sqlite_reader.close()
        if self._writer_thread is not None:
            await self._writer_thread.close()
        await self.engine.dispose()


def _sqlite_writer(engine: AsyncEngine) -> SqliteWriter | None:
    """The one-trip writer for a SQLite file (storage.sqlite); None for other backends and for
    in-memory databases, which a second connection would not share."""
    path = _sqlite_file(engine)
    return SqliteWriter(path) if path else None


def _sqlite_file(engine: AsyncEngine) -> str | None:
    database = engine.url.database
    if (
        engine.dialect.name != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return None
    return database


class DatabaseUnusable(Exception):
    """DATABASE_URL names a database the bot cannot use; the message is one line and holds no password."""


_DRIVERS = "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DATABASE"


async def check_usable(url: str) -> None:
    """Connect once and try a write that is rolled back, before anything else starts.

    A wrong URL, an unreachable server, a wrong role or database, a missing directory or a read-only
    file then stops startup with one line naming DATABASE_URL and the cause, instead of a traceback
    from deep inside the first request that touches the database.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        raise DatabaseUnusable(f"DATABASE_URL is not a database URL ({_DRIVERS})") from None
    try:
        engine = create_engine(url)
    except (NoSuchModuleError, ModuleNotFoundError, InvalidRequestError):
        raise DatabaseUnusable(
            f"DATABASE_URL names {parsed.drivername!r}, which has no async driver here ({_DRIVERS})"
        ) from None
    except (ArgumentError, ValueError):
        raise DatabaseUnusable(f"DATABASE_URL is not a database URL ({_DRIVERS})") from None
    try:
        async with engine.connect() as connection, connection.begin() as transaction:
            await connection.execute(text("CREATE TABLE lottery_write_check (id INTEGER)"))
            await transaction.rollback()
    except DBAPIError as failure:
        if "database is locked" in str(failure.orig):
            return  # busy (a replica migrating, a long write), not unusable: the bot waits its turn
        raise DatabaseUnusable(_explain(parsed, str(failure.orig), url)) from None
    except OSError as failure:  # refused, unreachable, unknown host, timeout
        cause = f"cannot reach {parsed.host}:{parsed.port or 'default port'} ({failure})"
        raise DatabaseUnusable(_redact(f"DATABASE_URL: {cause}", parsed, url)) from None
    finally:
        await engine.dispose()
        await _driver_threads_stopped()


async def _driver_threads_stopped(timeout: float = 5.0) -> None:
    """Wait for aiosqlite's worker threads to end before the event loop may close.

    After a failed connect aiosqlite 0.22 asks its thread to stop without awaiting it; if `asyncio.run`
    closes the loop first, the thread prints a traceback, and the one-line error becomes fifteen.
    """
    for thread in threading.enumerate():
        if thread.name.endswith("(_connection_worker_thread)"):
            # Joined off the loop, so the loop stays free to take the thread's last callback.
            await asyncio.to_thread(thread.join, timeout)


def _explain(parsed: URL, cause: str, url: str) -> str:
    cause = " ".join(cause.split())  # one line, whatever the driver said
    if parsed.get_backend_name() == "sqlite":
        where = parsed.database or ":memory:"
        if "unable to open" in cause:
            cause = f"{cause}: {where} (does its directory exist, and may this user create files in it?)"
        elif "readonly" in cause:
            cause = f"{cause}: {where} (the file or its directory is read-only for this user)"
    return _redact(f"DATABASE_URL: the database refused: {cause}", parsed, url)


def _redact(line: str, parsed: URL, url: str) -> str:
    for secret in (url, parsed.password):
        if secret:
            line = line.replace(str(secret), "<redacted>")
    return line
