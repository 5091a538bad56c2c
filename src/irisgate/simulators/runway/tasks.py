"""Tasks and their lifecycle: PENDING -> (THROTTLED) -> RUNNING (progress 0..1) -> SUCCEEDED | FAILED,
or CANCELLED; plus the public task object of each status (reference §2.5).

Poll-driven by default: each `GET /v1/tasks/{id}` of a task counts one poll. The first
`polls_per_state` polls answer PENDING, the next `running_polls` answer RUNNING with progress
k/(running_polls+1), later polls the terminal state (`polls_per_state=0`: terminal at the first poll).
With `delay_seconds` set it is time-driven instead, as the real API: terminal that long after the task
started, PENDING for the first 10% of it, whether or not anyone asks. With `max_concurrent`, a task
created while its API key already has that many unfinished tasks waits THROTTLED (not polled forward)
until one finishes; its clock starts then (time-driven: the moment that one ends, asked or not).
The outcome (success, failure, cancellation) is decided at creation; a DELETE cancels an unfinished task.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .settings import RunwaySimSettings

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
PENDING_FRACTION = 0.1  # time-driven: share of the delay spent PENDING


def iso_now() -> str:
    """ISO-8601 UTC with milliseconds and `Z`, e.g. 2026-08-26T06:30:33.796Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Outcome:
    status: str  # the terminal status: SUCCEEDED | FAILED | CANCELLED
    failure: str | None = None
    failure_code: str | None = None


SUCCESS = Outcome("SUCCEEDED")


@dataclass(frozen=True)
class OutputPlan:
    """One output file, rendered when first downloaded: a video or a PNG of this size."""

    media_id: str
    token: str  # the secret its URLs' tokens are signed with (media.sign)
    kind: str  # "video" | "image"
    width: int
    height: int
    seconds: int


@dataclass
class Task:
    id: str
    api_key: str | None
    endpoint: str
    model: str
    credits: int
    outcome: Outcome
    outputs: list[OutputPlan]
    prompt: str | None = None  # promptText (fault matching, output colours); the body itself is not kept
    seed: int = 0
    created_at: str = field(default_factory=iso_now)
    throttled: bool = False
    started: float = 0.0  # clock reading when it left THROTTLED (or was created)
    polls: int = 0
    finished: bool = False
    cancelled: bool = False
    deleted: bool = False


UrlFor = Callable[[Task, OutputPlan], str]


def _running(task: Task) -> bool:
    """Started and unfinished: it takes one of its API key's concurrency slots."""
    return not task.finished and not task.throttled


