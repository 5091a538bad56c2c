"""Cancel upstream work when the client goes away (for long synchronous calls such as image generation).

Call it after the request body has been read: from then on, the ASGI server's next
message on `receive` is `http.disconnect`, sent when the client closes the connection.
The cancelled call is answered 499 in the request log (the client never sees it).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

from irisgate.schemas.errors import GatewayError

T = TypeVar("T")


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnect(request))
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not watcher.done():
            watcher.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, GatewayError):
        await task
    raise GatewayError(
        499, "The client closed the connection; the upstream call was cancelled", code="client_closed_request"
    )


async def _disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return
