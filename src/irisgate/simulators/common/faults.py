"""Fault bookkeeping shared by the simulators: a thread-safe list of faults consumed per hit, a base for
fault dataclasses (JSON (de)serialisation, checks of the common fields), and `[[sim:...]]` prompt-marker
parsing.

What a fault *does* is provider-specific; each simulator defines its own fault dataclass and kinds.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, Self, TypeVar

from .values import is_int

_MARKER = re.compile(r"\[\[sim:([^\]]+)\]\]")


def marker_tokens(text: Any) -> list[str]:
    """The stripped tokens of every `[[sim:<token>]]` marker in ``text`` (none when it is not a string)."""
    if not isinstance(text, str):
        return []
    return [raw.strip() for raw in _MARKER.findall(text)]


class FaultBase:
    """Mixin for fault dataclasses: strict `from_json` (unknown fields refused), `to_json`, and the checks
    of the fields every simulator's fault has (`kind`, `status`, `delay_seconds`, `times`)."""

    kind: str
    status: int | None
    delay_seconds: float
    times: int | None

    def check_fields(self, kinds: tuple[str, ...]) -> None:
        """Refuse an unknown kind or a bad status/delay/times; an `http_error` without status gets 500."""
        if self.kind not in kinds:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(kinds)}")
        if self.kind == "http_error" and self.status is None:
            self.status = 500
        if self.status is not None and (not is_int(self.status) or not 400 <= self.status <= 599):
            raise ValueError(f"fault status must be an HTTP error status (400-599), not {self.status!r}")
        if not isinstance(self.delay_seconds, int | float) or self.delay_seconds < 0:
            raise ValueError("delay_seconds must be a non-negative number")
        if self.times is not None and (not isinstance(self.times, int) or self.times < 1):
            raise ValueError("times must be a positive integer or null")

    @classmethod
    def from_json(cls, data: Any) -> Self:
        if not isinstance(data, dict):
            raise ValueError("a fault must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]


class Countable(Protocol):
    times: int | None


F = TypeVar("F", bound=Countable)


class FaultRegistry(Generic[F]):
    """Registered faults; a fault with `times` set is removed after that many hits."""

    def __init__(self) -> None:
        self._faults: list[F] = []
        self._lock = threading.Lock()

    def add(self, fault: F) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def snapshot(self) -> list[F]:
        with self._lock:
            return list(self._faults)

    def _consume(self, fault: F) -> None:
        """Count one hit (call with the lock held)."""
        if fault.times is None:
            return
        fault.times -= 1
        if fault.times <= 0 and fault in self._faults:
            self._faults.remove(fault)

    def take_first(self, predicate: Callable[[F], bool]) -> F | None:
        """The first registered fault satisfying ``predicate``, counting one hit on it."""
        with self._lock:
            for fault in self._faults:
                if predicate(fault):
                    self._consume(fault)
                    return fault
        return None

    def take_all(self, predicate: Callable[[F], bool]) -> list[F]:
        """Every registered fault satisfying ``predicate``, counting one hit on each."""
        with self._lock:
            hits = [fault for fault in self._faults if predicate(fault)]
            for fault in hits:
                self._consume(fault)
        return hits
