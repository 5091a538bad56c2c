"""The events irisgate sends, in OpenAI's event shape, and the ids of webhook objects.

``{"id": "evt_…", "object": "event", "created_at": <unix seconds>, "type": "video.completed",
"data": {"id": "video_…"}}``. Ids are a prefix, the creation time in milliseconds (12 hex digits, so
they sort in the order they were made) and 80 random bits: ``whe_`` endpoints (as OpenAI's
examples), ``evt_`` events, ``whd_`` deliveries (a delivery's id is its ``webhook-id``).
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import orjson

from irisgate.store.webhooks import WebhookEventRecord

VIDEO_COMPLETED = "video.completed"
VIDEO_FAILED = "video.failed"
EVENT_TYPES = (VIDEO_COMPLETED, VIDEO_FAILED)  # all irisgate ever sends
ENDPOINT_PREFIX, EVENT_PREFIX, DELIVERY_PREFIX = "whe_", "evt_", "whd_"


def new_id(prefix: str) -> str:
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def video_event(event_type: str, video_id: str, at: datetime) -> WebhookEventRecord:
    event_id = new_id(EVENT_PREFIX)
    body = {
        "id": event_id,
        "object": "event",
        "created_at": int(at.timestamp()),
        "type": event_type,
        "data": {"id": video_id},
    }
    return WebhookEventRecord(
        id=event_id, type=event_type, video_id=video_id, payload=orjson.dumps(body).decode(), created_at=at
    )


def made_up_video_id() -> str:
    """The ``data.id`` of a test event: shaped like a video id, naming no job."""
    return f"video_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"
