"""Creating the async engine: URL normalisation and SQLite connection settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option asking for "BEGIN IMMEDIATE" on SQLite: take the write lock up front, so that a
# read-then-write transaction (migrations, config sync) cannot lose a race with another process.
IMMEDIATE = "irisgate_sqlite_immediate"

_DRIVER_ALIASES = {
    "sqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
}


def default_store_url(app_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{app_dir.resolve()}/irisgate.db"


def normalize_store_url(url: str) -> str:
    """Give a plain ``sqlite://`` / ``postgres(ql)://`` URL its async driver."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in _DRIVER_ALIASES:
        return f"{_DRIVER_ALIASES[scheme]}://{rest}"
    return url


def create_engine(url: str) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    ``hide_parameters`` keeps bound values (which could include secrets) out of exception messages.
    """
    url = normalize_store_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, hide_parameters=True, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, hide_parameters=True)
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver (SQLAlchemy's documented recipe), so that
    # BEGIN is emitted by _sqlite_on_begin and DDL is transactional too.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
