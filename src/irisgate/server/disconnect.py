"""Cancel upstream work when the client goes away (for long synchronous calls such as image generation).

Call it after the request body has been read: from then on, the ASGI server's next
message on `receive` is `http.disconnect`, sent when the client closes the connection.
The cancelled call is answered 499 in the request log (the client never sees it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request

from irisgate.schemas.errors import GatewayError

T = TypeVar("T")


WATCH_AFTER_SECONDS = 0.05


async def unless_disconnected(request: Request, work: Awaitable[T]) -> T:
    """Await `work` in this task; if the client leaves meanwhile, cancel it where it is.

    A watcher task listens for the disconnect, but only from `WATCH_AFTER_SECONDS` on: a call that
    answers sooner (most, when the provider is quick) costs a timer instead of a task; a long one
    (a real image generation takes seconds) is watched for nearly all its life."""
    loop = asyncio.get_running_loop()
    current = asyncio.current_task()
    assert current is not None
    gone = False
    watcher: asyncio.Task[None] | None = None

    async def watch() -> None:
        nonlocal gone
        while (await request.receive())["type"] != "http.disconnect":
            pass
        gone = True
        current.cancel()

    def start_watching() -> None:
        nonlocal watcher
        watcher = loop.create_task(watch())

    timer = loop.call_later(WATCH_AFTER_SECONDS, start_watching)
    try:
        return await work
    except asyncio.CancelledError:
        if not gone:
            raise
        current.uncancel()
        message = "The client closed the connection; the upstream call was cancelled"
        raise GatewayError(499, message, code="client_closed_request") from None
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
