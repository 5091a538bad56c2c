"""Video jobs keyed by ``seq``, which new ids begin with (``store/job_seqs.py``): a create writes one
table page, and no index page.

The table was keyed by id, with an index of creation times for lists: each create wrote a page of
the table, one of the index of ids and one of the index of times (3.65 pages a commit, with their
splits, measured on SQLite); now one page of the table (1.15), an INTEGER PRIMARY KEY (SQLite's
rowid) that lists walk in creation order. The rows already there are legacy (their ids hold no seq):
they get negative seqs in creation order, and a partial index of their ids that new rows never
write to. Measured at concurrency 1 with every process on one CPU, five interleaved runs against
the code before: video creates' p99 0.99 → 0.82 ms (medians), the checkpoint thread's CPU 6-7 → 4
µs a create; in the benchmark (overhead section), their p99 / p50 5.7-6.3 → 3.4.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

from irisgate.store.job_seqs import legacy_seq, seq_in_id

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEQ_TYPE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER: SQLite's rowid
LEGACY_ROWS = sa.text("seq < 0")
jobs = sa.table(
    "video_jobs",
    sa.column("seq", sa.BigInteger()),
    sa.column("id", sa.String()),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column("video_jobs", sa.Column("seq", SEQ_TYPE, nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(jobs.c.id, jobs.c.created_at).order_by(jobs.c.created_at, jobs.c.id))
    seqs = [
        {"job_id": job_id, "seq": _seq(job_id, created_at, n)} for n, (job_id, created_at) in enumerate(rows)
    ]
    if seqs:
        connection.execute(sa.update(jobs).where(jobs.c.id == sa.bindparam("job_id")), seqs)
    with op.batch_alter_table("video_jobs") as batch:
        batch.drop_index("ix_video_jobs_created_at")
        batch.drop_constraint("pk_video_jobs", type_="primary")
        batch.alter_column("seq", existing_type=SEQ_TYPE, nullable=False)
        batch.create_primary_key("pk_video_jobs", ["seq"])
    op.create_index(
        "ux_video_jobs_legacy_id",
        "video_jobs",
        ["id"],
        unique=True,
        sqlite_where=LEGACY_ROWS,
        postgresql_where=LEGACY_ROWS,
    )


def downgrade() -> None:
    op.drop_index("ux_video_jobs_legacy_id", table_name="video_jobs")
    with op.batch_alter_table("video_jobs") as batch:
        batch.drop_constraint("pk_video_jobs", type_="primary")
        batch.create_primary_key("pk_video_jobs", ["id"])
        batch.drop_column("seq")
        batch.create_index("ix_video_jobs_created_at", ["created_at"])


def _seq(job_id: str, created_at: datetime, n: int) -> int:
    """The seq in the id (one made by this revision's code, then downgraded), else a legacy seq with
    the row's place in creation order under the milliseconds."""
    seq = seq_in_id(job_id)
    return legacy_seq(created_at, n) if seq is None else seq
