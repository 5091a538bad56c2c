"""Backoff with jitter, and retrying calls that are safe to repeat.

`network_config` sets the policy per provider: `max_retries`, `retry_backoff_initial`,
`retry_backoff_max`. The delay doubles from the initial value up to the maximum, with ±20 %
jitter; a provider's `Retry-After` wins when it sent one (up to `MAX_RETRY_AFTER`).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from irisgate.config import NetworkConfig
from irisgate.schemas.errors import GatewayError

T = TypeVar("T")
MAX_RETRY_AFTER = 60.0


def backoff_delay(attempt: int, network: NetworkConfig, retry_after: float | None = None) -> float:
    """Seconds to wait before retry number `attempt + 1`."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    base = min(network.retry_backoff_initial * 2**attempt, network.retry_backoff_max)
    return min(base * random.uniform(0.8, 1.2), network.retry_backoff_max)


async def retry_transient(call: Callable[[], Awaitable[T]], network: NetworkConfig) -> T:
    """Run an idempotent call (a retrieve, a poll, a GET), again after transient failures."""
    attempt = 0
    while True:
        try:
            return await call()
        except GatewayError as error:
            if not error.transient or attempt >= network.max_retries:
                if error.transient:  # safe to repeat: the client may try again later
                    error.headers.setdefault("x-should-retry", "true")
                raise
            await asyncio.sleep(backoff_delay(attempt, network, error.retry_after))
            attempt += 1
