"""Back-off for failed admin sign-ins and admin bearer tokens, per client address.

A few failures are forgiven (typos). From the `FREE_FAILURES`-th on, the address must wait before its
next attempt, twice as long after each further failure, up to `MAX_WAIT`; while it waits, every attempt
gets 429 `too_many_attempts` with `Retry-After` and the token is not even compared, so guessing costs
time whatever the answer would have been. A success forgets the address; so does a quiet `FORGET_AFTER`.

The counts live in this process's memory: each worker (and each instance) counts on its own, so with N
workers an address gets about N times the attempts before it waits, and still waits longer after each
further failure. At most `MAX_TRACKED` addresses are remembered (the least recently failing is dropped
first), so a flood from many addresses cannot grow the process without bound.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from irisgate.schemas.errors import GatewayError

FREE_FAILURES = 5
FIRST_WAIT = 1.0  # seconds, after the FREE_FAILURES-th failure; doubled by each further one
MAX_WAIT = 60.0
FORGET_AFTER = 15 * 60.0  # an address with no failure for this long starts afresh
MAX_TRACKED = 10_000


class TooManyAttempts(GatewayError):
    def __init__(self, wait: int) -> None:
        super().__init__(
            429,
            f"Too many failed admin sign-in attempts from this address; try again in {wait} s",
            code="too_many_attempts",
            headers={"retry-after": str(wait)},
        )
        self.wait = wait


@dataclass
class _Failures:
    count: int
    last: float
    blocked_until: float


class AuthThrottle:
    def __init__(
        self,
        *,
        free_failures: int = FREE_FAILURES,
        first_wait: float = FIRST_WAIT,
        max_wait: float = MAX_WAIT,
        forget_after: float = FORGET_AFTER,
        max_tracked: int = MAX_TRACKED,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.forget_after = forget_after
        self.max_tracked = max_tracked
        self._clock = clock
        self._addresses: OrderedDict[str, _Failures] = OrderedDict()  # least recently failing first

    def __len__(self) -> int:
        return len(self._addresses)

    def check(self, address: str) -> None:
        """Raise `TooManyAttempts` while `address` must wait; call before comparing its token."""
        entry = self._current(address)
        if entry is None:
            return
        remaining = entry.blocked_until - self._clock()
        if remaining > 0:
            raise TooManyAttempts(max(1, math.ceil(remaining)))

    def failed(self, address: str) -> None:
        now = self._clock()
        entry = self._current(address) or _Failures(count=0, last=now, blocked_until=0.0)
        entry.count += 1
        entry.last = now
        if entry.count >= self.free_failures:
            wait = self.first_wait * 2 ** min(entry.count - self.free_failures, 32)
            entry.blocked_until = now + min(self.max_wait, wait)
        self._addresses[address] = entry
        self._addresses.move_to_end(address)
        while len(self._addresses) > self.max_tracked:
            self._addresses.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._addresses.pop(address, None)

    def _current(self, address: str) -> _Failures | None:
        """The address's failures, unless they are old enough to forget."""
        entry = self._addresses.get(address)
        if entry is not None and self._clock() - entry.last > self.forget_after:
            del self._addresses[address]
            return None
        return entry
