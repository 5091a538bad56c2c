"""Keys set aside for a while after the provider refused them (401/403) or throttled them (429).

Per process: every worker learns on its own, at the cost of one refused call per key.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

AUTH_COOLDOWN_SECONDS = 300.0
RATE_LIMIT_COOLDOWN_SECONDS = 30.0


@dataclass(frozen=True)
class Rest:
    until: float
    reason: str  # "rejected" | "rate_limited"


class KeyCooldowns:
    def __init__(self) -> None:
        self._rests: dict[str, Rest] = {}

    def rest(self, key_id: str, seconds: float, reason: str) -> None:
        self._rests[key_id] = Rest(time.monotonic() + seconds, reason)

    def resting(self) -> dict[str, Rest]:
        """The keys still resting (expired rests are forgotten)."""
        if not self._rests:
            return {}
        now = time.monotonic()
        for key_id in [k for k, r in self._rests.items() if r.until <= now]:
            del self._rests[key_id]
        return dict(self._rests)
