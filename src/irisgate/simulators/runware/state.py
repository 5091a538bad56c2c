"""In-memory state of one simulator: the request log, received tasks, used task UUIDs, jobs, media."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..common.recording import RecordedRequest
from .jobs import JobStore
from .media import MediaStore


@dataclass
class SimState:
    requests: list[RecordedRequest] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    used_uuids: set[str] = field(default_factory=set)
    jobs: JobStore = field(default_factory=JobStore)
    media: MediaStore = field(default_factory=MediaStore)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: RecordedRequest) -> None:
        with self.lock:
            self.requests.append(request)

    def add_tasks(self, tasks: list[dict[str, Any]]) -> None:
        with self.lock:
            self.tasks.extend(tasks)

    def uuid_in_use(self, task_uuid: str) -> bool:
        with self.lock:
            return task_uuid.lower() in self.used_uuids

    def claim_uuid(self, task_uuid: str) -> None:
        with self.lock:
            self.used_uuids.add(task_uuid.lower())

    def clear(self) -> None:
        """Forget everything; lists are cleared in place so references held by tests stay valid."""
        with self.lock:
            self.requests.clear()
            self.tasks.clear()
            self.used_uuids.clear()
        self.jobs.clear()
        self.media.clear()
