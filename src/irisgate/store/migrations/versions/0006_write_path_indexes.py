"""Fewer index pages written per request: the request log's and the job table's filters by a handful
of values walk the newest-first order instead, and errors get a partial index of their own.

Every index is one more B-tree page that a commit writes to the WAL and a checkpoint then copies and
syncs. With every process on one CPU, checkpoints are what holds up the slowest requests, and their
cost grows with the pages they copy. Measured at concurrency 1 with every process on one CPU
(interleaved runs, ``bench/RESULTS.md``): without these three indexes, video creates' p99 fell from
~0.78 to ~0.64 ms and their CPU from ~186 to ~175 µs a request; a checkpoint's CPU time from ~1.0 to
~0.8 ms.

* ``request_logs.provider`` and ``video_jobs.status`` hold a handful of values each: a filter on one of
  them walks the rows newest first (by id, or the ``created_at`` index) and stops at a page's worth,
  which is as fast for any value in use; the jobs still running are the newest ones.
* ``request_logs.status_code``: successes are nearly every row, and a filter on 200 walks as above;
  errors are rare, so they keep an index of their own that successful requests never write to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = (
    ("ix_request_logs_provider", "request_logs", "provider"),
    ("ix_request_logs_status_code", "request_logs", "status_code"),
    ("ix_video_jobs_status", "video_jobs", "status"),
)
ERRORS = sa.text("status_code >= 400")


def upgrade() -> None:
    for name, table, _column in DROPPED:
        op.drop_index(name, table_name=table)
    op.create_index(
        "ix_request_logs_errors",
        "request_logs",
        ["status_code"],
        sqlite_where=ERRORS,
        postgresql_where=ERRORS,
    )


def downgrade() -> None:
    op.drop_index("ix_request_logs_errors", table_name="request_logs")
    for name, table, column in DROPPED:
        op.create_index(name, table, [column])
