"""Where a store operation runs: whole, in one transaction, handed over once.

A store operation is a plain function of a synchronous SQLAlchemy ``Connection`` (written once, for
SQLite and PostgreSQL alike). ``Database.run`` runs it in a transaction and gives back what it
returned, without touching the database from the event loop's thread:

- SQLite (``pysqlite``, SQLAlchemy's synchronous engine): the whole operation runs on one of the
  store's own threads, so an operation costs one hand-over between the event loop and a thread.
  Through an async driver (aiosqlite) each driver call is its own hand-over, 8-9 a transaction,
  which made the store most of a video create's cost (bench/RESULTS.md, issue 18).
- PostgreSQL (``asyncpg``): ``AsyncConnection.run_sync``, SQLAlchemy's documented way to run
  synchronous-style code on an async connection; asyncpg's I/O is non-blocking, on the loop.

A database that cannot be used makes ``run`` raise ``StoreUnavailable`` (503, ``errors.py``).
Cancelling the caller does not stop an operation already handed over: it commits or rolls back
whole, as a transaction should.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from irisgate.store.engine import IMMEDIATE, create_engine, sqlite_file_path
from irisgate.store.errors import UNAVAILABLE, StoreUnavailable, describe

T = TypeVar("T")
P = ParamSpec("P")
Operation = Callable[..., T]  # a function of a synchronous ``Connection`` (and its own arguments)

# pg_advisory_xact_lock key serialising exclusive transactions across instances ("iris").
_PG_LOCK_KEY = 0x69726973
# SQLite takes one writer at a time and the work is mostly CPU under the GIL, so a few threads
# suffice. More than one keeps a request's operation from queueing behind a long one (a batch of
# the settler's, a wait for another process's write lock); one thread used a little less CPU but
# had a far longer tail (bench/RESULTS.md, 2026-12-03).
SQLITE_THREADS = 4


class Database(Protocol):
    @property
    def dialect(self) -> str: ...

    async def run(self, operation: Operation[T], *args: Any, exclusive: bool = False) -> T:
        """Run ``operation(conn, *args)`` in one transaction (committed if it returns, rolled back
        if it raises). ``exclusive`` serialises it against other exclusive ones (``BEGIN IMMEDIATE`` on
        SQLite, a transaction-level advisory lock on PostgreSQL)."""
        ...

    async def close(self) -> None: ...


class ThreadedDatabase:
    """SQLite through SQLAlchemy's synchronous engine, each operation run whole on a store thread."""

    def __init__(self, engine: Engine, threads: int = SQLITE_THREADS) -> None:
        self.engine = engine
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="irisgate-store")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def run(self, operation: Operation[T], *args: Any, exclusive: bool = False) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._threads, self._run_here, operation, args, exclusive)
        except UNAVAILABLE as error:
            raise StoreUnavailable(describe(error)) from error

    def _run_here(self, operation: Operation[T], args: tuple[Any, ...], exclusive: bool) -> T:
        with self.engine.connect() as conn:
            if exclusive:
                conn.execution_options(**{IMMEDIATE: True})
            with conn.begin():
                return operation(conn, *args)

    async def close(self) -> None:
        # The threads first: an operation still running finishes with its connection.
        await asyncio.get_running_loop().run_in_executor(None, self._threads.shutdown)
        self.engine.dispose()


class AsyncDatabase:
    """PostgreSQL through SQLAlchemy's async engine (asyncpg)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def run(self, operation: Operation[T], *args: Any, exclusive: bool = False) -> T:
        try:
            async with self.engine.connect() as conn, conn.begin():
                if exclusive:
                    await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                return await conn.run_sync(operation, *args)
        except UNAVAILABLE as error:
            raise StoreUnavailable(describe(error)) from error

    async def close(self) -> None:
        await self.engine.dispose()


class HasDatabase(Protocol):
    database: Database


def transactional(
    operation: Callable[Concatenate[Connection, P], T],
) -> Callable[Concatenate[HasDatabase, P], Coroutine[Any, Any, T]]:
    """Make a store operation a method of the store: ``await store.name(...)`` runs
    ``name(conn, ...)`` whole in one transaction (``Database.run``)."""

    @functools.wraps(operation)
    async def method(store: HasDatabase, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await store.database.run(lambda conn: operation(conn, *args, **kwargs))

    return method


def open_database(url: str) -> Database:
    engine = create_engine(url)
    if isinstance(engine, AsyncEngine):
        return AsyncDatabase(engine)
    # An in-memory database (or a `file:` URI) is one connection (`engine.py`), used by one thread.
    in_file = sqlite_file_path(engine.url) is not None
    return ThreadedDatabase(engine, SQLITE_THREADS if in_file else 1)
