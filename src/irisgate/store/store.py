"""``Store``: irisgate's persistence behind one interface, for SQLite and PostgreSQL alike.

Every call goes through SQLAlchemy Core's async engine (aiosqlite or asyncpg), so no database I/O
runs on the event loop's thread. A database that cannot be used makes a call raise
``StoreUnavailable`` (503), never a 500 (``errors.py``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

from irisgate.config.models import ProviderConfig
from irisgate.store import admin_rows
from irisgate.store.engine import IMMEDIATE, create_engine
from irisgate.store.errors import StoreIncompatible, unavailable_as_503
from irisgate.store.media import MediaTable
from irisgate.store.records import (
    KeyRecord,
    ProviderRecord,
    RequestLogRecord,
    VirtualKeyRecord,
    utc_now,
)
from irisgate.store.request_logs import log_values, request_logs_query
from irisgate.store.sync import sync_providers
from irisgate.store.tables import (
    provider_keys,
    providers,
    request_logs,
    revoked_sessions,
    virtual_keys,
)
from irisgate.store.video_jobs import JobEndHook, VideoJobsTable
from irisgate.store.webhooks import WebhooksTable

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# pg_advisory_xact_lock key serialising migrations and config syncs across instances ("irisgate").
_PG_LOCK_KEY = 0x69726973


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini): our script directory plus a connection.

    Alembic is imported here, not at the top: only `irisgate serve` migrates, before the workers
    start, so the workers never load it (a few MB less each)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


def _upgrade_head(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


class Store(VideoJobsTable, MediaTable, WebhooksTable):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self.job_end_hooks: list[JobEndHook] = []  # run as a job ends, in its transaction

    @classmethod
    async def open(cls, url: str) -> Store:
        return cls(create_engine(url))

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction. ``exclusive`` serialises it against other exclusive ones
        (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL)."""
        async with unavailable_as_503(), self._engine.connect() as conn:
            if exclusive and self.dialect == "sqlite":
                await conn.execution_options(**{IMMEDIATE: True})
            async with conn.begin():
                if exclusive and self.dialect == "postgresql":
                    await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads (no transaction of ours)."""
        async with unavailable_as_503(), self._engine.connect() as conn:
            yield conn

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to run concurrently from several instances)."""
        from alembic.util.exc import CommandError

        try:
            async with self.transaction(exclusive=True) as conn:
                await conn.run_sync(_upgrade_head)
        except CommandError as error:  # e.g. a revision this version does not have
            raise StoreIncompatible(
                f"its schema was made by another version of irisgate ({error}); move it away to start afresh"
            ) from None

    # -- providers and keys ------------------------------------------------------------------------

    async def sync_file_providers(self, file_providers: Mapping[str, ProviderConfig]) -> None:
        """Make the file-sourced providers and keys match the config file, in one transaction."""
        async with self.transaction(exclusive=True) as conn:
            await sync_providers(conn, file_providers, utc_now())
            await admin_rows.bump_version(conn)

    async def list_providers(self) -> list[ProviderRecord]:
        async with self.reading() as conn:
            result = await conn.execute(sa.select(providers).order_by(providers.c.name))
            return [ProviderRecord(**row) for row in result.mappings()]

    async def get_provider(self, name: str) -> ProviderRecord | None:
        async with self.reading() as conn:
            result = await conn.execute(sa.select(providers).where(providers.c.name == name))
            row = result.mappings().first()
        return ProviderRecord(**row) if row else None

    async def get_key(self, key_id: str) -> KeyRecord | None:
        async with self.reading() as conn:
            result = await conn.execute(sa.select(provider_keys).where(provider_keys.c.id == key_id))
            row = result.mappings().first()
        return _key_record(row) if row else None

    async def providers_version(self) -> int:
        """The counter every admin change bumps (0 before the first)."""
        async with self.reading() as conn:
            return await admin_rows.read_version(conn)

    async def list_keys(self, provider: str | None = None) -> list[KeyRecord]:
        query = sa.select(provider_keys).order_by(provider_keys.c.provider, provider_keys.c.name)
        if provider is not None:
            query = query.where(provider_keys.c.provider == provider)
        async with self.reading() as conn:
            result = await conn.execute(query)
            return [_key_record(row) for row in result.mappings()]

    # -- request logs ------------------------------------------------------------------------------

    async def insert_request_logs(self, records: Sequence[RequestLogRecord]) -> None:
        """Insert a batch of request-log records in one transaction (one executemany)."""
        if not records:
            return
        async with self.transaction() as conn:
            await conn.execute(sa.insert(request_logs), [log_values(record) for record in records])

    async def list_request_logs(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        provider: str | None = None,
        status_code: int | None = None,
    ) -> list[RequestLogRecord]:
        """Newest first. Page on with ``before_id`` = the last id of the previous page."""
        async with self.reading() as conn:
            result = await conn.execute(request_logs_query(limit, before_id, provider, status_code))
            return [RequestLogRecord(**row) for row in result.mappings()]

    # -- virtual keys ------------------------------------------------------------------------------

    async def list_virtual_keys(self) -> list[VirtualKeyRecord]:
        async with self.reading() as conn:
            rows = (await conn.execute(sa.select(virtual_keys).order_by(virtual_keys.c.name))).mappings()
            return [_virtual_key(row) for row in rows]

    async def insert_virtual_key(self, record: VirtualKeyRecord) -> None:
        values = dataclasses.asdict(record)
        values["allowed_providers"] = list(record.allowed_providers)
        values["allowed_models"] = list(record.allowed_models)
        async with self.transaction() as conn:
            await conn.execute(sa.insert(virtual_keys).values(**values))
            await admin_rows.bump_version(conn)

    async def update_virtual_key(self, key_id: str, **changes: Any) -> bool:
        for name in ("allowed_providers", "allowed_models"):
            if name in changes:
                changes[name] = list(changes[name])
        changes.setdefault("updated_at", utc_now())
        async with self.transaction() as conn:
            result = await conn.execute(
                sa.update(virtual_keys).where(virtual_keys.c.id == key_id).values(**changes)
            )
            await admin_rows.bump_version(conn)
        return bool(result.rowcount)

    async def delete_virtual_key(self, key_id: str) -> bool:
        async with self.transaction() as conn:
            result = await conn.execute(sa.delete(virtual_keys).where(virtual_keys.c.id == key_id))
            await admin_rows.bump_version(conn)
        return bool(result.rowcount)

    # -- dashboard sessions ------------------------------------------------------------------------

    async def revoke_session(self, nonce: str, expires_at: datetime) -> None:
        """Refuse the session with this nonce from now on, on every instance sharing the store, and
        forget the revocations of sessions that have expired anyway (their cookies are refused by then)."""
        try:
            async with self.transaction() as conn:
                expired = revoked_sessions.c.expires_at < utc_now()
                await conn.execute(sa.delete(revoked_sessions).where(expired))
                await conn.execute(sa.insert(revoked_sessions).values(nonce=nonce, expires_at=expires_at))
        except sa.exc.IntegrityError:
            pass  # two sign-outs of one session at once: the other one recorded it

    async def session_revoked(self, nonce: str) -> bool:
        async with self.reading() as conn:
            query = sa.select(revoked_sessions.c.nonce).where(revoked_sessions.c.nonce == nonce)
            return (await conn.execute(query)).first() is not None


def _virtual_key(row: Mapping[str, Any]) -> VirtualKeyRecord:
    values = dict(row)
    values["allowed_providers"] = tuple(values["allowed_providers"] or ("*",))
    values["allowed_models"] = tuple(values["allowed_models"] or ("*",))
    return VirtualKeyRecord(**values)


def _key_record(row: Mapping[str, Any]) -> KeyRecord:
    values = dict(row)
    values["models"] = tuple(values["models"] or ("*",))
    return KeyRecord(**values)
