"""Fault bookkeeping shared by the simulators: a thread-safe list of faults consumed per hit, a base for
fault dataclasses (JSON (de)serialisation, checks of the common fields), `[[sim:...]]` prompt-marker
parsing, and the two faults that break the HTTP exchange itself, the same in both simulators:

- `garbage`: the answer is replaced by a body that is not JSON (an HTML "502 Bad Gateway" page, or
  the fault's `message`), with HTTP 200 (or the fault's `status`): what a misbehaving proxy in front
  of a provider sends.
- `reset`: the connection is reset (TCP RST) without any answer; the client sees a connection reset
  (httpx `ReadError` / `RemoteProtocolError`, aiohttp `ClientOSError` / `ServerDisconnectedError`).
  This needs the server's transport, which `SimulatorApp` (the Starlette app of every simulator)
  puts in the ASGI scope when served by uvicorn.

Every fault has `chance` (0-1, default 1): a matching request is hit with that probability, drawn
from one `random.Random` per simulator, seeded from its `fault_seed` setting (re-seeded when that
setting changes and when the faults are cleared, so a run is reproducible); `times` counts hits only.

What the other kinds do is provider-specific; each simulator defines its own fault dataclass and kinds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import re
import socket
import struct
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, Self, TypeVar

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from .values import is_int, is_number

_MARKER = re.compile(r"\[\[sim:([^\]]+)\]\]")


def marker_tokens(text: Any) -> list[str]:
    """The stripped tokens of every `[[sim:<token>]]` marker in ``text`` (none when it is not a string)."""
    if not isinstance(text, str):
        return []
    return [raw.strip() for raw in _MARKER.findall(text)]


class FaultBase:
    """Mixin for fault dataclasses: strict `from_json` (unknown fields refused), `to_json`, and the checks
    of the fields every simulator's fault has (`kind`, `status`, `message`, `delay_seconds`, `times`,
    `chance`), and what the shared kinds `garbage` and `reset` answer."""

    kind: str
    status: int | None
    message: str | None
    delay_seconds: float
    times: int | None
    chance: float

    def check_fields(self, kinds: tuple[str, ...]) -> None:
        """Refuse an unknown kind or a bad status/delay/times/chance; an `http_error` without status
        gets 500."""
        if self.kind not in kinds:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(kinds)}")
        if self.kind == "http_error" and self.status is None:
            self.status = 500
        if self.kind == "reset" and self.status is not None:
            raise ValueError("a reset fault answers nothing, so it takes no status")
        if self.status is not None and (not is_int(self.status) or not 400 <= self.status <= 599):
            raise ValueError(f"fault status must be an HTTP error status (400-599), not {self.status!r}")
        if not is_number(self.delay_seconds) or self.delay_seconds < 0:
            raise ValueError("delay_seconds must be a non-negative number")
        if self.times is not None and (not is_int(self.times) or self.times < 1):
            raise ValueError("times must be a positive integer or null")
        if not is_number(self.chance) or not 0 < self.chance <= 1:
            raise ValueError("chance must be a number in (0, 1]")

    def spoil(self, response: Response) -> Response:
        """The answer a `garbage` or `reset` fault sends instead of ``response`` (any other kind: it)."""
        if self.kind == "garbage":
            body = self.message if self.message is not None else GARBAGE_BODY
            return Response(body, status_code=self.status or 200, media_type="text/html")
        if self.kind == "reset":
            return ConnectionReset()
        return response

    @classmethod
    def from_markers(cls, prompt: Any, kinds: tuple[str, ...]) -> list[Self]:
        """The faults `[[sim:...]]` markers in ``prompt`` ask for: `<4xx|5xx>` (an `http_error`),
        `slow=<seconds>` (a `slow_ack`), or one of ``kinds`` by name."""
        found: list[Self] = []
        for token in marker_tokens(prompt):
            if re.fullmatch(r"[45]\d\d", token):
                found.append(cls(kind="http_error", status=int(token)))  # type: ignore[call-arg]
            elif token in kinds:
                found.append(cls(kind=token))  # type: ignore[call-arg]
            elif token.startswith("slow="):
                with contextlib.suppress(ValueError):
                    found.append(cls(kind="slow_ack", delay_seconds=float(token[5:])))  # type: ignore[call-arg]
        return found

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


@dataclasses.dataclass
class RequestFault(FaultBase):
    """The fields of a fault that the simulators of JSON APIs share, and its match against one HTTP
    request by the API key, a path prefix and a piece of the prompt (each None: any). Each simulator
    adds its own match field (a model, an endpoint) and error details."""

    kind: str = "http_error"
    status: int | None = None
    message: str | None = None
    delay_seconds: float = 1.0
    api_key: str | None = None
    prompt_contains: str | None = None
    path: str | None = None
    times: int | None = None
    chance: float = 1.0

    def matches_request(
        self, path: str, api_key: str | None, prompt: str | None, *, in_default_scope: bool
    ) -> bool:
        """Does this fault apply? A `path` matches itself and what lies under it, whole segments
        only; without one, the fault applies where ``in_default_scope`` (the simulator's API
        requests, not its media files)."""
        if self.api_key is not None and self.api_key != api_key:
            return False
        if self.path is None:
            if not in_default_scope:
                return False
        else:
            prefix = self.path.rstrip("/")
            if path != prefix and not path.startswith(prefix + "/"):
                return False
        return self.prompt_contains is None or (prompt is not None and self.prompt_contains in prompt)


class Countable(Protocol):
    kind: str
    delay_seconds: float
    times: int | None
    chance: float


F = TypeVar("F", bound=Countable)
_UNSEEDED = object()


class FaultRegistry(Generic[F]):
    """Registered faults; a fault with `times` set is removed after that many hits.

    ``seed`` returns the current seed (the simulator's `fault_seed` setting; None = unpredictable) of
    the generator that decides whether a fault with `chance` < 1 hits.
    """

    def __init__(self, seed: Callable[[], int | None] | None = None) -> None:
        self._faults: list[F] = []
        self._lock = threading.Lock()
        self._seed = seed or (lambda: None)
        self._seeded_with: object = _UNSEEDED
        self._random = random.Random()

    def add(self, fault: F) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Forget every fault; the next chance is drawn from a freshly seeded generator."""
        with self._lock:
            self._faults.clear()
            self._seeded_with = _UNSEEDED

    def snapshot(self) -> list[F]:
        with self._lock:
            return list(self._faults)

    def _roll(self, chance: float) -> bool:
        """True with probability ``chance`` (call with the lock held)."""
        if chance >= 1:
            return True
        seed = self._seed()
        if seed != self._seeded_with:
            self._random = random.Random(seed)
            self._seeded_with = seed
        return self._random.random() < chance

    def _hit(self, fault: F) -> bool:
        """Does this matching fault strike now? If so, count one hit (call with the lock held)."""
        if not self._roll(fault.chance):
            return False
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0 and fault in self._faults:
                self._faults.remove(fault)
        return True

    def take_first(self, predicate: Callable[[F], bool]) -> F | None:
        """The first registered fault satisfying ``predicate`` that strikes, counting one hit on it."""
        with self._lock:
            for fault in list(self._faults):
                if predicate(fault) and self._hit(fault):
                    return fault
        return None

    def take_all(self, predicate: Callable[[F], bool]) -> list[F]:
        """Every registered fault satisfying ``predicate`` that strikes, counting one hit on each."""
        with self._lock:
            return [fault for fault in list(self._faults) if predicate(fault) and self._hit(fault)]

    def answer_and_delay(
        self, marked: list[F], answer_kinds: tuple[str, ...], applies: Callable[[F], bool]
    ) -> tuple[F | None, float]:
        """(the fault of ``answer_kinds`` that decides a request's answer, or None; how long its
        answer is held back): a prompt's markers (``marked``) first, then the registered faults that
        apply; the longest `slow_ack` delay of both holds the answer back."""
        answer = next((f for f in marked if f.kind in answer_kinds), None)
        if answer is None:
            answer = self.take_first(lambda f: f.kind in answer_kinds and applies(f))
        slow = self.take_all(lambda f: f.kind == "slow_ack" and applies(f))
        delays = [f.delay_seconds for f in marked if f.kind == "slow_ack"] + [f.delay_seconds for f in slow]
        return answer, max(delays, default=0.0)


# ---------------------------------------------------------------- garbage and reset

GARBAGE_BODY = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_SERVER_SEND = "irisgate.simulator.server_send"


class SimulatorApp(Starlette):
    """A Starlette app that keeps the server's own `send` in the scope, so that a `ConnectionReset`
    can reach the connection (uvicorn's `send` is a method of an object holding the transport)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[_SERVER_SEND] = send
        await super().__call__(scope, receive, send)


class ConnectionReset(Response):
    """Not an answer: the connection is reset (RST) and nothing is sent.

    Under uvicorn, the transport is aborted with SO_LINGER 0 and the app returns once the server saw
    the connection go (so it neither logs nor tries a 500). Elsewhere, the answer is broken off
    after its headers, which every server turns into a dropped connection.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cycle = getattr(scope.get(_SERVER_SEND), "__self__", None)
        transport = getattr(cycle, "transport", None)
        if transport is None or not hasattr(cycle, "disconnected"):
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
            raise ConnectionResetError("simulated connection reset")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # else a plain close (FIN): still no answer
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
        for _ in range(100):
            if cycle.disconnected:
                return
            await asyncio.sleep(0)
