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

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


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

video_jobs = sa.Table(
    "video_jobs",
    metadata,
    # The public, opaque "video_…" id (jobs/ids.py): it begins with the creation time, so the primary
    # key's order is the order of creation and lists need no index of their own.
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("provider", sa.String(), nullable=False),
    sa.Column("upstream_id", sa.String(), nullable=True),  # the provider's task id, once known
    sa.Column("key_id", sa.String(), nullable=False),
    sa.Column("key_name", sa.String(), nullable=True),
    sa.Column("model", sa.String(), nullable=False),  # the provider's model (without "provider/")
    sa.Column("prompt", sa.Text(), nullable=True),
    sa.Column("seconds", sa.String(), nullable=True),
    sa.Column("size", sa.String(), nullable=True),
    # submitting (recorded before the provider is asked) | queued | in_progress | completed | failed
    sa.Column("status", sa.String(), nullable=False),
    sa.Column("progress", sa.Integer(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.Column("cost_usd", sa.Float(), nullable=True),
    sa.Column("output_url", sa.Text(), nullable=True),  # from the provider, never from a client
    sa.Column("error_code", sa.String(), nullable=True),
    sa.Column("error_message", sa.Text(), nullable=True),
    sa.Column("client_key_id", sa.String(), nullable=True),  # the virtual key that created it, if any
    # Settlement (jobs/settler.py): when to ask the provider next (NULL once the job has ended), how
    # often it was asked, since when it cannot be reached, and which process may ask it now.
    sa.Column("next_poll_at", UTCDateTime(), nullable=True),
    sa.Column("polls", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("unreachable_since", UTCDateTime(), nullable=True),
    sa.Column("lease_owner", sa.String(), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    # The kept copy of the output (jobs/media): pending until copied, then where it is.
    sa.Column("media_state", sa.String(), nullable=True),  # NULL | "pending" | "kept"
    sa.Column("media_key", sa.Text(), nullable=True),
    sa.Column("media_size", sa.BigInteger(), nullable=True),
    sa.Column("media_type", sa.String(), nullable=True),
    sa.Column("thumbnail_key", sa.Text(), nullable=True),
    sa.Column("media_attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("media_next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("media_error", sa.Text(), nullable=True),
    sa.Column("expires_at", UTCDateTime(), nullable=True),  # when its kept media is removed
    # A virtual key's own jobs, newest first (GET /v1/videos with a key).
    sa.Index("ix_video_jobs_client_key_id", "client_key_id", "id"),
    # The jobs still to settle, by when they are due (ended jobs leave the index).
    sa.Index(
        "ix_video_jobs_next_poll_at",
        "next_poll_at",
        sqlite_where=sa.text("next_poll_at IS NOT NULL"),
        postgresql_where=sa.text("next_poll_at IS NOT NULL"),
    ),
    sa.Index(
        "ix_video_jobs_media_next_attempt_at",
        "media_next_attempt_at",
        sqlite_where=sa.text("media_next_attempt_at IS NOT NULL"),
        postgresql_where=sa.text("media_next_attempt_at IS NOT NULL"),
    ),
    sa.Index(
        "ix_video_jobs_expires_at",
        "expires_at",
        sqlite_where=sa.text("expires_at IS NOT NULL"),
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    ),
)

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

# Dashboard sessions signed out before they expired. A session cookie is stateless (admin/auth.py), so
# sign-out writes its nonce here, where every worker and instance sharing the store looks it up. A row
# is useless once its session has expired (the cookie's signed expiry refuses it), so those are pruned.
revoked_sessions = sa.Table(
    "revoked_sessions",
    metadata,
    sa.Column("nonce", sa.String(), primary_key=True),
    sa.Column("expires_at", UTCDateTime(), nullable=False),
)

# Webhooks (irisgate/webhooks): endpoints, the events of jobs that ended (the outbox), one delivery per
# event and endpoint, and every attempt of each delivery.
webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    # "whe_" + the creation time in ms (12 hex) + 80 random bits: the primary key is the list order.
    sa.Column("id", sa.String(), primary_key=True),
    sa.Column("owner_key_id", sa.String(), nullable=True),  # the virtual key that made it; NULL: every job
    sa.Column("name", sa.String(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("event_types", sa.JSON(), nullable=False),
    sa.Column("secret_encrypted", sa.Text(), nullable=False),  # SecretBox (admin/crypto.py)
    sa.Column("secret_hint", sa.String(), nullable=False),
    # After a rotation that keeps the old secret for a while: deliveries are signed with both until then.
    sa.Column("old_secret_encrypted", sa.Text(), nullable=True),
    sa.Column("old_secret_until", UTCDateTime(), nullable=True),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("disabled_reason", sa.Text(), nullable=True),
    # Failed attempts in a row (test events aside) and when the first of them was made.
    sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("failing_since", UTCDateTime(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Index("ix_webhook_endpoints_owner_key_id", "owner_key_id", "id"),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),  # "evt_…"
    sa.Column("type", sa.String(), nullable=False),
    sa.Column("video_id", sa.String(), nullable=True),
    sa.Column("payload", sa.Text(), nullable=False),  # the JSON body, byte for byte as it is signed and sent
    sa.Column("created_at", UTCDateTime(), nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(), primary_key=True),  # "whd_…", time first; sent as `webhook-id`
    sa.Column(
        "event_id", sa.String(), sa.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "endpoint_id", sa.String(), sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("status", sa.String(), nullable=False),  # pending | delivered | failed
    sa.Column("test", sa.Boolean(), nullable=False, server_default=sa.false()),  # a `test` call's send
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),  # NULL once it has ended
    sa.Column("lease_owner", sa.String(), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("last_status_code", sa.Integer(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.Column("ended_at", UTCDateTime(), nullable=True),
    sa.Index("ix_webhook_deliveries_endpoint_id", "endpoint_id", "id"),
    sa.Index("ix_webhook_deliveries_event_id", "event_id"),
    sa.Index(
        "ix_webhook_deliveries_next_attempt_at",
        "next_attempt_at",
        sqlite_where=sa.text("next_attempt_at IS NOT NULL"),
        postgresql_where=sa.text("next_attempt_at IS NOT NULL"),
    ),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", BigIntegerId, primary_key=True, autoincrement=True),
    sa.Column(
        "delivery_id",
        sa.String(),
        sa.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("attempted_at", UTCDateTime(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=True),  # the receiver's answer, if any
    sa.Column("error", sa.Text(), nullable=True),  # else why not: refused, timed out, …
    sa.Column("latency_ms", sa.Float(), nullable=False),
    sa.Index("ix_webhook_attempts_delivery_id", "delivery_id"),
)
