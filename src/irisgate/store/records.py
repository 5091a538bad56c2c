"""Plain, immutable records mirroring store rows (what ``Store`` returns and accepts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class ProviderRecord:
    name: str
    display_name: str
    source: str  # "file" | "store"
    network_config: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, kw_only=True)
class KeyRecord:
    id: str
    provider: str
    name: str
    source: str  # "file" | "store"
    value_kind: str  # "env" | "literal"
    env_var: str | None
    secret_hint: str | None
    models: tuple[str, ...]
    weight: float
    enabled: bool
    created_at: datetime
    updated_at: datetime
    secret_encrypted: str | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class RequestLogRecord:
    request_id: str
    method: str
    route: str
    status_code: int
    latency_ms: float
    provider: str | None = None
    model: str | None = None
    key_id: str | None = None
    key_name: str | None = None
    cost_usd: float | None = None
    error_code: str | None = None
    error_message: str | None = None
    client_key_id: str | None = None
    id: int | None = None
    created_at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, kw_only=True)
class VideoJobRecord:
    """A video job as irisgate knows it: which provider and key run it, and its last seen state.

    ``status`` is ``submitting`` from the moment the record is written, before the provider is
    asked, until its answer gives the task id (or proves nothing was created); the public API
    shows it as ``queued``."""

    id: str
    provider: str
    upstream_id: str | None
    key_id: str
    model: str
    status: str  # submitting | queued | in_progress | completed | failed
    progress: int = 0
    key_name: str | None = None
    prompt: str | None = None
    seconds: str | None = None
    size: str | None = None
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    completed_at: datetime | None = None
    cost_usd: float | None = None
    output_url: str | None = field(default=None, repr=False)
    error_code: str | None = None
    error_message: str | None = None
    client_key_id: str | None = None
    next_poll_at: datetime | None = None
    polls: int = 0
    unreachable_since: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    media_state: str | None = None
    media_key: str | None = None
    media_size: int | None = None
    media_type: str | None = None
    thumbnail_key: str | None = None
    media_attempts: int = 0
    media_next_attempt_at: datetime | None = None
    media_error: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class VirtualKeyRecord:
    """A client credential for /v1; the key itself is never stored, only its SHA-256."""

    id: str
    name: str
    key_hash: str = field(repr=False)
    key_hint: str
    allowed_providers: tuple[str, ...] = ("*",)
    allowed_models: tuple[str, ...] = ("*",)
    rpm_limit: int | None = None
    enabled: bool = True
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
