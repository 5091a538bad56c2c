"""The request log every simulator keeps: one `RecordedRequest` per HTTP request (control plane excluded)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request


@dataclass
class RecordedRequest:
    """One HTTP request the simulator received (control-plane requests are not recorded)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes
    at: float = field(default_factory=time.time)  # when it arrived (seconds since the epoch)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "headers": self.headers,
            "body": self.body,
            "at": self.at,
        }
        if self.body is None and self.raw:
            out["raw_base64"] = base64.b64encode(self.raw).decode()
        return out


async def read_request(request: Request) -> RecordedRequest:
    """Read the whole body; `body` is the parsed JSON, or None when the body is empty or not JSON."""
    raw = await request.body()
    body: Any = None
    if raw:
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            body = None
    headers = {k.lower(): v for k, v in request.headers.items()}
    return RecordedRequest(request.method, request.url.path, headers, body, raw)
