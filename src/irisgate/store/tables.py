"""Table definitions (SQLAlchemy Core). The schema is created by the Alembic revisions in ``migrations``;
``tests/test_store.py`` checks that these definitions and the migrations agree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime that always comes back in UTC.

    PostgreSQL keeps the zone (``timestamptz``); SQLite stores text without one, so values are
    converted to UTC on the way in and marked UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name == "sqlite":
            return sqlite_utc_text
        return super().bind_processor(dialect)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_utc_text(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite ``DATETIME`` stores it after ``UTCDateTime`` made it UTC
    (``2026-11-22 21:25:47.163999``), in half the time its two processors take (~0.8 µs against ~1.5
    µs; every request-log row holds one, every job record two or three)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat(" ", "microseconds")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"


# SQLite only makes INTEGER PRIMARY KEY an autoincrementing rowid alias; PostgreSQL gets BIGINT.
BigIntegerId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

providers = sa.Table(
    "providers",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("display_name", sa.String(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),  # "file" | "store"
    sa.Column("network_config", sa.JSON(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)

provider_keys = sa.Table(
    "provider_keys",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column(
        "provider",
        sa.String(),
        sa.ForeignKey("providers.name", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("source", sa.String(), nullable=False),  # "file" | "store"
    sa.Column("value_kind", sa.String(), nullable=False),  # "env" | "literal"
    sa.Column("env_var", sa.String(), nullable=True),
    sa.Column("secret_hint", sa.String(), nullable=True),  # redacted literal, never the secret
    sa.Column("secret_encrypted", sa.Text(), nullable=True),  # store-managed keys only (later)
    sa.Column("models", sa.JSON(), nullable=False),
    sa.Column("weight", sa.Float(), nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("provider", "name", name="uq_provider_keys_provider_name"),
)

ERROR_STATUS = 400  # request logs from this status up are indexed (ix_request_logs_errors)

request_logs = sa.Table(
    "request_logs",
    metadata,
    sa.Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
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
    sa.Column("client_key_id", sa.String(), nullable=True),  # the virtual key of the request, if any
    # Errors only (successful requests never write to it); see migration 0006 and Store.list_request_logs.
    sa.Index(
        "ix_request_logs_errors",
        "status_code",
        sqlite_where=sa.text(f"status_code >= {ERROR_STATUS}"),
        postgresql_where=sa.text(f"status_code >= {ERROR_STATUS}"),
    ),
)

ERROR_MESSAGE_MAX_CHARS = 2000


def clipped_error_message(message: str | None) -> str | None:
    """A request log's error message as stored: at most ``ERROR_MESSAGE_MAX_CHARS`` characters."""
    if message is not None and len(message) > ERROR_MESSAGE_MAX_CHARS:
        return message[:ERROR_MESSAGE_MAX_CHARS]
    return message


LEGACY_ROWS = "seq < 0"  # video jobs whose ids hold no seq (job_seqs.py)

video_jobs = sa.Table(
    "video_jobs",
    metadata,
    # Where the row lives, from the id (job_seqs.py): SQLite's rowid, and the order of creation.
    sa.Column("seq", BigIntegerId, primary_key=True, autoincrement=False),
    sa.Column("id", sa.String(), nullable=False),  # the public, opaque "video_…" id
    sa.Column("provider", sa.String(), nullable=False),
    sa.Column("upstream_id", sa.String(), nullable=False),
    sa.Column("key_id", sa.String(), nullable=False),
    sa.Column("key_name", sa.String(), nullable=True),
    sa.Column("model", sa.String(), nullable=False),  # the provider's model (without "provider/")
    sa.Column("prompt", sa.Text(), nullable=True),
    sa.Column("seconds", sa.String(), nullable=True),
    sa.Column("size", sa.String(), nullable=True),
    sa.Column("status", sa.String(), nullable=False),  # queued | in_progress | completed | failed
    sa.Column("progress", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.Column("cost_usd", sa.Float(), nullable=True),
    sa.Column("output_url", sa.Text(), nullable=True),  # from the provider, never from a client
    sa.Column("error_code", sa.String(), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
    sa.Column("client_key_id", sa.String(), nullable=True),  # the virtual key that created it, if any
    # The ids of legacy rows only (made before seqs: job_seqs.py); new jobs never write to it.
    sa.Index(
        "ux_video_jobs_legacy_id",
        "id",
        unique=True,
        sqlite_where=sa.text(LEGACY_ROWS),
        postgresql_where=sa.text(LEGACY_ROWS),
    ),
)

JOB_COLUMNS = tuple(column.name for column in video_jobs.c if column.name != "seq")  # VideoJobRecord's

# Small named counters shared by every instance, e.g. "providers_version", bumped on each admin change
# so that other workers reload their provider registry.
state = sa.Table(
    "irisgate_state",
    metadata,
    sa.Column("name", sa.String(), primary_key=True),
    sa.Column("value", sa.BigInteger(), nullable=False),
)

# Client credentials for /v1 ("virtual keys"): only a SHA-256 of each key is kept.
virtual_keys = sa.Table(
    "virtual_keys",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("name", sa.String(), nullable=False, unique=True),
    sa.Column("key_hash", sa.String(), nullable=False, unique=True),
    sa.Column("key_hint", sa.String(), nullable=False),
    sa.Column("allowed_providers", sa.JSON(), nullable=False),
    sa.Column("allowed_models", sa.JSON(), nullable=False),
    sa.Column("rpm_limit", sa.Integer(), nullable=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
)
