"""Video ids: ``video_`` and 32 lowercase hex digits, the creation time in milliseconds (12) then
80 random bits (20).

An id names a job record and nothing else: the store is the authority on a job, so an id that
matches no record is a 404, whatever it looks like. The time first makes ids sort in the order the
jobs were made (the job table's primary key is its list order); the random part makes them
unguessable, though access never depends on that (``VideoJobs.visible``).
"""

from __future__ import annotations

import re
import secrets
import time

from irisgate.schemas.errors import GatewayError

PREFIX = "video_"
VIDEO_ID = re.compile(r"video_[0-9a-f]{32}")


def new_video_id(now_ms: int | None = None) -> str:
    millis = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    return f"{PREFIX}{millis:012x}{secrets.token_hex(10)}"


def is_video_id(value: str) -> bool:
    return VIDEO_ID.fullmatch(value) is not None


def not_found(video_id: str) -> GatewayError:
    shown = video_id if len(video_id) <= 80 else video_id[:80] + "…"
    return GatewayError(404, f"No video with id '{shown}'", code="video_not_found", param="video_id")
