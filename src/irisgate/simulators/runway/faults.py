"""Fault injection: registered `RunwayFault`s and `[[sim:...]]` markers in `promptText`.

Request-level kinds act on the HTTP request they match: `http_error` answers it with `status` and
`{"error": message}` (429s carry the retry-after / x-should-retry knobs) before anything is done,
`slow_ack` delays the answer, and, after the simulator handled the request (a create did create its
task), `garbage` replaces the answer with a body that is not JSON (HTTP 200 unless `status` is set;
`message` = the body) and `reset` drops the connection without an answer (see common.faults).
Task-level kinds decide how a created task ends: `task_failure` (FAILED, `failureCode` default
INTERNAL.BAD_OUTPUT.CODE01), `moderation` (FAILED, SAFETY.INPUT.TEXT), `cancelled` (CANCELLED, 0 credits).

Match fields (None = any): `api_key`, `model`, `prompt_contains`, `path` (a request path or a prefix
of one, e.g. "/v1/image_to_video", "/v1/tasks"; for task requests model/prompt are the task's).
Every fault has `chance` (default 1.0): a matching request is hit with that probability (seeded by
the `fault_seed` setting); `times` counts hits only.
Markers (create requests only): `[[sim:429]]` (any 3-digit status), `[[sim:task_failure]]`,
`[[sim:moderation]]`, `[[sim:cancelled]]`, `[[sim:slow=1.5]]`, `[[sim:garbage]]`, `[[sim:reset]]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.faults import FaultRegistry, RequestFault
from .tasks import Outcome

FAULT_KINDS = ("http_error", "task_failure", "moderation", "cancelled", "slow_ack", "garbage", "reset")
# Kinds that decide the answer of a request (at most one per request); slow_ack only delays it.
ANSWER_KINDS = ("http_error", "garbage", "reset")
TASK_KINDS = ("task_failure", "moderation", "cancelled")

DEFAULT_FAILURE = "An unexpected error occurred while generating the output."
DEFAULT_FAILURE_CODE = "INTERNAL.BAD_OUTPUT.CODE01"
MODERATION_FAILURE = "The prompt text did not pass our content moderation. Please revise it and try again."
MODERATION_CODE = "SAFETY.INPUT.TEXT"


@dataclass(frozen=True)
class FaultTarget:
    """What a fault is matched against: the request, and the task (body) it concerns."""

    path: str
    api_key: str | None
    model: str | None = None
    prompt: str | None = None


@dataclass
class RunwayFault(RequestFault):
    """What to break, and for which requests. All match fields None = every request."""

    failure_code: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        self.check_fields(FAULT_KINDS)

    def matches(self, target: FaultTarget) -> bool:
        """Does this fault apply? Without a `path` it applies to API requests (/v1/...) only."""
        if self.model is not None and self.model != target.model:
            return False
        return self.matches_request(
            target.path, target.api_key, target.prompt, in_default_scope=target.path.startswith("/v1/")
        )

    def outcome(self) -> Outcome:
        """How a task this (task-level) fault applies to ends."""
        if self.kind == "cancelled":
            return Outcome("CANCELLED")
        if self.kind == "moderation":
            return Outcome("FAILED", self.message or MODERATION_FAILURE, self.failure_code or MODERATION_CODE)
        return Outcome("FAILED", self.message or DEFAULT_FAILURE, self.failure_code or DEFAULT_FAILURE_CODE)


def marker_faults(prompt: str | None) -> list[RunwayFault]:
    """Transient faults requested by `[[sim:...]]` markers in a promptText."""
    return RunwayFault.from_markers(prompt, (*TASK_KINDS, "garbage", "reset"))


class RunwayFaultBook(FaultRegistry[RunwayFault]):
    """Registered faults, consumed per hit when `times` is set."""

    def request_faults(self, target: FaultTarget, *, markers: bool) -> tuple[RunwayFault | None, float]:
        """(the http_error / garbage / reset fault that decides the answer, or None; the slow-ack
        delay) for one request."""
        marked = marker_faults(target.prompt) if markers else []
        return self.answer_and_delay(marked, ANSWER_KINDS, lambda f: f.matches(target))

    def task_outcome(self, target: FaultTarget) -> Outcome | None:
        """How a task being created must end, when a marker or a registered fault says so."""
        for fault in marker_faults(target.prompt):
            if fault.kind in TASK_KINDS:
                return fault.outcome()
        fault = self.take_first(lambda f: f.kind in TASK_KINDS and f.matches(target))
        return fault.outcome() if fault is not None else None
