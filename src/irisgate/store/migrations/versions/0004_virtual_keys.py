"""Virtual keys: client credentials for /v1, stored hashed; each video job remembers its client.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "virtual_keys",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("key_hint", sa.String(), nullable=False),
        sa.Column("allowed_providers", sa.JSON(), nullable=False),
        sa.Column("allowed_models", sa.JSON(), nullable=False),
        sa.Column("rpm_limit", sa.Integer(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_virtual_keys"),
        sa.UniqueConstraint("name", name="uq_virtual_keys_name"),
        sa.UniqueConstraint("key_hash", name="uq_virtual_keys_key_hash"),
    )
    for table in ("video_jobs", "request_logs"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("client_key_id", sa.String(), nullable=True))


def downgrade() -> None:
    for table in ("video_jobs", "request_logs"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("client_key_id")
    op.drop_table("virtual_keys")
