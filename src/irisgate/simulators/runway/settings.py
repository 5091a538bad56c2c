"""Knobs of the Runway simulator: one mutable dataclass, patchable from JSON (`PATCH /__fake/settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common.settings import SimSettings

API_VERSION = "2024-11-06"
KEY_FORMAT = r"key_[0-9a-f]{128}"


@dataclass
class RunwaySimSettings(SimSettings):
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # Also refuse (401) a known key that does not look like `key_` + 128 hex digits.
    enforce_key_format: bool = False
    # Accepted `X-Runway-Version` values; anything else (or none) is a 400.
    allowed_versions: set[str] = field(default_factory=lambda: {API_VERSION})
    # Poll-driven lifecycle: the first `polls_per_state` GETs of a task answer PENDING, the next
    # `running_polls` answer RUNNING (progress k/(running_polls+1)), then the terminal state.
    # 0 = terminal at the first GET.
    polls_per_state: int = 1
    running_polls: int = 2
    # Time-driven instead: terminal this many seconds after the task started (PENDING for the first 10%).
    delay_seconds: float | None = None
    # Tasks of one API key beyond this many unfinished ones wait THROTTLED until others finish.
    max_concurrent: int | None = None
    # Create answers `{"id"}` only (API before estimatedCost).
    legacy_create_response: bool = False
    # Models the API no longer knows (400 invalid_union), e.g. gen3a_turbo, gen4_aleph, veo3.
    removed_models: set[str] = field(default_factory=set)
    # Models the organisation may not use: 403 "Model variant X is not available".
    unavailable_models: set[str] = field(default_factory=set)
    # Generation tasks one API key may create (per simulator lifetime / reset); past it: 429.
    daily_limit: int | None = None
    # Sent as `retry-after` (seconds) and `retry-after-ms` on 429 answers.
    retry_after_seconds: float | None = None
    # Sent as `x-should-retry` on 429 and 5xx answers ("true" / "false").
    should_retry_header: str | None = None
    # Output URLs answer 403 (CloudFront-style XML AccessDenied).
    urls_expired: bool = False
    # Each output URL answers that 403 once this many seconds have passed since it was given out (in a
    # task object); fetching the task again gives fresh URLs, as Runway's signed ones. None: never.
    urls_expire_after_seconds: float | None = None
    # Fetch http(s) inputs: HEAD then GET, no redirects, Content-Type must match the field.
    fetch_url_inputs: bool = False
    # A trailing MP4 `free` box of this many bytes on every output video (0, or >= 16), streamed.
    video_padding_bytes: int = 0
    # Refuse non-HTTPS URL inputs and IP hosts, as the real API does (off: allow http://127.0.0.1).
    https_only_inputs: bool = True
    # Reject body fields the model does not define (Zod `unrecognized_keys`); off = ignore them.
    strict_fields: bool = False
    # `runway://` upload URIs count as expired (the real ones live 24 h).
    uploads_expired: bool = False
    # Seed of the generator that decides whether a fault with `chance` < 1 hits (None = unpredictable).
    fault_seed: int | None = None

    def check(self, name: str, value: Any) -> Any:
        value = super().check(name, value)
        if name == "max_concurrent" and value == 0:
            raise ValueError(f"{name} must be a positive integer or null")
        if name == "should_retry_header" and value not in (None, "true", "false"):
            raise ValueError(f"{name} must be 'true', 'false' or null")
        return value
