"""``Store``: irisgate's persistence behind one interface, for SQLite and PostgreSQL alike.

Every method is a store operation: a function of a synchronous SQLAlchemy Core ``Connection``,
written once for both databases, run whole in one transaction off the event loop's thread
(`database.py`; ``@transactional`` makes such a function a method). A database that cannot be used
makes a call raise ``StoreUnavailable`` (503), never a 500 (``errors.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.config import Config

from irisgate.config.models import ProviderConfig
from irisgate.store import admin_rows
from irisgate.store.database import Database, Operation, open_database, transactional
from irisgate.store.errors import StoreIncompatible
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

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
T = TypeVar("T")


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` built in code (no alembic.ini): our script directory plus a connection.

    Alembic is imported here, not at the top: only `irisgate serve` migrates, before the workers
    start, so the workers never load it (a few MB less each)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade_head(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


class Store(VideoJobsTable, MediaTable, WebhooksTable):
    def __init__(self, database: Database) -> None:
        self.database = database
        self.job_end_hooks: list[JobEndHook] = []  # run as a job ends, in its transaction

    @classmethod
    async def open(cls, url: str) -> Store:
        return cls(open_database(url))

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.database.dialect

    async def close(self) -> None:
        await self.database.close()

    async def run(self, operation: Operation[T], *args: Any, exclusive: bool = False) -> T:
        """Run a store operation, ``operation(conn, *args)`` with a synchronous ``Connection``,
        whole in one transaction (`database.py`)."""
        return await self.database.run(operation, *args, exclusive=exclusive)

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to run concurrently from several instances)."""
        from alembic.util.exc import CommandError

        try:
            await self.run(_upgrade_head, exclusive=True)
        except CommandError as error:  # e.g. a revision this version does not have
            raise StoreIncompatible(
                f"its schema was made by another version of irisgate ({error}); move it away to start afresh"
            ) from None

    # -- providers and keys ------------------------------------------------------------------------

    async def sync_file_providers(self, file_providers: Mapping[str, ProviderConfig]) -> None:
        """Make the file-sourced providers and keys match the config file, in one transaction."""

        def sync(conn: Connection) -> None:
            sync_providers(conn, file_providers, utc_now())
            admin_rows.bump_version(conn)

        await self.run(sync, exclusive=True)

    @transactional
    def list_providers(conn: Connection) -> list[ProviderRecord]:
        result = conn.execute(sa.select(providers).order_by(providers.c.name))
        return [ProviderRecord(**row) for row in result.mappings()]

    @transactional
    def get_provider(conn: Connection, name: str) -> ProviderRecord | None:
        row = conn.execute(sa.select(providers).where(providers.c.name == name)).mappings().first()
        return ProviderRecord(**row) if row else None

    @transactional
    def get_key(conn: Connection, key_id: str) -> KeyRecord | None:
        row = conn.execute(sa.select(provider_keys).where(provider_keys.c.id == key_id)).mappings().first()
        return _key_record(row) if row else None

    @transactional
    def providers_version(conn: Connection) -> int:
        """The counter every admin change bumps (0 before the first)."""
        return admin_rows.read_version(conn)

    @transactional
    def list_keys(conn: Connection, provider: str | None = None) -> list[KeyRecord]:
        query = sa.select(provider_keys).order_by(provider_keys.c.provider, provider_keys.c.name)
        if provider is not None:
            query = query.where(provider_keys.c.provider == provider)
        return [_key_record(row) for row in conn.execute(query).mappings()]

    # -- request logs ------------------------------------------------------------------------------

    async def insert_request_logs(self, records: Sequence[RequestLogRecord]) -> None:
        """Insert a batch of request-log records in one transaction (one executemany)."""
        if records:
            rows = [log_values(record) for record in records]
            await self.run(lambda conn: conn.execute(sa.insert(request_logs), rows))

    @transactional
    def list_request_logs(
        conn: Connection,
        *,
        limit: int = 100,
        before_id: int | None = None,
        provider: str | None = None,
        status_code: int | None = None,
    ) -> list[RequestLogRecord]:
        """Newest first. Page on with ``before_id`` = the last id of the previous page."""
        result = conn.execute(request_logs_query(limit, before_id, provider, status_code))
        return [RequestLogRecord(**row) for row in result.mappings()]

    # -- virtual keys ------------------------------------------------------------------------------

    @transactional
    def list_virtual_keys(conn: Connection) -> list[VirtualKeyRecord]:
        rows = conn.execute(sa.select(virtual_keys).order_by(virtual_keys.c.name)).mappings()
        return [_virtual_key(row) for row in rows]

    @transactional
    def insert_virtual_key(conn: Connection, record: VirtualKeyRecord) -> None:
        values = dataclasses.asdict(record)
        values["allowed_providers"] = list(record.allowed_providers)
        values["allowed_models"] = list(record.allowed_models)
        conn.execute(sa.insert(virtual_keys).values(**values))
        admin_rows.bump_version(conn)

    @transactional
    def update_virtual_key(conn: Connection, key_id: str, **changes: Any) -> bool:
        for name in ("allowed_providers", "allowed_models"):
            if name in changes:
                changes[name] = list(changes[name])
        changes.setdefault("updated_at", utc_now())
        result = conn.execute(sa.update(virtual_keys).where(virtual_keys.c.id == key_id).values(**changes))
        admin_rows.bump_version(conn)
        return bool(result.rowcount)

    @transactional
    def delete_virtual_key(conn: Connection, key_id: str) -> bool:
        result = conn.execute(sa.delete(virtual_keys).where(virtual_keys.c.id == key_id))
        admin_rows.bump_version(conn)
        return bool(result.rowcount)

    # -- dashboard sessions ------------------------------------------------------------------------

    async def revoke_session(self, nonce: str, expires_at: datetime) -> None:
        """Refuse the session with this nonce from now on, on every instance sharing the store, and
        forget the revocations of sessions that have expired anyway (their cookies are refused by then)."""
        with contextlib.suppress(sa.exc.IntegrityError):  # two sign-outs at once: the other recorded it
            await self.run(_revoke_session, nonce, expires_at)

    @transactional
    def session_revoked(conn: Connection, nonce: str) -> bool:
        query = sa.select(revoked_sessions.c.nonce).where(revoked_sessions.c.nonce == nonce)
        return conn.execute(query).first() is not None


def _revoke_session(conn: Connection, nonce: str, expires_at: datetime) -> None:
    conn.execute(sa.delete(revoked_sessions).where(revoked_sessions.c.expires_at < utc_now()))
    conn.execute(sa.insert(revoked_sessions).values(nonce=nonce, expires_at=expires_at))


def _virtual_key(row: Mapping[str, Any]) -> VirtualKeyRecord:
    values = dict(row)
    values["allowed_providers"] = tuple(values["allowed_providers"] or ("*",))
    values["allowed_models"] = tuple(values["allowed_models"] or ("*",))
    return VirtualKeyRecord(**values)


def _key_record(row: Mapping[str, Any]) -> KeyRecord:
    values = dict(row)
    values["models"] = tuple(values["models"] or ("*",))
    return KeyRecord(**values)
