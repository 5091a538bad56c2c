"""The schema of irisgate 0.1.0: providers and their keys, virtual keys, request logs, video jobs,
and the shared counters.

Revision ID: 0001
Revises:
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERRORS = sa.text("status_code >= 400")


def _timestamp(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "providers",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("display_name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("network_config", sa.JSON(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("name", name="pk_providers"),
    )
    op.create_table(
        "provider_keys",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("value_kind", sa.String(), nullable=False),
        sa.Column("env_var", sa.String(), nullable=True),
        sa.Column("secret_hint", sa.String(), nullable=True),
        sa.Column("secret_encrypted", sa.Text(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_provider_keys"),
        sa.ForeignKeyConstraint(
            ["provider"],
            ["providers.name"],
            name="fk_provider_keys_provider_providers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("provider", "name", name="uq_provider_keys_provider_name"),
    )
    op.create_table(
        "irisgate_state",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_irisgate_state"),
    )
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
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_virtual_keys"),
        sa.UniqueConstraint("name", name="uq_virtual_keys_name"),
        sa.UniqueConstraint("key_hash", name="uq_virtual_keys_key_hash"),
    )
    op.create_table(
        "request_logs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("request_id", sa.String(), nullable=False),
        _timestamp("created_at"),
        sa.Column("method", sa.String(), nullable=False),
        sa.Column("route", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=True),
        sa.Column("key_id", sa.String(), nullable=True),
        sa.Column("key_name", sa.String(), nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("client_key_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_request_logs"),
    )
    # Errors only: a successful request writes no index page (lists walk the ids).
    op.create_index(
        "ix_request_logs_errors",
        "request_logs",
        ["status_code"],
        sqlite_where=ERRORS,
        postgresql_where=ERRORS,
    )
    op.create_table(
        "video_jobs",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("provider", sa.String(), nullable=False),
        sa.Column("upstream_id", sa.String(), nullable=True),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("key_name", sa.String(), nullable=True),
        sa.Column("model", sa.String(), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=True),
        sa.Column("seconds", sa.String(), nullable=True),
        sa.Column("size", sa.String(), nullable=True),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        _timestamp("completed_at", nullable=True),
        sa.Column("cost_usd", sa.Float(), nullable=True),
        sa.Column("output_url", sa.Text(), nullable=True),
        sa.Column("error_code", sa.String(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("client_key_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_video_jobs"),
    )
    op.create_index("ix_video_jobs_client_key_id", "video_jobs", ["client_key_id", "id"])


def downgrade() -> None:
    for table in (
        "video_jobs",
        "request_logs",
        "virtual_keys",
        "irisgate_state",
        "provider_keys",
        "providers",
    ):
        op.drop_table(table)
