"""Google's error answers → the gateway error a client sees.

The Gemini API answers errors as `{"error": {"code": <HTTP status>, "message", "status": <google.rpc
code name>, "details": [...]}}` (what the official client's `errors.APIError` reads: `code`,
`status`, `message`). A rejected key is `400 INVALID_ARGUMENT` with an `ErrorInfo` detail of reason
`API_KEY_INVALID` ("API key not valid. Please pass a valid API key."), or 401/403; a quota is
`429 RESOURCE_EXHAUSTED`, whose `RetryInfo` detail says how long to wait (`"retryDelay": "26s"`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from irisgate.providers.google.mapping import UNIFIED_PARAM, VIDEO_PARAM
from irisgate.providers.http import UpstreamResponse
from irisgate.providers.upstream_errors import answer_headers, key_refused
from irisgate.schemas.errors import GatewayError, parse_retry_after

KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED", "SERVICE_DISABLED"})
PASSED_THROUGH = {400: 400, 404: 404, 409: 409, 413: 413, 429: 429, 503: 503, 504: 504}
FIELD_NAMES = re.compile(r"\b(" + "|".join(sorted(VIDEO_PARAM, key=len, reverse=True)) + r")\b")
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def google_error(
    status: int,
    body: Any,
    key_name: str,
    headers: Mapping[str, str] | None = None,
    param_names: Mapping[str, str] = UNIFIED_PARAM,
) -> GatewayError:
    """``param_names``: the Gemini API's field names → the unified fields of this call (images or videos)."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    rpc_status = str(error.get("status") or "")
    message = str(error.get("message") or f"Google answered HTTP {status}").strip()
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    if key_rejected(status, details, message):
        return key_refused("Google", key_name, message)
    mapped = PASSED_THROUGH.get(status, 502 if status >= 500 else 400)
    retry_after = _retry_delay(details) if mapped == 429 else None
    if mapped == 429 and retry_after is None:
        retry_after = parse_retry_after(headers)
    return GatewayError(
        mapped,
        f"Google: {message}" + (f" ({rpc_status})" if rpc_status else ""),
        code=(rpc_status or "upstream_error").lower() if mapped < 500 else "upstream_error",
        param=_param(status, message, details, param_names),
        headers=answer_headers(mapped, retry_after),
        transient=mapped == 429 or mapped >= 500,
        nothing_created=mapped == 429,  # a quota turns the call away; a 5xx may have started the work
        retry_after=retry_after,
    )


def key_rejected(status: int, details: list[dict[str, Any]], message: str) -> bool:
    if status in (401, 403):
        return True
    reasons = {str(d.get("reason")) for d in details if "ErrorInfo" in str(d.get("@type", ""))}
    return bool(reasons & KEY_REASONS) or (status == 400 and "api key" in message.lower())


def _param(status: int, message: str, details: list[dict[str, Any]], names: Mapping[str, str]) -> str | None:
    """The unified field an error is about: a `BadRequest` field violation's, else a field the
    message names (`aspectRatio` → `size`); a model Google does not know is about `model`."""
    for detail in details:
        for violation in detail.get("fieldViolations") or []:
            field = str(violation.get("field", "")) if isinstance(violation, dict) else ""
            found = [name for name in FIELD_NAMES.findall(field) if name in names]
            if found:
                return names[found[-1]]
    if status == 404 and "models/" in message:
        return "model"
    found = [name for name in FIELD_NAMES.findall(message) if name in names]
    return names[found[0]] if found and status == 400 else None


def _retry_delay(details: list[dict[str, Any]]) -> float | None:
    for detail in details:
        if "RetryInfo" in str(detail.get("@type", "")):
            match = DURATION.match(str(detail.get("retryDelay", "")))
            if match and float(match.group(1)) <= 3600:
                return float(match.group(1))
    return None


def json_object(response: UpstreamResponse) -> dict[str, Any]:
    body = response.json()
    if not isinstance(body, dict):
        raise GatewayError(  # a proxy's error page, a truncated answer: worth asking again when safe
            502,
            f"Google answered HTTP {response.status} with a body that is not a JSON object",
            code="upstream_invalid_response",
            transient=True,
        )
    return body
