"""Fault injection: registered `OpenAIFault`s and `[[sim:...]]` markers in the `prompt`.

Kinds: `http_error` answers the request with `status` and OpenAI's error object (`message` and `code`
override the usual ones; 429s carry the retry-after / x-should-retry knobs) before anything is made;
`quota` is a 429 `insufficient_quota`; `moderation` a 400 `moderation_blocked`; `slow_ack` delays
the answer; after the images were made, `garbage` replaces the answer with a body that is not JSON
and `reset` drops the connection without one (see common.faults).

Match fields (None = any): `api_key`, `model`, `prompt_contains`, `path` (a request path or a prefix,
e.g. "/v1/images/edits"). `times` counts hits only; `chance` (default 1.0) is seeded by `fault_seed`.
Markers: `[[sim:429]]` (any 4xx/5xx status), `[[sim:quota]]`, `[[sim:moderation]]`, `[[sim:slow=1.5]]`,
`[[sim:garbage]]`, `[[sim:reset]]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.faults import FaultRegistry, RequestFault

FAULT_KINDS = ("http_error", "quota", "moderation", "slow_ack", "garbage", "reset")
REFUSING_KINDS = ("http_error", "quota", "moderation")  # answered before any image is made
SPOILING_KINDS = ("garbage", "reset")  # applied to the answer once the images were made


@dataclass(frozen=True)
class FaultTarget:
    path: str
    api_key: str | None
    model: str | None = None
    prompt: str | None = None


@dataclass
class OpenAIFault(RequestFault):
    """What to break, and for which requests. All match fields None = every API request."""

    code: str | None = None
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


def marker_faults(prompt: str | None) -> list[OpenAIFault]:
    """The faults `[[sim:...]]` markers in a prompt ask for."""
    return OpenAIFault.from_markers(prompt, ("quota", "moderation", "garbage", "reset"))


class OpenAIFaultBook(FaultRegistry[OpenAIFault]):
    def for_request(self, target: FaultTarget) -> tuple[OpenAIFault | None, OpenAIFault | None, float]:
        """(the fault that refuses the request, the one that spoils its answer, the delay) for one request."""
        found = marker_faults(target.prompt)
        refusing = next((f for f in found if f.kind in REFUSING_KINDS), None)
        spoiling = next((f for f in found if f.kind in SPOILING_KINDS), None)
        delay = max((f.delay_seconds for f in found if f.kind == "slow_ack"), default=0.0)
        if refusing is None:
            refusing = self.take_first(lambda f: f.kind in REFUSING_KINDS and f.matches(target))
        if spoiling is None and refusing is None:
            spoiling = self.take_first(lambda f: f.kind in SPOILING_KINDS and f.matches(target))
        slow = self.take_all(lambda f: f.kind == "slow_ack" and f.matches(target))
        return refusing, spoiling, max([delay, *(f.delay_seconds for f in slow)])
