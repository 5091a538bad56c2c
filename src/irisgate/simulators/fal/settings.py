"""Knobs of the fal simulator: one mutable dataclass, patchable from JSON (`PATCH /__fake/settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.settings import SimSettings


@dataclass
class FalSimSettings(SimSettings):
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # Poll-driven lifecycle: the first `queue_polls` status polls of a request answer IN_QUEUE, the next
    # `progress_polls` IN_PROGRESS (logs report k/(progress_polls+1) as a percentage), later ones
    # COMPLETED. 0 and 0: COMPLETED at the first poll.
    queue_polls: int = 1
    progress_polls: int = 2
    # Time-driven instead: COMPLETED this many seconds after the submit (IN_QUEUE for the first 10%).
    delay_seconds: float | None = None
    # Refuse bad input at the submit (422) instead of queueing it and answering the 422 as its result.
    validate_on_submit: bool = False
    # Endpoint ids the simulator does not list answer 404; off: served as generic image (or, when the
    # id names video, video) endpoints that only require a prompt.
    strict_endpoints: bool = False
    # Sent as `retry-after` (seconds) on 429 answers.
    retry_after_seconds: float | None = None
    # Output files answer 404 (expired on the CDN).
    urls_expired: bool = False
    # A trailing MP4 `free` box of this many bytes on every output video (0, or >= 16), streamed.
    video_padding_bytes: int = 0
    # Seed of the generator that decides whether a fault with `chance` < 1 hits (None = unpredictable).
    fault_seed: int | None = None
