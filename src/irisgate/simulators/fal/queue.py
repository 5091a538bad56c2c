"""Queued requests and their lifecycle: IN_QUEUE -> IN_PROGRESS -> COMPLETED, and the status objects.

Poll-driven by default: each status poll of a request counts one poll; the first `queue_polls` answer
IN_QUEUE (with `queue_position`, the requests of the same app queued before it), the next
`progress_polls` IN_PROGRESS, later ones COMPLETED. With `delay_seconds` it is time-driven instead.
A request's end is decided when it is submitted: its output (planned, rendered when first fetched) or
its error (the result's status, body and headers). A cancelled request is COMPLETED at once, with the
error `client_cancelled`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .errors import ApiError, request_error
from .settings import FalSimSettings

IN_QUEUE, IN_PROGRESS, COMPLETED = "IN_QUEUE", "IN_PROGRESS", "COMPLETED"
QUEUED_FRACTION = 0.1


def iso_now() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass
class QueuedRequest:
    id: str
    api_key: str
    endpoint: str  # the full endpoint id it was submitted to
    app: str  # owner/app (the status, result and cancel URLs use it)
    kind: str  # "image" | "video"
    body: dict[str, Any]
    error: ApiError | None = None  # its result, when it fails
    failed: bool = False  # a request error: COMPLETED carries `error` / `error_type`
    outputs: list[Any] = field(default_factory=list)  # media.Output plans
    created: float = 0.0
    polls: int = 0
    cancelled: bool = False


class RequestQueue:
    """Every request submitted, oldest first; state changes under one lock."""

    def __init__(self, settings: FalSimSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._requests: dict[str, QueuedRequest] = {}
        self._lock = threading.Lock()

    def add(self, request: QueuedRequest) -> None:
        with self._lock:
            request.created = self._clock()
            self._requests[request.id] = request

    def find(self, request_id: str, api_key: str, app: str) -> QueuedRequest | None:
        """A request of this key and app (another key's, or another app's path: not found)."""
        with self._lock:
            found = self._requests.get(request_id)
        return found if found is not None and found.api_key == api_key and found.app == app else None

    def phase(self, request: QueuedRequest) -> tuple[str, float]:
        """(status, progress 0..1 while IN_PROGRESS) without counting a poll."""
        if request.cancelled:
            return COMPLETED, 1.0
        settings = self._settings
        if settings.delay_seconds is not None:
            elapsed = self._clock() - request.created
            if elapsed >= settings.delay_seconds:
                return COMPLETED, 1.0
            fraction = elapsed / settings.delay_seconds
            return (IN_QUEUE, 0.0) if fraction < QUEUED_FRACTION else (IN_PROGRESS, fraction)
        queued, running = settings.queue_polls, settings.progress_polls
        if request.polls <= queued and queued > 0:
            return IN_QUEUE, 0.0
        if request.polls <= queued + running and running > 0:
            return IN_PROGRESS, (request.polls - queued) / (running + 1)
        return COMPLETED, 1.0

    def poll(self, request: QueuedRequest) -> tuple[str, float, int]:
        """Count one status poll: (status, progress, queue position)."""
        with self._lock:
            if self.phase(request)[0] != COMPLETED:
                request.polls += 1
            status, progress = self.phase(request)
            ahead = sum(
                1
                for other in self._requests.values()
                if other.app == request.app
                and other.created < request.created
                and self.phase(other)[0] == IN_QUEUE
            )
            return status, progress, ahead

    def cancel(self, request: QueuedRequest) -> bool:
        """Cancel it unless it already completed; True when it was cancelled."""
        with self._lock:
            if self.phase(request)[0] == COMPLETED:
                return False
            request.cancelled = True
            request.error = request_error(499, "Request was cancelled by the client")
            request.error.body["error_type"] = "client_cancelled"
            request.failed = True
            return True

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "request_id": r.id,
                    "endpoint": r.endpoint,
                    "status": self.phase(r)[0],
                    "polls": r.polls,
                    "cancelled": r.cancelled,
                    "body": r.body,
                }
                for r in self._requests.values()
            ]

    def output(self, media_id: str) -> tuple[QueuedRequest, Any] | None:
        with self._lock:
            for request in self._requests.values():
                for plan in request.outputs:
                    if plan.media_id == media_id:
                        return request, plan
        return None

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()


def status_object(
    request: QueuedRequest, status: str, progress: float, position: int, urls: dict[str, str], logs: bool
) -> dict[str, Any]:
    """The queue status object (fal-js `QueueStatus`; fal_client reads `queue_position` for IN_QUEUE
    and `logs` for IN_PROGRESS / COMPLETED, null when not asked for)."""
    out: dict[str, Any] = {"status": status, "request_id": request.id, **urls}
    if status == IN_QUEUE:
        out["queue_position"] = position
        return out
    entries = [{"message": "Starting generation", "level": "INFO", "source": "USER", "timestamp": iso_now()}]
    if status == IN_PROGRESS:
        entries.append(
            {
                "message": f"Generating: {round(progress * 100)}%",
                "level": "INFO",
                "source": "USER",
                "timestamp": iso_now(),
            }
        )
    out["logs"] = entries if logs else None
    if status == COMPLETED:
        out["metrics"] = {"inference_time": 1.2 if not request.failed else None}
        if request.failed and request.error is not None:
            out["error"] = request.error.body.get("detail")
            out["error_type"] = request.error.body.get("error_type")
    return out
