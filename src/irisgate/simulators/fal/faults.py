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

from dataclasses import dataclass

from ..common.faults import FaultRegistry, RequestFault

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
class FalFault(RequestFault):
    """What to break, and for which requests. All match fields None = every API request."""

    endpoint: str | None = None

    def __post_init__(self) -> None:
        self.check_fields(FAULT_KINDS)

    def matches(self, target: FaultTarget) -> bool:
        """Does this fault apply? Without a `path` it spares the output files (/files/...)."""
        if self.endpoint is not None and self.endpoint != target.endpoint:
            return False
        return self.matches_request(
            target.path, target.api_key, target.prompt, in_default_scope=not target.path.startswith("/files/")
        )


def marker_faults(prompt: str | None) -> list[FalFault]:
    """The faults `[[sim:...]]` markers in a prompt ask for."""
    return FalFault.from_markers(prompt, (*OUTCOME_KINDS, "garbage", "reset"))


class FalFaultBook(FaultRegistry[FalFault]):
    def request_faults(self, target: FaultTarget, *, markers: bool) -> tuple[FalFault | None, float]:
        """(the http_error / garbage / reset fault that decides the answer, or None; the delay)."""
        marked = marker_faults(target.prompt) if markers else []
        return self.answer_and_delay(marked, ANSWER_KINDS, lambda f: f.matches(target))

    def outcome(self, target: FaultTarget) -> FalFault | None:
        """The fault that decides how a request being submitted ends, if any."""
        for fault in marker_faults(target.prompt):
            if fault.kind in OUTCOME_KINDS:
                return fault
        return self.take_first(lambda f: f.kind in OUTCOME_KINDS and f.matches(target))
