"""Plain records of the webhook tables (what `store/webhooks.py` returns and accepts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, kw_only=True)
class WebhookEndpointRecord:
    id: str
    owner_key_id: str | None
    name: str
    url: str
    event_types: tuple[str, ...]
    secret_hint: str
    enabled: bool
    created_at: datetime
    updated_at: datetime
    disabled_reason: str | None = None
    consecutive_failures: int = 0
    failing_since: datetime | None = None
    secret_encrypted: str = field(default="", repr=False)
    old_secret_encrypted: str | None = field(default=None, repr=False)
    old_secret_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookEventRecord:
    id: str
    type: str
    payload: str  # the JSON body as sent
    created_at: datetime
    video_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookAttemptRecord:
    attempted_at: datetime
    latency_ms: float
    status_code: int | None = None
    error: str | None = None
    delivery_id: str = ""
    id: int | None = None


@dataclass(frozen=True, kw_only=True)
class WebhookDeliveryRecord:
    id: str
    event_id: str
    endpoint_id: str
    status: str  # pending | delivered | failed
    created_at: datetime
    updated_at: datetime
    test: bool = False
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class RecordedAttempt:
    """An attempt of a delivery, and the delivery's fields after it."""

    delivery_id: str
    attempt: WebhookAttemptRecord
    changes: dict[str, Any]
    disable_rule: tuple[int, float] | None = None


@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what sending it takes."""

    delivery: WebhookDeliveryRecord
    event: WebhookEventRecord
    endpoint: WebhookEndpointRecord


@dataclass(frozen=True)
class DeliveryView:
    """A delivery with its event and its attempts (oldest first), for the dashboard and `/api`."""

    delivery: WebhookDeliveryRecord
    event: WebhookEventRecord
    attempts: tuple[WebhookAttemptRecord, ...]


def endpoint_record(row: Mapping[str, Any]) -> WebhookEndpointRecord:
    values = dict(row)
    values["event_types"] = tuple(values["event_types"] or ())
    return WebhookEndpointRecord(**values)
