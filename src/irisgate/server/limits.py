"""A request-size guard in front of the app: body size (413) and header count/size (431).

Pure ASGI, so responses stream through untouched. A `Content-Length` over the limit is refused
before a byte of the body is read (a client that sent `Expect: 100-continue` never sends it); a
body without one (chunked) is counted as the app reads it, and the read that crosses the limit
fails, so at most the limit plus one chunk is ever held. The refusal closes the connection rather
than draining an unbounded body.

Header floods: uvicorn's httptools parser does not bound the number or total size of headers, so
they are checked here (the parser has already buffered them, but a request that passes this check
never reaches a handler).
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from irisgate.schemas.errors import GatewayError

MAX_HEADERS = 100
BODILESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_HEADER_BYTES = 32 * 1024


class RequestTooLarge(GatewayError):
    """Raised from `receive` when a streamed body crosses the limit; a 413 wherever it surfaces."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than the limit of {describe_bytes(limit)} (limits.max_body_mb)",
            code="request_too_large",
            headers={"connection": "close"},
        )


def describe_bytes(count: int) -> str:
    mib = count / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{count} bytes"


class RequestLimits:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        max_headers: int = MAX_HEADERS,
        max_header_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = scope["headers"]
        if len(headers) > self.max_headers:
            await send_error(
                send,
                header_error(
                    f"The request has {len(headers)} headers; at most {self.max_headers} are allowed"
                ),
            )
            return
        total = 0
        length: bytes | None = None
        chunked = False
        for name, value in headers:  # one pass: size, Content-Length, Transfer-Encoding
            total += len(name) + len(value)
            if len(name) == 14 and name.lower() == b"content-length":
                length = value
            elif len(name) == 17 and name.lower() == b"transfer-encoding":
                chunked = True
        if total > self.max_header_bytes:
            await send_error(
                send,
                header_error(
                    f"The request headers are {total} bytes; at most {self.max_header_bytes} are allowed"
                ),
            )
            return
        declared = parse_length(length)
        if declared is not None and declared > self.max_body_bytes:
            await send_error(send, RequestTooLarge(self.max_body_bytes))
            return
        if not chunked and (declared is not None or scope["method"] in BODILESS_METHODS):
            # The server reads no more than a declared length (checked above), and a GET without
            # one has no body; a Transfer-Encoding overrides Content-Length, so that body is counted.
            await self.app(scope, receive, send)  # nothing to count: no wrapper on the hot path
            return
        await self.guard_body(scope, receive, send)

    async def guard_body(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    exceeded = True
                    raise RequestTooLarge(self.max_body_bytes)
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the app made of the failed read, the answer is ours
            response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded or response_started:
                raise
        if exceeded and not response_started:
            await send_error(send, RequestTooLarge(self.max_body_bytes))


def parse_length(value: bytes | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    return int(text) if text.isdigit() else None


def header_error(message: str) -> GatewayError:
    return GatewayError(
        431,
        message,
        code="request_headers_too_large",
        error_type="invalid_request_error",
        headers={"connection": "close"},
    )


async def send_error(send: Send, error: GatewayError) -> None:
    body = orjson.dumps(error.body())
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.encode(), value.encode()) for name, value in error.headers.items()),
    ]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
