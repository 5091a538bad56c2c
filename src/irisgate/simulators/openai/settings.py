"""Knobs of the OpenAI Images simulator: one mutable dataclass, patchable (`PATCH /__fake/settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common.settings import SimSettings


@dataclass
class OpenAISimSettings(SimSettings):
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # Images one API key may have made in the last 60 s; past it: 429 `rate_limit_exceeded` (with
    # `retry-after` and the `x-ratelimit-*` headers). None: no limit.
    images_per_minute: int | None = None
    # Sent as `retry-after` (seconds) on every 429 answer; None: the seconds until the limit frees
    # (rate limits) or no header at all (faults).
    retry_after_seconds: float | None = None
    # Sent as `x-should-retry` on 429 and 5xx answers ("true" / "false"); None: not sent.
    should_retry_header: str | None = None
    # `usage` in GPT image answers (OpenAI sends it; off to play an answer without it).
    include_usage: bool = True
    # DALL·E image URLs answer 403 (the signed blob URL has expired; real ones last 60 minutes).
    urls_expired: bool = False
    # Seed of the generator that decides whether a fault with `chance` < 1 hits (None = unpredictable).
    fault_seed: int | None = None

    def check(self, name: str, value: Any) -> Any:
        value = super().check(name, value)
        if name == "should_retry_header" and value not in (None, "true", "false"):
            raise ValueError(f"{name} must be 'true', 'false' or null")
        if name == "images_per_minute" and value == 0:
            raise ValueError(f"{name} must be a positive integer or null")
        return value
