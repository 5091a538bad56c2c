"""``Store``: irisgate's persistence behind one interface, for SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

from irisgate.config.models import ProviderConfig
from irisgate.store import admin_rows
from irisgate.store.engine import IMMEDIATE, create_engine, sqlite_file_path
from irisgate.store.job_seqs import legacy_seq, seq_in_id
from irisgate.store.records import (
    KeyRecord,
    ProviderRecord,
    RequestLogRecord,
    VideoJobRecord,
    VirtualKeyRecord,
    utc_now,
)
from irisgate.store.sqlite_lane import SqliteLane
from irisgate.store.sync import sync_providers
from irisgate.store.tables import (
    ERROR_STATUS,
    JOB_COLUMNS,
    LEGACY_ROWS,
    clipped_error_message,
    provider_keys,
    providers,
    request_logs,
    video_jobs,
    virtual_keys,
)

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MAX_LOG_PAGE = 1000
MAX_JOB_PAGE = 100
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


def _job_upsert(insert: Any) -> Any:
    """``INSERT … ON CONFLICT (seq) DO UPDATE`` every column if the row there has the same id:
    replaces a job in one statement, and never another job whose seq it is."""
    statement = insert(video_jobs)
    columns = {name: statement.excluded[name] for name in JOB_COLUMNS if name != "id"}
    return statement.on_conflict_do_update(
        index_elements=[video_jobs.c.seq], set_=columns, where=video_jobs.c.id == statement.excluded.id
    )


def _job_row(job_id: str) -> sa.ColumnElement[bool]:
    """Where the job's row is: at the id's seq, or for a legacy id, in the partial index of theirs."""
    seq = seq_in_id(job_id)
    if seq is None:
        return sa.and_(sa.text(LEGACY_ROWS), video_jobs.c.id == job_id)
    return sa.and_(video_jobs.c.seq == seq, video_jobs.c.id == job_id)


_JOB_UPSERTS = {"postgresql": _job_upsert(postgresql.insert), "sqlite": _job_upsert(sqlite.insert)}
_JOBS = sa.select(*(video_jobs.c[name] for name in JOB_COLUMNS))  # a VideoJobRecord's columns


class Store:
    def __init__(self, engine: AsyncEngine, lane: SqliteLane | None = None) -> None:
        self._engine = engine
        self._lane = lane

    @classmethod
    async def open(cls, url: str) -> Store:
        """A store on ``url``. A SQLite file also gets a lane (``sqlite_lane.py``): the hottest calls
        (video jobs, request-log batches) skip SQLAlchemy and aiosqlite and share commits."""
        engine = create_engine(url)
        path = sqlite_file_path(engine.url)
        return cls(engine, SqliteLane(path, engine.dialect, LOG_COLUMNS) if path is not None else None)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    @property
    def lane(self) -> SqliteLane | None:
        return self._lane

    async def close(self) -> None:
        if self._lane is not None:
            await self._lane.aclose()
        await self._engine.dispose()

    @asynccontextmanager
    async def transaction(self, *, exclusive: bool = False) -> AsyncIterator[AsyncConnection]:
        """A connection in a transaction. ``exclusive`` serialises it against other exclusive ones
        (``BEGIN IMMEDIATE`` on SQLite, a transaction-level advisory lock on PostgreSQL)."""
        async with self._engine.connect() as conn:
            if exclusive and self.dialect == "sqlite":
                await conn.execution_options(**{IMMEDIATE: True})
            async with conn.begin():
                if exclusive and self.dialect == "postgresql":
                    await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
                yield conn

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (safe to run concurrently from several instances)."""
        async with self.transaction(exclusive=True) as conn:
            await conn.run_sync(_upgrade_head)

    # -- providers and keys ------------------------------------------------------------------------

    async def sync_file_providers(self, file_providers: Mapping[str, ProviderConfig]) -> None:
        """Make the file-sourced providers and keys match the config file, in one transaction."""
        async with self.transaction(exclusive=True) as conn:
            await sync_providers(conn, file_providers, utc_now())
            await admin_rows.bump_version(conn)

    async def list_providers(self) -> list[ProviderRecord]:
        async with self._engine.connect() as conn:
            result = await conn.execute(sa.select(providers).order_by(providers.c.name))
            return [ProviderRecord(**row) for row in result.mappings()]

    async def get_provider(self, name: str) -> ProviderRecord | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(sa.select(providers).where(providers.c.name == name))).mappings().first()
            )
        return ProviderRecord(**row) if row else None

    async def get_key(self, key_id: str) -> KeyRecord | None:
        async with self._engine.connect() as conn:
            row = (
                (await conn.execute(sa.select(provider_keys).where(provider_keys.c.id == key_id)))
                .mappings()
                .first()
            )
        return _key_record(row) if row else None

    async def providers_version(self) -> int:
        """The counter every admin change bumps (0 before the first)."""
        async with self._engine.connect() as conn:
            return await admin_rows.read_version(conn)

    async def list_keys(self, provider: str | None = None) -> list[KeyRecord]:
        query = sa.select(provider_keys).order_by(provider_keys.c.provider, provider_keys.c.name)
        if provider is not None:
            query = query.where(provider_keys.c.provider == provider)
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [_key_record(row) for row in result.mappings()]

    # -- request logs ------------------------------------------------------------------------------

    def request_log_row(self, record: RequestLogRecord) -> Any:
        """A request-log record as ``insert_request_log_rows`` takes it. ``RequestLogWriter`` makes it
        when the request ends, so that a batch's insert, which runs on the event loop on SQLite,
        does no more than send it (measured at concurrency 1, image generations: the p95, where the
        requests that share a loop turn with a batch are, fell from ~300 to ~265 µs)."""
        if self._lane is not None:
            return self._lane.log_row(record)
        return _log_values(record)

    async def insert_request_logs(self, records: Sequence[RequestLogRecord]) -> None:
        """Insert a batch of request-log records in one transaction."""
        await self.insert_request_log_rows([self.request_log_row(record) for record in records])

    async def insert_request_log_rows(self, rows: Sequence[Any]) -> None:
        """Insert a batch of ``request_log_row`` rows in one transaction."""
        if not rows:
            return
        if self._lane is not None:
            return await self._lane.insert_log_rows(rows)
        async with self._engine.begin() as conn:
            await conn.execute(sa.insert(request_logs), list(rows))

    async def list_request_logs(
        self,
        *,
        limit: int = 100,
        before_id: int | None = None,
        provider: str | None = None,
        status_code: int | None = None,
    ) -> list[RequestLogRecord]:
        """Newest first. Page on with ``before_id`` = the last id of the previous page."""
        query = request_logs_query(limit, before_id, provider, status_code)
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            return [RequestLogRecord(**row) for row in result.mappings()]

    # -- virtual keys ------------------------------------------------------------------------------

    async def list_virtual_keys(self) -> list[VirtualKeyRecord]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(sa.select(virtual_keys).order_by(virtual_keys.c.name))).mappings()
            return [_virtual_key(row) for row in rows]

    async def insert_virtual_key(self, record: VirtualKeyRecord) -> None:
        values = dataclasses.asdict(record)
        values["allowed_providers"] = list(record.allowed_providers)
        values["allowed_models"] = list(record.allowed_models)
        async with self._engine.begin() as conn:
            await conn.execute(sa.insert(virtual_keys).values(**values))
            await admin_rows.bump_version(conn)

    async def update_virtual_key(self, key_id: str, **changes: Any) -> bool:
        for name in ("allowed_providers", "allowed_models"):
            if name in changes:
                changes[name] = list(changes[name])
        changes.setdefault("updated_at", utc_now())
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.update(virtual_keys).where(virtual_keys.c.id == key_id).values(**changes)
            )
            await admin_rows.bump_version(conn)
        return bool(result.rowcount)

    async def delete_virtual_key(self, key_id: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(virtual_keys).where(virtual_keys.c.id == key_id))
            await admin_rows.bump_version(conn)
        return bool(result.rowcount)

    # -- video jobs --------------------------------------------------------------------------------

    async def insert_job(self, job: VideoJobRecord) -> bool:
        """Record a job (one short transaction); an existing row with the same id is replaced.
        ``False`` (and nothing written) if another job has the id's seq (``job_seqs.py``)."""
        if self._lane is not None:
            return await self._lane.insert_job(job)
        async with self._engine.begin() as conn:
            seq = seq_in_id(job.id)
            if seq is None:
                seq = (await conn.execute(sa.select(video_jobs.c.seq).where(_job_row(job.id)))).scalar()
            if seq is None:
                seq = legacy_seq(job.created_at)
            result = await conn.execute(_JOB_UPSERTS[self.dialect], {"seq": seq, **dataclasses.asdict(job)})
        return bool(result.rowcount)

    async def get_job(self, job_id: str) -> VideoJobRecord | None:
        if self._lane is not None:
            return await self._lane.get_job(job_id)
        async with self._engine.connect() as conn:
            row = (await conn.execute(_JOBS.where(_job_row(job_id)))).mappings().first()
        return VideoJobRecord(**row) if row else None

    async def update_job(self, job_id: str, **changes: Any) -> None:
        """Apply the changed fields of a job (and bump ``updated_at``)."""
        if self._lane is not None:
            return await self._lane.update_job(job_id, **changes)
        changes.setdefault("updated_at", utc_now())
        async with self._engine.begin() as conn:
            await conn.execute(sa.update(video_jobs).where(_job_row(job_id)).values(**changes))

    async def delete_job(self, job_id: str) -> bool:
        if self._lane is not None:
            return await self._lane.delete_job(job_id)
        async with self._engine.begin() as conn:
            result = await conn.execute(sa.delete(video_jobs).where(_job_row(job_id)))
        return bool(result.rowcount)

    async def list_jobs(
        self,
        *,
        limit: int = 20,
        after: str | None = None,
        order: str = "desc",
        provider: str | None = None,
        status: str | None = None,
        client_key_id: str | None = None,
    ) -> tuple[list[VideoJobRecord], bool]:
        """A page of jobs by creation (``order`` desc = newest first: by seq) after the job
        ``after``, and whether more follow."""
        limit = max(1, min(limit, MAX_JOB_PAGE))
        newest_first = order != "asc"
        seq = video_jobs.c.seq
        query = _JOBS
        if provider is not None:
            query = query.where(video_jobs.c.provider == provider)
        if status is not None:
            query = query.where(video_jobs.c.status == status)
        if client_key_id is not None:
            query = query.where(video_jobs.c.client_key_id == client_key_id)
        async with self._engine.connect() as conn:
            if after is not None:
                anchor = (await conn.execute(sa.select(seq).where(_job_row(after)))).scalar()
                if anchor is None:
                    return [], False
                query = query.where(seq < anchor if newest_first else seq > anchor)
            ordering = seq.desc() if newest_first else seq.asc()
            rows = (await conn.execute(query.order_by(ordering).limit(limit + 1))).mappings().all()
        return [VideoJobRecord(**row) for row in rows[:limit]], len(rows) > limit


