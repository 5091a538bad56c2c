"""Fault injection: registered `FalFault`s and `[[sim:...]]` markers in a submitted `prompt`.

Request-level kinds act on the HTTP request they match: `http_error` answers it with `status` and a
request-error body (`{"detail", "error_type"}`, 429s with the `retry_after_seconds` knob) before
anything is done, `slow_ack` delays the answer, and, after the simulator handled the request (a submit
did queue it), `garbage` replaces the answer with a body that is not JSON and `reset` drops the
connection (see common.faults). Outcome kinds decide how a submitted request ends: `request_failure`
(COMPLETED with `error`/`error_type`, its result a 500 request error) and `content_policy` (its result
a 422 `content_policy_violation` on `prompt`).

Match fields (None = any): `api_key`, `endpoint` (an endpoint id; for status/result/cancel, the one
the request was submitted to), `prompt_contains`, `path` (a request path or a prefix of one).
Markers (submits only): `[[sim:429]]` (any 4xx/5xx status), `[[sim:request_failure]]`,
`[[sim:content_policy]]`, `[[sim:slow=1.5]]`, `[[sim:garbage]]`, `[[sim:reset]]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..common.faults import FaultBase, FaultRegistry, marker_tokens

FAULT_KINDS = ("http_error", "request_failure", "content_policy", "slow_ack", "garbage", "reset")
ANSWER_KINDS = ("http_error", "garbage", "reset")
OUTCOME_KINDS = ("request_failure", "content_policy")


@dataclass(frozen=True)
class FaultTarget:
    path: str
    api_key: str | None
    endpoint: str | None = None
    prompt: str | None = None


@dataclass
class FalFault(FaultBase):
    """What to break, and for which requests. All match fields None = every API request."""

    kind: str = "http_error"
    status: int | None = None
    message: str | None = None
    delay_seconds: float = 1.0
    api_key: str | None = None
    endpoint: str | None = None
    prompt_contains: str | None = None
    path: str | None = None
    times: int | None = None
    chance: float = 1.0

    def __post_init__(self) -> None:
        self.check_fields(FAULT_KINDS)

    def matches(self, target: FaultTarget) -> bool:
        """Does this fault apply? Without a `path` it spares the output files (/files/...)."""
        if self.api_key is not None and self.api_key != target.api_key:
            return False
        if self.path is None and target.path.startswith("/files/"):
            return False
        if self.path is not None:
            prefix = self.path.rstrip("/")
            if target.path != prefix and not target.path.startswith(prefix + "/"):
                return False
        if self.endpoint is not None and self.endpoint != target.endpoint:
            return False
        return self.prompt_contains is None or (
            target.prompt is not None and self.prompt_contains in target.prompt
        )


def marker_faults(prompt: str | None) -> list[FalFault]:
    out: list[FalFault] = []
    for token in marker_tokens(prompt):
        if re.fullmatch(r"[45]\d\d", token):
            out.append(FalFault(kind="http_error", status=int(token)))
        elif token in OUTCOME_KINDS or token in ("garbage", "reset"):
            out.append(FalFault(kind=token))
        elif token.startswith("slow="):
            try:
                out.append(FalFault(kind="slow_ack", delay_seconds=float(token[5:])))
            except ValueError:
                continue
    return out


class FalFaultBook(FaultRegistry[FalFault]):
    def request_faults(self, target: FaultTarget, *, markers: bool) -> tuple[FalFault | None, float]:
        """(the http_error / garbage / reset fault that decides the answer, or None; the delay)."""
        found = marker_faults(target.prompt) if markers else []
        answer = next((f for f in found if f.kind in ANSWER_KINDS), None)
        delay = max((f.delay_seconds for f in found if f.kind == "slow_ack"), default=0.0)
        if answer is None:
            answer = self.take_first(lambda f: f.kind in ANSWER_KINDS and f.matches(target))
        slow = self.take_all(lambda f: f.kind == "slow_ack" and f.matches(target))
        return answer, max([delay, *(f.delay_seconds for f in slow)])

    def outcome(self, target: FaultTarget) -> FalFault | None:
        """The fault that decides how a request being submitted ends, if any."""
        for fault in marker_faults(target.prompt):
            if fault.kind in OUTCOME_KINDS:
                return fault
        return self.take_first(lambda f: f.kind in OUTCOME_KINDS and f.matches(target))
