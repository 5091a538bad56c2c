"""The kept media of video jobs: which copies and removals are due, and what became of them.

``media_state`` is NULL (nothing to keep, or given up), ``pending`` (a copy is due), ``kept`` (in
the media store under ``media_key`` and ``thumbnail_key``) or ``expired`` (kept, then removed at
``expires_at``). ``media_next_attempt_at`` is when the media keeper next has work on the job: the
next copy attempt while pending, ``expires_at`` while kept (NULL: nothing to do). Work is claimed by
moving that time forward by a lease in the UPDATE that returns the rows (SKIP LOCKED on PostgreSQL),
so no two processes copy one video at once, and a process that dies leaves its claims to run out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irisgate.store.database import Database, transactional
from irisgate.store.records import VideoJobRecord, utc_now
from irisgate.store.tables import video_jobs

PENDING, KEPT, EXPIRED = "pending", "kept", "expired"
_c = video_jobs.c


class MediaTable:
    """`Store`'s media methods (a mixin: it uses the store's `database`)."""

    database: Database

    @transactional
    def claim_due_media(conn: Connection, until: datetime, limit: int) -> list[VideoJobRecord]:
        """Up to ``limit`` jobs whose media work is due (a copy, or a removal), the longest due
        first, each claimed until ``until``."""
        now = utc_now()
        due = (
            sa.select(_c.id)
            .where(
                _c.media_next_attempt_at.is_not(None),
                _c.media_next_attempt_at <= now,
                _c.media_state.in_((PENDING, KEPT)),
            )
            .order_by(_c.media_next_attempt_at)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            due = due.with_for_update(skip_locked=True)
        statement = (
            sa.update(video_jobs)
            .where(_c.id.in_(due.scalar_subquery()), _c.media_next_attempt_at <= now)
            .values(media_next_attempt_at=until)
            .returning(*_c)
        )
        rows = conn.execute(statement).mappings().all()
        return [VideoJobRecord(**row) for row in rows]

    @transactional
    def renew_media_claims(conn: Connection, job_ids: list[str], until: datetime) -> None:
        """Keep the claims of the copies still under way."""
        if job_ids:
            conn.execute(
                sa.update(video_jobs)
                .where(_c.id.in_(job_ids), _c.media_state == PENDING)
                .values(media_next_attempt_at=until)
            )

    @transactional
    def record_media(conn: Connection, job_id: str, changes: dict[str, Any], *, state: str) -> bool:
        """Apply ``changes`` to the job's media columns if its media is still in ``state``; False
        when it is not (the job was deleted, or another process got there first)."""
        result = conn.execute(
            sa.update(video_jobs).where(_c.id == job_id, _c.media_state == state).values(**changes)
        )
        return bool(result.rowcount)

    @transactional
    def remove_job(conn: Connection, job_id: str) -> VideoJobRecord | None:
        """Delete the job's record; the record as it was at that moment (its media keys included,
        even those a copy recorded a moment earlier), or None if there was none."""
        statement = sa.delete(video_jobs).where(_c.id == job_id).returning(*_c)
        row = conn.execute(statement).mappings().first()
        return VideoJobRecord(**row) if row else None
