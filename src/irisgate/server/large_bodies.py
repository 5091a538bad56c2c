"""A cap on the requests with large bodies that a worker serves at once.

A large body (an image upload, a data URI) is held in memory while its request runs, so the number
of them in flight bounds the memory a worker needs. Past the cap, a request that would bring another
one is refused at once, before its body is read: 503 with `Retry-After` (the OpenAI SDK retries it).
A body counts as large when its declared length passes ``LARGE_BODY_BYTES``, or when it has none
(chunked: its size is unknown until read).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from irisgate.schemas.errors import GatewayError
from irisgate.server.limits import parse_length, send_error

LARGE_BODY_BYTES = 1024 * 1024
RETRY_AFTER_SECONDS = 1


class LargeBodies:
    def __init__(self, app: ASGIApp, max_concurrent: int) -> None:
        self.app = app
        self.max_concurrent = max_concurrent
        self._slots = asyncio.Semaphore(max_concurrent)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._is_large(scope):
            await self.app(scope, receive, send)
            return
        if self._slots.locked():
            await send_error(send, self._busy())
            return
        async with self._slots:
            await self.app(scope, receive, send)

    @staticmethod
    def _is_large(scope: Scope) -> bool:
        length: bytes | None = None
        for name, value in scope["headers"]:
            lowered = name.lower()
            if lowered == b"content-length":
                length = value
            elif lowered == b"transfer-encoding":
                return True
        declared = parse_length(length)
        return declared is not None and declared > LARGE_BODY_BYTES

    def _busy(self) -> GatewayError:
        return GatewayError(
            503,
            f"irisgate is already reading {self.max_concurrent} large request bodies; try again in a moment "
            "(limits.max_concurrent_large_bodies)",
            code="too_many_large_requests",
            error_type="server_error",
            headers={"retry-after": str(RETRY_AFTER_SECONDS), "connection": "close"},
        )
