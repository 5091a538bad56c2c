"""Creating the engine: URL normalisation, SQLite connection settings, a private database file."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from irisgate.store.errors import StoreUnavailable, file_problem

SQLITE_BUSY_TIMEOUT_MS = 5000
WAL_SWITCH_ATTEMPTS = 100
# Execution option asking for "BEGIN IMMEDIATE" on SQLite: take the write lock up front, so that a
# read-then-write transaction (migrations, config sync) cannot lose a race with another process.
IMMEDIATE = "irisgate_sqlite_immediate"
# The database holds provider settings, job prompts and request logs: readable by its owner only,
# like the admin token and the encryption key beside it. SQLite gives its -wal and -shm files the
# database file's mode.
DATABASE_FILE_MODE = 0o600

# SQLite runs through Python's own driver (pysqlite) on the store's threads; ``sqlite+aiosqlite``,
# which earlier versions wrote, means the same database. PostgreSQL runs through asyncpg.
_DRIVER_ALIASES = {
    "sqlite+aiosqlite": "sqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def default_store_url(app_dir: Path) -> str:
    return f"sqlite:///{app_dir.resolve()}/irisgate.db"


def normalize_store_url(url: str) -> str:
    """Give a URL the driver irisgate uses: pysqlite for SQLite, asyncpg for PostgreSQL."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in _DRIVER_ALIASES:
        return f"{_DRIVER_ALIASES[scheme]}://{rest}"
    return url


def create_engine(url: str) -> Engine | AsyncEngine:
    """SQLAlchemy's synchronous engine for SQLite (run on the store's threads, `database.py`), its
    async engine for PostgreSQL (asyncpg).

    ``hide_parameters`` keeps bound values (which could include secrets) out of exception messages.
    """
    url = normalize_store_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, hide_parameters=True, pool_pre_ping=True)
    database = sqlite_file_path(parsed)
    if database is not None:
        create_private_file(Path(database).expanduser())
        engine = sa.create_engine(url, hide_parameters=True)
    else:
        # An in-memory database lives in its one connection: SQLAlchemy's documented recipe for
        # using it from other threads (the store's one thread, and closing it from another).
        engine = sa.create_engine(
            url, hide_parameters=True, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_on_begin)
    return engine


def sqlite_file_path(url: URL) -> str | None:
    """The database file of a SQLite URL, as the driver opens it; None for PostgreSQL, in-memory
    databases and ``file:`` URIs."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return database


def store_location(url: str) -> str:
    """Where a store is, for messages: a SQLite file's path, else the URL without its password."""
    parsed = make_url(normalize_store_url(url))
    return sqlite_file_path(parsed) or parsed.render_as_string(hide_password=True)


def why_unavailable(url: str, error: StoreUnavailable) -> str:
    """The cause of a store failure, sharpened by what the filesystem says of a SQLite file."""
    path = sqlite_file_path(make_url(normalize_store_url(url)))
    return (path and file_problem(path)) or error.cause


def create_private_file(path: Path) -> None:
    """Create the database file (and its folder) with mode 0600 before SQLite does, which would
    create it with the process's umask (0644, readable by every user of the machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, DATABASE_FILE_MODE))


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver (SQLAlchemy's documented recipe), so that
    # BEGIN is emitted by _sqlite_on_begin and DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)
        # In WAL mode NORMAL fsyncs at checkpoints, not at every commit: a crash of irisgate loses
        # nothing committed; only a power cut may drop the last commits (the database stays sound).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a database to WAL (persistent, so this matters only on a fresh file).

    SQLite answers "database is locked" at once, without its busy handler, when another connection
    holds a transaction during the switch: retry briefly (this runs at most on the first connects).
    """
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() == "wal":
        return
    for attempt in range(WAL_SWITCH_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as error:  # the driver's OperationalError, whatever adapter wraps it
            if "locked" not in str(error) or attempt == WAL_SWITCH_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
