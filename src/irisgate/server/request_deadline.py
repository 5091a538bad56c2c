"""A deadline for each request to arrive, which uvicorn does not have: the defence against slowloris.

uvicorn closes a connection that stays idle between requests (``timeout_keep_alive``), but one that
trickles a request, a header line or a body byte every few seconds, is never closed: every byte
cancels that timer, and an ASGI middleware sees a request only once its headers are complete. So
``DeadlineProtocol`` is what ``irisgate serve`` gives uvicorn as its HTTP protocol, through
uvicorn's documented ``http=`` setting (a protocol class): uvicorn's own httptools protocol, wrapped,
not subclassed, whose connection is closed unless, within ``seconds`` of the connection opening or
of its last answer, a request's headers arrive, and then its body keeps coming (the deadline moves
on with every ``PROGRESS_BYTES`` received) until it is whole. ``RequestProgress`` (the outermost
middleware) reports that progress; it finds the connection of a request by the client's address,
which uvicorn puts in the scope from the very transport the protocol holds.

A request whose body is whole has no deadline: answering it may take as long as the provider needs.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

DEFAULT_SECONDS = 30.0
PROGRESS_BYTES = 64 * 1024  # body bytes that move the deadline on: an honest upload at 2 KiB/s is kept
UVICORN_HTTP = import_from_string(HTTP_PROTOCOLS["httptools"])

# The connections of this process by client address (host, port), for RequestProgress.
_connections: dict[tuple[str, int], DeadlineProtocol] = {}
_settings = {"seconds": DEFAULT_SECONDS}


def configure(seconds: float) -> None:
    """Set the deadline of this process's connections (``limits.request_read_timeout_seconds``)."""
    _settings["seconds"] = seconds


class DeadlineProtocol(asyncio.Protocol):
    def __init__(self, **uvicorn_arguments: Any) -> None:
        self._http = UVICORN_HTTP(**uvicorn_arguments)
        self._transport: asyncio.Transport | None = None
        self._address: tuple[str, int] | None = None
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._address = (str(peer[0]), int(peer[1]))
            _connections[self._address] = self
        self._http.connection_made(transport)
        self.arm()

    def data_received(self, data: bytes) -> None:
        self._http.data_received(data)

    def eof_received(self) -> bool | None:
        return self._http.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm()
        if self._address is not None and _connections.get(self._address) is self:
            del _connections[self._address]
        self._http.connection_lost(exc)

    def pause_writing(self) -> None:
        self._http.pause_writing()

    def resume_writing(self) -> None:
        self._http.resume_writing()

    def arm(self) -> None:
        """Start the wait for a request (or for more of its body) over."""
        self.disarm()
        self._timer = asyncio.get_running_loop().call_later(_settings["seconds"], self._expire)

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        self._timer = None
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()


class RequestProgress:
    """Tells a request's connection that its headers came, that its body keeps coming and is
    whole, and that its answer is sent (the next request's wait begins)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        connection = _connections.get((str(client[0]), int(client[1]))) if client else None
        if connection is None:
            await self.app(scope, receive, send)
            return
        if has_body(scope):
            connection.arm()  # the headers came: now the body
        else:
            connection.disarm()  # the whole request came: answering it has no deadline
        unreported = 0

        async def receiving() -> Message:
            nonlocal unreported
            message = await receive()
            if message["type"] == "http.request":
                unreported += len(message.get("body", b""))
                if not message.get("more_body", False):
                    connection.disarm()
                elif unreported >= PROGRESS_BYTES:
                    unreported = 0
                    connection.arm()
            return message

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                connection.disarm()  # answering: whatever of the body is left, the app did not want it
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                connection.arm()

        await self.app(scope, receiving, sending)


def has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            return True
        if lowered == b"content-length":
            return value.strip() not in (b"0", b"")
    return False
