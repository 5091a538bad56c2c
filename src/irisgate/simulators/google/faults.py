"""Fault injection: registered `GoogleFault`s and `[[sim:...]]` markers in a prompt.

Request-level kinds act on the HTTP request they match, before it is handled: `http_error` answers
with `status` in Google's error shape (`{"error": {"code", "message", "status"}}`), `quota` with
429 RESOURCE_EXHAUSTED and its `RetryInfo` (the `retry_delay_seconds` setting), `slow_ack` delays
the answer; after the request was handled (a create did start its operation), `garbage` replaces
the answer with a body that is not JSON and `reset` drops the connection (see common.faults).
Operation-level kinds decide how a Veo operation ends: `operation_error` (done with
`error: {code: 13, message}`, or the fault's `message`) and `rai_filtered` (done, every video
removed by the safety filters: `raiMediaFilteredCount` / `raiMediaFilteredReasons`).

Match fields (None = any): `api_key`, `model`, `prompt_contains`, `path` (a request path or a prefix
of one, e.g. "/v1beta/models", "/v1beta/files"). `chance` (default 1.0, seeded by `fault_seed`) and
`times` as in the other simulators. Markers (creates only): `[[sim:429]]` (any 4xx/5xx status),
`[[sim:quota]]`, `[[sim:operation_error]]`, `[[sim:rai_filtered]]`, `[[sim:slow=1.5]]`,
`[[sim:garbage]]`, `[[sim:reset]]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.faults import FaultRegistry, RequestFault

FAULT_KINDS = ("http_error", "quota", "operation_error", "rai_filtered", "slow_ack", "garbage", "reset")
ANSWER_KINDS = ("http_error", "quota", "garbage", "reset")
OPERATION_KINDS = ("operation_error", "rai_filtered")


@dataclass(frozen=True)
class FaultTarget:
    path: str
    api_key: str | None
    model: str | None = None
    prompt: str | None = None


@dataclass(frozen=True)
class Ending:
    """How an operation ends: with its video, an error, or its video filtered out."""

    kind: str = "success"  # success | operation_error | rai_filtered
    message: str | None = None


SUCCESS = Ending()


@dataclass
class GoogleFault(RequestFault):
    model: str | None = None

    def __post_init__(self) -> None:
        self.check_fields(FAULT_KINDS)

    def matches(self, target: FaultTarget) -> bool:
        """Does this fault apply? Without a `path` it applies to API requests (/v1beta/...) only."""
        if self.model is not None and self.model != target.model:
            return False
        return self.matches_request(
            target.path, target.api_key, target.prompt, in_default_scope=target.path.startswith("/v1beta/")
        )

    def ending(self) -> Ending:
        return Ending(self.kind, self.message)


def marker_faults(prompt: str | None) -> list[GoogleFault]:
    """The faults `[[sim:...]]` markers in a prompt ask for."""
    return GoogleFault.from_markers(prompt, ("quota", "garbage", "reset", *OPERATION_KINDS))


class GoogleFaultBook(FaultRegistry[GoogleFault]):
    """Registered faults, consumed per hit when `times` is set."""

    def request_faults(self, target: FaultTarget, *, markers: bool) -> tuple[GoogleFault | None, float]:
        """(the fault that decides the answer, or None; the slow-ack delay) for one request."""
        marked = marker_faults(target.prompt) if markers else []
        return self.answer_and_delay(marked, ANSWER_KINDS, lambda f: f.matches(target))

    def ending(self, target: FaultTarget) -> Ending:
        """How an operation being created must end."""
        for fault in marker_faults(target.prompt):
            if fault.kind in OPERATION_KINDS:
                return fault.ending()
        fault = self.take_first(lambda f: f.kind in OPERATION_KINDS and f.matches(target))
        return fault.ending() if fault is not None else SUCCESS