class TaskStore:
    """All tasks, oldest first; every state change happens under one lock."""

    def __init__(self, settings: RunwaySimSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._tasks: list[Task] = []
        self._by_id: dict[str, Task] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle

    def _phase(self, task: Task) -> tuple[str, float | None]:
        """(status, progress when RUNNING) without counting a poll."""
        if task.cancelled:
            return "CANCELLED", None
        if task.finished:
            return task.outcome.status, None
        if task.throttled:
            return "THROTTLED", None
        settings = self._settings
        if settings.delay_seconds is not None:
            elapsed = self._clock() - task.started
            if settings.delay_seconds <= 0 or elapsed >= settings.delay_seconds:
                return task.outcome.status, None
            fraction = elapsed / settings.delay_seconds
            if fraction < PENDING_FRACTION:
                return "PENDING", None
            return "RUNNING", round(min(0.99, max(0.01, fraction)), 2)
        pending, running = settings.polls_per_state, settings.running_polls
        if task.polls == 0:
            return "PENDING", None
        if pending == 0 or task.polls > pending + running:
            return task.outcome.status, None
        if task.polls <= pending:
            return "PENDING", None
        return "RUNNING", round((task.polls - pending) / (running + 1), 4)

    def _settle(self, api_key: str | None) -> None:
        """Mark finished tasks of this key, then start throttled ones while slots are free."""
        mine = [t for t in self._tasks if t.api_key == api_key]
        if self._settings.delay_seconds is not None:
            self._start_in_time(mine)
        for task in mine:
            if not task.finished and not task.throttled and self._phase(task)[0] in TERMINAL:
                task.finished = True
        limit = self._settings.max_concurrent
        active = sum(1 for t in mine if _running(t))
        for task in mine:
            if task.throttled and (limit is None or active < limit):
                task.throttled = False
                task.started = self._clock()
                active += 1

    def _start_in_time(self, mine: list[Task]) -> None:
        """Time-driven: a throttled task starts the moment a running one of its key ends (its clock
        starts then, not when someone next asks), so the whole queue moves with time alone."""
        limit = self._settings.max_concurrent
        delay = self._settings.delay_seconds
        if limit is None or delay is None:
            return
        now = self._clock()
        ends = sorted(t.started + max(delay, 0.0) for t in mine if _running(t))
        for task in mine:
            if not task.throttled:
                continue
            if len(ends) >= limit:
                freed = ends.pop(0)
                if freed > now:  # no slot frees before now: this task (and those after it) wait
                    return
            else:  # a slot is free already (a task was cancelled): the remaining code starts it now
                return
            task.throttled = False
            task.started = freed
            bisect.insort(ends, freed + max(delay, 0.0))

    # ------------------------------------------------------------------ operations

    def add(self, task: Task) -> None:
        with self._lock:
            self._settle(task.api_key)
            limit = self._settings.max_concurrent
            active = sum(1 for t in self._tasks if t.api_key == task.api_key and _running(t))
            task.throttled = limit is not None and active >= limit
            task.started = self._clock()
            self._tasks.append(task)
            self._by_id[task.id] = task

    def find(self, task_id: str, api_key: str | None) -> Task | None:
        """A visible task: not deleted, and owned by this API key (other organisations get a 404)."""
        with self._lock:
            task = self._by_id.get(task_id)
            return task if task is not None and not task.deleted and task.api_key == api_key else None

    def poll(self, task: Task, url_for: UrlFor) -> dict[str, Any]:
        """Count one poll of ``task`` and return its public object."""
        with self._lock:
            self._settle(task.api_key)
            if not task.finished and not task.throttled:
                task.polls += 1
            self._settle(task.api_key)
            return self._public(task, url_for)

    def delete(self, task: Task) -> None:
        """Cancel the task if unfinished; either way it is gone for the API."""
        with self._lock:
            self._settle(task.api_key)
            if not task.finished:
                task.cancelled = task.finished = True
            task.deleted = True
            self._settle(task.api_key)

    def snapshot(self, url_for: UrlFor) -> list[dict[str, Any]]:
        """Public objects of every task ever created (deleted ones too), oldest first; no poll counted."""
        with self._lock:
            for api_key in {t.api_key for t in self._tasks}:
                self._settle(api_key)
            return [self._public(t, url_for) for t in self._tasks]

    def count_for(self, api_key: str | None) -> int:
        with self._lock:
            return sum(1 for t in self._tasks if t.api_key == api_key)

    def output(self, media_id: str) -> tuple[Task, OutputPlan] | None:
        with self._lock:
            for task in self._tasks:
                for plan in task.outputs:
                    if plan.media_id == media_id:
                        return task, plan
        return None

    def clear(self) -> None:
        with self._lock:
            self._tasks.clear()
            self._by_id.clear()

    # ------------------------------------------------------------------ the public object

    def _public(self, task: Task, url_for: UrlFor) -> dict[str, Any]:
        status, progress = self._phase(task)
        out: dict[str, Any] = {"id": task.id, "status": status, "createdAt": task.created_at}
        if status not in TERMINAL:
            if progress is not None:
                out["progress"] = progress
            out["estimatedCost"] = {"credits": task.credits}
            return out
        if status == "SUCCEEDED":
            out["output"] = [url_for(task, plan) for plan in task.outputs]
        elif status == "FAILED":
            out["failure"] = task.outcome.failure or "The task failed."
            if task.outcome.failure_code:
                out["failureCode"] = task.outcome.failure_code
        out["cost"] = {"credits": task.credits if status == "SUCCEEDED" else 0}
        return out
