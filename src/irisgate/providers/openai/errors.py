"""OpenAI's error answers → the gateway error a client sees.

OpenAI answers errors as `{"error": {"message", "type", "param", "code"}}` (the SDK's
`ErrorObject`, `src/openai/types/shared/error_object.py`; `_make_status_error` reads
`body.get("error", body)`), with the status codes of its error-code guide
(developers.openai.com/docs/guides/error-codes): 401 a wrong key, 403 a region or project that may
not, 429 a rate limit or exhausted quota, 500/503 its own trouble. The shape is the gateway's own,
so a client error comes back as it is: the same status, message, type, code and `param`. A refused
key becomes 502 `upstream_authentication_failed` (the client's request was fine; irisgate's key was
not), and a 429 keeps its `retry-after`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from irisgate.providers.http import UpstreamResponse
from irisgate.providers.upstream_errors import answer_headers, key_refused
from irisgate.schemas.errors import GatewayError, parse_retry_after

PASSED_THROUGH = {400: 400, 403: 403, 404: 404, 409: 409, 413: 413, 415: 415, 422: 422, 429: 429, 503: 503}
# OpenAI's 401 quotes the key it was given, partly starred ("Incorrect API key provided: sk-ab***yz"):
# irisgate's key never reaches a client, not even in part
QUOTED_KEY = re.compile(r"(provided:\s*)\S+?(?=\.?\s|\.?$)")
QUOTA_CODE = "insufficient_quota"  # a 429 that waiting does not cure: the key's account is out of credit


def openai_error(
    status: int, body: Any, key_name: str, headers: Mapping[str, str] | None = None
) -> GatewayError:
    detail = body.get("error") if isinstance(body, dict) else None
    detail = detail if isinstance(detail, dict) else {}
    message = str(detail.get("message") or f"OpenAI answered HTTP {status}").strip()
    code = detail.get("code") if isinstance(detail.get("code"), str) else None
    error_type = detail.get("type") if isinstance(detail.get("type"), str) else None
    param = detail.get("param") if isinstance(detail.get("param"), str) else None
    if status == 401:
        shown = QUOTED_KEY.sub(r"\1(redacted)", message)
        return key_refused("OpenAI", key_name, shown)
    mapped = PASSED_THROUGH.get(status, 502 if status >= 500 else 400)
    retry_after = parse_retry_after(headers) if mapped == 429 else None
    return GatewayError(
        mapped,
        message,
        code=code or ("upstream_error" if mapped >= 500 else None),
        param=param.removesuffix("[]") if param else None,  # `image[]` is the client's `image`
        error_type=error_type if mapped < 500 else None,
        headers=answer_headers(mapped, retry_after),
        transient=(mapped == 429 and code != QUOTA_CODE) or mapped >= 500,
        nothing_created=mapped == 429,  # a 429 turns the request away; a 5xx may have done the work
        retry_after=retry_after,
    )


def json_object(response: UpstreamResponse, key_name: str) -> dict[str, Any]:
    """The answer's JSON object, or the gateway error its status and body mean."""
    body = response.json()
    if response.status >= 300:
        raise openai_error(response.status, body, key_name, response.headers)
    if not isinstance(body, dict):
        raise GatewayError(
            502,
            f"OpenAI answered HTTP {response.status} with a body that is not a JSON object",
            code="upstream_invalid_response",
        )
    return body
