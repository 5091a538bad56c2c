"""Video jobs that settle on their own and keep their media: when each is due to be asked, which
process may ask it, and where its kept copy is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTIAL_INDEXES = ("next_poll_at", "media_next_attempt_at", "expires_at")


def upgrade() -> None:
    with op.batch_alter_table("video_jobs") as batch:
        batch.add_column(sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("polls", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("unreachable_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("lease_owner", sa.String(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("media_state", sa.String(), nullable=True))
        batch.add_column(sa.Column("media_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("media_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("media_type", sa.String(), nullable=True))
        batch.add_column(sa.Column("thumbnail_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("media_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("media_next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("media_error", sa.Text(), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    for column in PARTIAL_INDEXES:
        condition = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_video_jobs_{column}",
            "video_jobs",
            [column],
            sqlite_where=condition,
            postgresql_where=condition,
        )
    # Jobs recorded before settlement: those still running are due at once.
    op.execute("UPDATE video_jobs SET next_poll_at = updated_at WHERE status NOT IN ('completed', 'failed')")


def downgrade() -> None:
    for column in PARTIAL_INDEXES:
        op.drop_index(f"ix_video_jobs_{column}", table_name="video_jobs")
    with op.batch_alter_table("video_jobs") as batch:
        for column in (
            "expires_at", "media_error", "media_next_attempt_at", "media_attempts", "thumbnail_key",
            "media_type", "media_size", "media_key", "media_state", "lease_until", "lease_owner",
            "unreachable_since", "polls", "next_poll_at",
        ):  # fmt: skip
            batch.drop_column(column)
