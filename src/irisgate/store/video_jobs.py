"""The video job table: records, pages of them, and the leases that let one process at a time ask a
provider about a job.

A lease (``lease_owner``, ``lease_until``) is taken in the store before a provider is asked about a
job and given back with what it answered, so neither two workers nor two instances on one
PostgreSQL ever ask at once, and a job whose process died is taken over once its lease runs out.
A change that ends a job (its status becomes completed or failed) runs the store's ``job_end_hooks``
in the same transaction: what must happen exactly when a job ends (a webhook event in the outbox)
is written with its end, or not at all.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irisgate.store.database import Database, transactional
from irisgate.store.records import VideoJobRecord, utc_now
from irisgate.store.tables import video_jobs

MAX_JOB_PAGE = 100
TERMINAL = ("completed", "failed")
JobEndHook = Callable[[Connection, VideoJobRecord], None]

_c = video_jobs.c


def _free(now: datetime | sa.BindParameter[datetime]) -> sa.ColumnElement[bool]:
    """No lease, or one that ran out. A lease this very process holds is not free either: it is
    asking about the job now, or creating it."""
    return sa.or_(_c.lease_until.is_(None), _c.lease_until < now)


# The statements of every create, retrieve and poll are built once, their values given to
# `execute()` as parameters (an UPDATE then sets the columns it is given): SQLAlchemy keeps a
# statement's cache key on the statement, so a prebuilt one is not walked again on each call, which
# was half of each of these transactions' CPU (bench/RESULTS.md, 2026-12-03). Bound names that
# differ from the column names keep the WHERE apart from the SET.
_INSERT_JOB = sa.insert(video_jobs)
_GET_JOB = sa.select(video_jobs).where(_c.id == sa.bindparam("b_job_id"))


@functools.cache
def _record_statement(leased: bool, guarded: bool, ends: bool) -> sa.Update:
    statement = sa.update(video_jobs).where(_c.id == sa.bindparam("b_job_id"))
    if leased:
        statement = statement.where(_c.lease_owner == sa.bindparam("b_lease_owner"))
    if guarded:
        statement = statement.where(_c.status == sa.bindparam("b_status"))
    if ends:
        statement = statement.where(_c.status.notin_(TERMINAL))
    return statement.returning(*_c)


@functools.cache
def _claim_statement(owned_by_client: bool) -> sa.Update:
    statement = sa.update(video_jobs).where(
        _c.id == sa.bindparam("b_job_id"), _c.status.notin_(TERMINAL), _free(sa.bindparam("b_now"))
    )
    if owned_by_client:
        statement = statement.where(_c.client_key_id == sa.bindparam("b_client_key_id"))
    return statement.returning(*_c)


class VideoJobsTable:
    """`Store`'s video job methods (a mixin: it uses the store's `database` and `job_end_hooks`)."""

    job_end_hooks: list[JobEndHook]
    database: Database

    @transactional
    def insert_job(conn: Connection, job: VideoJobRecord) -> None:
        """Record a new job (one short transaction)."""
        conn.execute(_INSERT_JOB, dataclasses.asdict(job))

    @transactional
    def get_job(conn: Connection, job_id: str) -> VideoJobRecord | None:
        row = conn.execute(_GET_JOB, {"b_job_id": job_id}).mappings().first()
        return VideoJobRecord(**row) if row else None

    async def update_job(self, job_id: str, *, only_if_status: str | None = None, **changes: Any) -> bool:
        """Apply the changed fields of a job (and bump ``updated_at``); False if there is no such job
        (or it is no longer in ``only_if_status``)."""
        return await self.record_job(job_id, changes, only_if_status=only_if_status) is not None

    async def record_job(
        self,
        job_id: str,
        changes: dict[str, Any],
        *,
        lease_of: str | None = None,
        only_if_status: str | None = None,
    ) -> VideoJobRecord | None:
        """Apply ``changes`` (``updated_at`` bumped) and, with ``lease_of``, give back that owner's
        lease (nothing is written if the lease is no longer its own, or, with ``only_if_status``,
        if the job is no longer in that status). The job as stored after, or None when nothing was
        written. A change to a terminal status runs ``job_end_hooks`` in the same transaction,
        once: a job that had already ended does not end again."""
        values: dict[str, Any] = {"updated_at": utc_now(), **changes, "b_job_id": job_id}
        if lease_of is not None:
            values.update(lease_owner=None, lease_until=None, b_lease_owner=lease_of)
        if only_if_status is not None:
            values["b_status"] = only_if_status
        ends = values.get("status") in TERMINAL
        statement = _record_statement(lease_of is not None, only_if_status is not None, ends)
        hooks = tuple(self.job_end_hooks) if ends else ()

        def record(conn: Connection) -> VideoJobRecord | None:
            row = conn.execute(statement, values).mappings().first()
            if row is None:
                return None
            job = VideoJobRecord(**row)
            for hook in hooks:
                hook(conn, job)
            return job

        return await self.database.run(record)

    @transactional
    def claim_job(
        conn: Connection, job_id: str, owner: str, until: datetime, client_key_id: str | None = None
    ) -> VideoJobRecord | None:
        """Take the lease of a job that has not ended, unless someone holds it; the job, or None
        (leased, ended, not there, or not ``client_key_id``'s)."""
        values = {"lease_owner": owner, "lease_until": until, "b_job_id": job_id, "b_now": utc_now()}
        if client_key_id is not None:
            values["b_client_key_id"] = client_key_id
        row = conn.execute(_claim_statement(client_key_id is not None), values).mappings().first()
        return VideoJobRecord(**row) if row else None

    @transactional
    def claim_due_jobs(conn: Connection, owner: str, until: datetime, limit: int) -> list[VideoJobRecord]:
        """Take the leases of up to ``limit`` jobs that are due (``next_poll_at`` passed) and free,
        the longest due first. On PostgreSQL, rows another instance is claiming at the same moment
        are skipped (SKIP LOCKED); SQLite serialises writers anyway."""
        now = utc_now()
        due = (
            sa.select(_c.id)
            .where(_c.next_poll_at.is_not(None), _c.next_poll_at <= now, _free(now))
            .order_by(_c.next_poll_at)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            sa.update(video_jobs)
            .where(_c.id.in_(due.scalar_subquery()), _c.status.notin_(TERMINAL))
            .values(lease_owner=owner, lease_until=until)
            .returning(*_c)
        )
        rows = conn.execute(statement).mappings().all()
        return sorted((VideoJobRecord(**row) for row in rows), key=lambda job: job.next_poll_at or now)

    @transactional
    def renew_leases(conn: Connection, owner: str, job_ids: list[str], until: datetime) -> int:
        """Keep the leases of jobs this process is still asking about."""
        if not job_ids:
            return 0
        result = conn.execute(
            sa.update(video_jobs).where(_c.id.in_(job_ids), _c.lease_owner == owner).values(lease_until=until)
        )
        return int(result.rowcount)

    @transactional
    def release_lease(conn: Connection, job_id: str, owner: str) -> None:
        conn.execute(
            sa.update(video_jobs)
            .where(_c.id == job_id, _c.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )

    @transactional
    def delete_job(conn: Connection, job_id: str) -> bool:
        return bool(conn.execute(sa.delete(video_jobs).where(_c.id == job_id)).rowcount)

    @transactional
    def count_jobs(conn: Connection, *, active: bool | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(video_jobs)
        if active is not None:
            query = query.where(_c.status.notin_(TERMINAL) if active else _c.status.in_(TERMINAL))
        return int(conn.execute(query).scalar() or 0)

    @transactional
    def list_jobs(
        conn: Connection,
        *,
        limit: int = 20,
        after: str | None = None,
        order: str = "desc",
        provider: str | None = None,
        status: str | None = None,
        client_key_id: str | None = None,
    ) -> tuple[list[VideoJobRecord], bool]:
        """A page of jobs in the order they were made (``desc``: newest first) after the job
        ``after``, and whether more follow. Ids begin with their creation time, so the primary key
        is that order."""
        limit = max(1, min(limit, MAX_JOB_PAGE))
        newest_first = order != "asc"
        query = sa.select(video_jobs)
        if provider is not None:
            query = query.where(_c.provider == provider)
        if status is not None:
            query = query.where(_c.status == status)
        if client_key_id is not None:
            query = query.where(_c.client_key_id == client_key_id)
        if after is not None:
            query = query.where(_c.id < after if newest_first else _c.id > after)
        ordering = _c.id.desc() if newest_first else _c.id.asc()
        rows = conn.execute(query.order_by(ordering).limit(limit + 1)).mappings().all()
        return [VideoJobRecord(**row) for row in rows[:limit]], len(rows) > limit
