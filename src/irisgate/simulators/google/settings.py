"""Knobs of the Google (Gemini API) simulator: one mutable dataclass, patchable from JSON
(`PATCH /__fake/settings`, common.settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.settings import SimSettings


@dataclass
class GoogleSimSettings(SimSettings):
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # Poll-driven lifecycle: an operation is done at its `polls_to_done`-th GET (0: done at once,
    # already in the create's answer; 1: at the first poll).
    polls_to_done: int = 2
    # Time-driven instead: done this many seconds after it was created.
    delay_seconds: float | None = None
    # `RetryInfo.retryDelay` (seconds) in a 429 RESOURCE_EXHAUSTED answer.
    retry_delay_seconds: float = 30.0
    # Creates (images and videos) one API key may make (per simulator lifetime / reset); past it,
    # 429 RESOURCE_EXHAUSTED.
    quota_limit: int | None = None
    # Models the simulator serves unchecked, besides its table (a model that shipped yesterday).
    extra_models: set[str] = field(default_factory=set)
    # Generated files are gone (the Gemini API keeps them two days): downloads answer 404.
    files_expired: bool = False
    # A trailing MP4 `free` box of this many bytes on every video (0, or >= 16), streamed.
    video_padding_bytes: int = 0
    # Seed of the generator that decides whether a fault with `chance` < 1 hits (None = unpredictable).
    fault_seed: int | None = None