def request_logs_query(
    limit: int, before_id: int | None, provider: str | None, status_code: int | None
) -> sa.Select[Any]:
    """Newest first, walking the ids down; errors by their partial index (``ix_request_logs_errors``)."""
    limit = max(1, min(limit, MAX_LOG_PAGE))
    query = sa.select(request_logs).order_by(request_logs.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(request_logs.c.id < before_id)
    if provider is not None:
        query = query.where(request_logs.c.provider == provider)
    if status_code is not None:
        query = query.where(request_logs.c.status_code == status_code)
        if status_code >= ERROR_STATUS:  # states the index's condition, so that SQLite uses it
            query = query.where(request_logs.c.status_code >= ERROR_STATUS)
    return query


def _virtual_key(row: Mapping[str, Any]) -> VirtualKeyRecord:
    values = dict(row)
    values["allowed_providers"] = tuple(values["allowed_providers"] or ("*",))
    values["allowed_models"] = tuple(values["allowed_models"] or ("*",))
    return VirtualKeyRecord(**values)


def _key_record(row: Mapping[str, Any]) -> KeyRecord:
    values = dict(row)
    values["models"] = tuple(values["models"] or ("*",))
    return KeyRecord(**values)


LOG_COLUMNS = tuple(column.name for column in request_logs.c if column.name != "id")  # _log_values


def _log_values(record: RequestLogRecord) -> dict[str, Any]:
    created_at: datetime = record.created_at
    return {
        "request_id": record.request_id,
        "created_at": created_at,
        "method": record.method,
        "route": record.route,
        "provider": record.provider,
        "model": record.model,
        "key_id": record.key_id,
        "key_name": record.key_name,
        "status_code": record.status_code,
        "latency_ms": record.latency_ms,
        "cost_usd": record.cost_usd,
        "error_code": record.error_code,
        "error_message": clipped_error_message(record.error_message),
        "client_key_id": record.client_key_id,
    }
