"""Fault injection: registered `Fault`s and `[[sim:...]]` prompt markers.

Request-level faults act on the whole HTTP request when any of its tasks matches: `http_error` answers
it with `status` and Runware's `errors[]` (before anything is done), `slow_ack` delays it, and, after
the simulator did the work (the tasks exist, their taskUUIDs are taken), `garbage` replaces the answer
with a body that is not JSON (HTTP 200 unless `status` is set; `message` = the body) and `reset` drops
the connection without an answer (see common.faults). Task-level faults (`task_error`, `moderation`)
fail the matching generation task: at once for sync delivery, through `getResponse` for async
delivery. They never match `getResponse` itself.

Every fault has `chance` (default 1.0): a matching request is hit with that probability (seeded by
the `fault_seed` setting); `times` counts hits only.

Prompt markers inside `positivePrompt`: `[[sim:429]]` (any 3-digit status -> http_error),
`[[sim:task_error]]`, `[[sim:moderation]]`, `[[sim:timeout]]` (task_error with `timeoutProvider`),
`[[sim:slow=1.5]]` (slow_ack of 1.5 s), `[[sim:garbage]]`, `[[sim:reset]]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..common.faults import FaultBase, FaultRegistry, marker_tokens
from .errors import error_item, http_error_default, task_ids

FAULT_KINDS = ("http_error", "task_error", "moderation", "slow_ack", "garbage", "reset")
# Kinds that decide the answer of a request (at most one per request); slow_ack only delays it.
ANSWER_KINDS = ("http_error", "garbage", "reset")
REQUEST_KINDS = (*ANSWER_KINDS, "slow_ack")
TASK_KINDS = ("task_error", "moderation")


@dataclass
class Fault(FaultBase):
    """What to break, and for which tasks. All match fields None = every task."""

    kind: str = "http_error"
    status: int | None = None
    code: str | None = None
    message: str | None = None
    delay_seconds: float = 1.0
    api_key: str | None = None
    model: str | None = None
    prompt_contains: str | None = None
    task_type: str | None = None
    times: int | None = None
    chance: float = 1.0

    def __post_init__(self) -> None:
        self.check_fields(FAULT_KINDS)

    def matches(self, task: dict[str, Any], api_key: str | None) -> bool:
        if self.api_key is not None and self.api_key != api_key:
            return False
        if self.task_type is not None and task.get("taskType") != self.task_type:
            return False
        if self.model is not None and task.get("model") != self.model:
            return False
        if self.prompt_contains is not None:
            prompt = task.get("positivePrompt")
            if not isinstance(prompt, str) or self.prompt_contains not in prompt:
                return False
        return True

    def error_body(self, task: dict[str, Any] | None) -> dict[str, Any]:
        """The `errors[]` element this fault produces."""
        task_type, task_uuid = task_ids(task)
        if self.kind == "http_error":
            default_code, default_message = http_error_default(self.status or 500)
        elif self.kind == "moderation":
            default_code = "contentPolicyViolation"
            default_message = "The request was rejected by the content moderation system."
        else:
            default_code, default_message = "inferenceError", "The provider failed to generate the output."
        return error_item(
            self.code or default_code,
            self.message or default_message,
            task_type=task_type,
            task_uuid=task_uuid,
        )


def marker_faults(task: dict[str, Any]) -> list[Fault]:
    """Transient faults requested by `[[sim:...]]` markers in the task's positivePrompt."""
    out: list[Fault] = []
    for token in marker_tokens(task.get("positivePrompt")):
        if re.fullmatch(r"\d{3}", token):
            out.append(Fault(kind="http_error", status=int(token)))
        elif token in ("task_error", "moderation", "garbage", "reset"):
            out.append(Fault(kind=token))
        elif token == "timeout":
            out.append(Fault(kind="task_error", code="timeoutProvider", message="The provider timed out."))
        elif token.startswith("slow="):
            try:
                out.append(Fault(kind="slow_ack", delay_seconds=float(token[5:])))
            except ValueError:
                continue
    return out


class FaultBook(FaultRegistry[Fault]):
    """Registered faults, consumed per hit when `times` is set."""

    def request_faults(self, tasks: list[dict[str, Any]], api_key: str | None) -> tuple[Fault | None, float]:
        """(the http_error / garbage / reset fault that decides the answer, or None; the slow-ack
        delay) for a whole request."""
        answer: Fault | None = None
        delay = 0.0
        for task in tasks:
            for fault in marker_faults(task):
                if fault.kind in ANSWER_KINDS and answer is None:
                    answer = fault
                elif fault.kind == "slow_ack":
                    delay = max(delay, fault.delay_seconds)
        with self._lock:
            for fault in list(self._faults):
                if fault.kind not in REQUEST_KINDS or not any(fault.matches(t, api_key) for t in tasks):
                    continue
                if fault.kind in ANSWER_KINDS and answer is not None:
                    continue
                if not self._hit(fault):
                    continue
                if fault.kind in ANSWER_KINDS:
                    answer = fault
                else:
                    delay = max(delay, fault.delay_seconds)
        return answer, delay

    def task_fault(self, task: dict[str, Any], api_key: str | None) -> Fault | None:
        """The task_error/moderation fault that applies to one generation task, consuming a hit."""
        for fault in marker_faults(task):
            if fault.kind in TASK_KINDS:
                return fault
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in TASK_KINDS and fault.matches(task, api_key) and self._hit(fault):
                    return fault
        return None

    def matching_task(self, fault: Fault, tasks: list[dict[str, Any]], api_key: str | None) -> dict | None:
        """The first task a request-level fault applies to (for taskType/taskUUID in its error)."""
        for task in tasks:
            if fault in marker_faults(task):
                return task
        for task in tasks:
            if fault.matches(task, api_key):
                return task
        return tasks[0] if tasks else None
