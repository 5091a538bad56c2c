"""When to ask a provider about a running video job next.

Soon after it was created, then a little later each time (the provider's own pace: its descriptor's
``poll_first_seconds`` and ``poll_max_seconds``), with jitter so that jobs created together do not
keep asking together; a provider that says when to come back (429 with ``Retry-After``) is obeyed,
and one that cannot be reached is asked again with a backoff of its own.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from irisgate.providers.catalog import PROVIDERS
from irisgate.store import utc_now

GROWTH = 1.5
JITTER = 0.2
UNREACHABLE_FIRST_SECONDS = 5.0
UNREACHABLE_MAX_SECONDS = 300.0


def pace(provider: str) -> tuple[float, float]:
    descriptor = PROVIDERS.get(provider)
    return (descriptor.poll_first_seconds, descriptor.poll_max_seconds) if descriptor else (5.0, 30.0)


def jittered(seconds: float) -> float:
    return seconds * random.uniform(1 - JITTER, 1 + JITTER)


def next_poll(provider: str, polls: int, retry_after: float | None = None) -> datetime:
    """When to ask next, after ``polls`` polls of the job (0: the first, after its create)."""
    first, most = pace(provider)
    delay = min(first * GROWTH**polls, most)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return utc_now() + timedelta(seconds=jittered(delay))


def after_failure(unreachable_since: datetime, retry_after: float | None = None) -> datetime:
    """When to ask again a provider that has given no answer since ``unreachable_since``: half that
    long again (the longer an outage, the fewer the tries), within bounds; or when it said."""
    now = utc_now()
    waited = (now - unreachable_since).total_seconds()
    delay = min(max(UNREACHABLE_FIRST_SECONDS, waited / 2), UNREACHABLE_MAX_SECONDS)
    if retry_after is not None:
        delay = max(retry_after, 1.0)
    return now + timedelta(seconds=jittered(delay))
