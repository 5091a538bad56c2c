"""Serving a create: the key to use, retries, key rotation, and fallbacks to other models.

For each candidate model (the requested one, then each of `fallbacks` in order):
- a key the provider refused (401/403) rests for a while and the call moves to another key
  that admits the model; a throttled key (429) does the same, or, when it is the only one,
  the call waits (`Retry-After` or backoff) and tries again, up to `max_retries`;
- a failure that proves nothing was created upstream (connection refused) is retried with
  backoff; an ambiguous one (a timeout, a 5xx after the request was sent) is never re-sent
  here — a provider that can resend safely (Runware, by the same taskUUID) does so itself;
- when the candidate still fails with a retryable error (or every key is set aside), the
  next fallback is tried. If all fail, the client gets the first (primary) error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from irisgate.providers.retries import backoff_delay
from irisgate.routing.cooldowns import AUTH_COOLDOWN_SECONDS, RATE_LIMIT_COOLDOWN_SECONDS, KeyCooldowns
from irisgate.routing.router import Route, Router
from irisgate.schemas.errors import GatewayError

T = TypeVar("T")
Operation = Callable[[Route], Awaitable[T]]


class Dispatcher:
    def __init__(self, router: Router, cooldowns: KeyCooldowns | None = None) -> None:
        self.router = router
        self.cooldowns = cooldowns or KeyCooldowns()

    async def run(
        self, model: str, fallbacks: Sequence[str] | None, operation: Operation[T]
    ) -> tuple[T, Route]:
        primary_error: GatewayError | None = None
        candidates = [model, *(fallbacks or [])]
        for index, candidate in enumerate(candidates):
            try:
                return await self._on_model(candidate, operation)
            except GatewayError as error:
                primary_error = primary_error or error
                if index == len(candidates) - 1 or not falls_back(error):
                    raise advise_retry(primary_error) from None
        raise AssertionError("unreachable")

    async def _on_model(self, model: str, operation: Operation[T]) -> tuple[T, Route]:
        avoided: set[str] = set()
        attempt = 0
        last: GatewayError | None = None
        while True:
            route = self._route(model, avoided, last)
            try:
                return await operation(route), route
            except GatewayError as error:
                last = error
                network = route.provider.network
                key_id = route.key.id
                if error.key_rejected:
                    self.cooldowns.rest(key_id, AUTH_COOLDOWN_SECONDS, "rejected")
                    avoided.add(key_id)
                elif error.status == 429 and error.nothing_created:
                    if self._has_other_key(model, avoided | {key_id}):
                        self.cooldowns.rest(
                            key_id, error.retry_after or RATE_LIMIT_COOLDOWN_SECONDS, "rate_limited"
                        )
                        avoided.add(key_id)
                    elif attempt < network.max_retries:
                        await asyncio.sleep(backoff_delay(attempt, network, error.retry_after))
                        attempt += 1
                    else:
                        raise
                elif error.transient and error.nothing_created and attempt < network.max_retries:
                    await asyncio.sleep(backoff_delay(attempt, network, error.retry_after))
                    attempt += 1
                else:
                    raise

    def _route(self, model: str, avoided: set[str], last: GatewayError | None) -> Route:
        resting = self.cooldowns.resting()
        try:
            return self.router.route(model, avoid=avoided.union(resting) if resting else avoided)
        except GatewayError as error:
            if error.code != "upstream_credentials_exhausted":
                raise
            if last is not None:
                error.message = f"{error.message}; the last answer: {last.message}"
            throttled = [rest.until for rest in resting.values() if rest.reason == "rate_limited"]
            if throttled:  # every key is throttled, none refused outright: the client may come back
                wait = max(1, round(min(throttled) - time.monotonic()))
                raise GatewayError(
                    429,
                    f"Every key for '{model}' is rate limited by the provider; retry in {wait} s",
                    code="rate_limit_exceeded",
                    headers={"retry-after": str(wait)},
                    transient=True,
                    nothing_created=True,
                    retry_after=float(wait),
                ) from None
            raise

    def _has_other_key(self, model: str, avoided: set[str]) -> bool:
        try:
            self.router.route(model, avoid=avoided | set(self.cooldowns.resting()))
        except GatewayError:
            return False
        return True


def falls_back(error: GatewayError) -> bool:
    """Errors worth trying another model for: the provider's trouble, not the request's."""
    return error.transient or error.key_rejected or error.code == "upstream_credentials_exhausted"


def advise_retry(error: GatewayError) -> GatewayError:
    """Tell the client (`x-should-retry`, which the OpenAI SDK obeys) whether sending the create
    again is safe: yes when the provider's answer proves nothing was created, no when the create
    may have started billed work (a timeout, a 5xx, a lost answer)."""
    if error.transient and "x-should-retry" not in error.headers:
        error.headers["x-should-retry"] = "true" if error.nothing_created else "false"
    return error
