"""Runware's error answers → the gateway error a client should see.

Runware reports errors as `{"errors": [{code, message, parameter, taskType, taskUUID}]}`, on a
4xx/5xx or, for a failed task, on a 200. The client gets the upstream message with its parameter
(`"<message> (parameter: width)"`), Runware's code, and `param` naming the field the client sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from irisgate.providers.http import UpstreamResponse
from irisgate.providers.upstream_errors import answer_headers, key_refused
from irisgate.schemas.errors import GatewayError, parse_retry_after

# Runware field → the unified field a client knows, to name it in errors
UNIFIED_PARAM = {
    "positivePrompt": "prompt",
    "negativePrompt": "negative_prompt",
    "width": "size",
    "height": "size",
    "steps": "num_inference_steps",
    "numberResults": "n",
    "outputType": "response_format",
    "outputFormat": "output_format",
    "duration": "seconds",
}

VALIDATION_PREFIXES = ("invalid", "missing", "unsupported", "conflict")
UPSTREAM_STATUS = {400: 400, 404: 404, 409: 409, 413: 413, 422: 422, 402: 402, 429: 429, 503: 503, 504: 504}


def runware_error(
    status: int,
    body: Any,
    key_name: str = "",
    param_names: Mapping[str, str] = UNIFIED_PARAM,
    headers: Mapping[str, str] | None = None,
) -> GatewayError:
    """Runware's `errors[]` (on a 4xx/5xx, or on a 200 for a failed task) → the client's status."""
    errors = body.get("errors") if isinstance(body, dict) else body if isinstance(body, list) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("code") if isinstance(first.get("code"), str) else None
    message = str(first.get("message") or f"Runware request failed with HTTP {status}").strip()
    parameter = first.get("parameter") if isinstance(first.get("parameter"), str) else None
    text = f"{message} (parameter: {parameter})" if parameter else message
    param = param_names.get(parameter, parameter) if parameter else None  # name the field the client sent
    if status in (401, 403):
        return key_refused("Runware", key_name, text)
    http_failure = status != 200
    if status == 200:
        status = _task_error_status(code)
    mapped = UPSTREAM_STATUS.get(status, 502 if status >= 500 else 400)
    retry_after = parse_retry_after(headers) if mapped == 429 else None
    return GatewayError(
        mapped,
        text,
        code=code or "upstream_error",
        param=param,
        headers=answer_headers(mapped, retry_after),
        transient=http_failure and (mapped == 429 or mapped >= 500),
        nothing_created=http_failure and mapped == 429,  # a full queue turns tasks away before accepting them
        retry_after=retry_after,
    )


def _task_error_status(code: str | None) -> int:
    if not code:
        return 502
    if code.startswith(VALIDATION_PREFIXES) or code in (
        "contentPolicyViolation",
        "invalidModel",
        "modelNotFound",
    ):
        return 400
    if "Credits" in code or "Balance" in code or "Quota" in code:
        return 402
    if "RateLimit" in code or "rateLimit" in code:
        return 429
    return 502


def json_object(response: UpstreamResponse) -> dict[str, Any]:
    body = response.json()
    if isinstance(body, list):  # tolerate a bare error list
        return {"errors": body}
    if not isinstance(body, dict):
        raise GatewayError(
            502,
            f"Runware answered HTTP {response.status} with a body that is not a JSON object",
            code="upstream_invalid_response",
            transient=True,  # a proxy's error page, a truncated answer: worth asking again when safe
        )
    return body
