"""orjson-encoded JSON responses, and the error response of a `GatewayError`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.responses import Response

from irisgate.schemas.errors import GatewayError


class JSONResponse(Response):
    """An orjson-encoded answer, its headers built directly (this is every /v1 answer: Starlette's
    generic header set-up costs more than the encoding)."""

    media_type = "application/json"

    def __init__(
        self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.background = None
        self.body = self.render(content)
        raw = [(b"content-length", str(len(self.body)).encode()), (b"content-type", b"application/json")]
        if headers:
            raw.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
            )
        self.raw_headers = raw

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(content, status, headers)


def error_response(error: GatewayError) -> JSONResponse:
    return JSONResponse(error.body(), error.status, error.headers)
