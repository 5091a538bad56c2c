"""Async tasks: a poll-driven (or time-driven) state machine read through `getResponse`.

Generic over the task type, so `videoInference` reuses it: a job only knows its original taskType,
how to produce its final items, and the error it should end with, if any.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Producer = Callable[[], Awaitable[list[dict[str, Any]]]]


@dataclass
class AsyncJob:
    task_type: str
    task_uuid: str
    produce: Producer
    error: dict[str, Any] | None = None
    # Polls answered "processing" before the job is done (time-driven instead when delay_seconds is set).
    polls_needed: int = 1
    delay_seconds: float | None = None
    created: float = field(default_factory=time.monotonic)
    polls: int = 0
    _results: list[dict[str, Any]] | None = None

    @classmethod
    def completed(cls, task_type: str, task_uuid: str, items: list[dict[str, Any]]) -> AsyncJob:
        """A job that is already done (sync delivery), so getResponse can replay its items."""

        async def replay() -> list[dict[str, Any]]:
            return items

        return cls(task_type, task_uuid, replay, polls_needed=0)

    def advance(self) -> tuple[bool, int]:
        """Count one poll; returns (done, progress 0-100)."""
        self.polls += 1
        if self.delay_seconds is not None:
            if self.delay_seconds <= 0:
                return True, 100
            fraction = (time.monotonic() - self.created) / self.delay_seconds
        else:
            fraction = (self.polls - 1) / self.polls_needed if self.polls_needed > 0 else 1.0
        if fraction >= 1.0:
            return True, 100
        return False, max(0, min(99, int(fraction * 100)))

    async def results(self) -> list[dict[str, Any]]:
        """The final items, produced once and then replayed (getResponse is cumulative)."""
        if self._results is None:
            self._results = await self.produce()
        return self._results


class JobStore:
    def __init__(self) -> None:
        self._jobs: dict[str, AsyncJob] = {}
        self._lock = threading.Lock()

    def add(self, job: AsyncJob) -> None:
        with self._lock:
            self._jobs[job.task_uuid.lower()] = job

    def get(self, task_uuid: str) -> AsyncJob | None:
        with self._lock:
            return self._jobs.get(task_uuid.lower())

    def clear(self) -> None:
        with self._lock:
            self._jobs.clear()
