"""What every provider's error mapping shares: the error of a refused provider key, and the
headers an error answer carries for the client's SDK.

Each provider's `errors.py` reads its own error shape; these are the parts whose meaning is the
gateway's, not the provider's.
"""

from __future__ import annotations

import math

from irisgate.schemas.errors import GatewayError


def key_refused(provider_label: str, key_name: str, message: str) -> GatewayError:
    """The provider refused irisgate's key (401, or a 403 about the key): the client's request was
    fine, so a 502 that names the key (never its value). The router sets the key aside and tries
    another; nothing was created."""
    return GatewayError(
        502,
        f"{provider_label} rejected the provider key '{key_name}': {message}",
        code="upstream_authentication_failed",
        headers={"x-should-retry": "false"},
        key_rejected=True,
        nothing_created=True,
    )


def answer_headers(status: int, retry_after: float | None) -> dict[str, str]:
    """A 429 says when to come back: `retry-after` in whole seconds (HTTP's delta-seconds), rounded
    up and at least 1. Any other 4xx tells the OpenAI SDK not to retry (`x-should-retry: false`):
    the same request would fail again. A 5xx says nothing, so the SDK retries it."""
    if status == 429:
        return {"retry-after": str(max(1, math.ceil(retry_after or 1)))}
    return {"x-should-retry": "false"} if status < 500 else {}
