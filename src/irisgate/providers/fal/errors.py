"""fal's error answers → the gateway error a client sees.

Two shapes, from fal's docs: model errors (`docs.fal.ai/errors`) are `{"detail": [{loc, msg, type,
url?, ctx?}]}`, `loc` starting with `"body"` then the input field (FastAPI/pydantic validation: 422);
request errors (`fal.ai/docs/documentation/model-apis/request-errors`) are `{"detail": "<text>",
"error_type": "<category>"}`, the category also in the `X-Fal-Error-Type` header. `X-Fal-Retryable:
false` says retrying the same request cannot help. The official clients read the same fields
(`fal_client.client._raise_for_status`: `detail`, `error_type`, `x-fal-error-type`; fal-js
`ValidationError.fieldErrors` for a 422).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from irisgate.providers.upstream_errors import answer_headers, key_refused
from irisgate.schemas.errors import GatewayError, parse_retry_after

# fal input field → the unified field a client sent, per operation (to name it in `param`)
GENERATION_PARAM = {
    "prompt": "prompt",
    "image_size": "size",
    "aspect_ratio": "size",
    "num_images": "n",
    "num_inference_steps": "num_inference_steps",
    "seed": "seed",
    "negative_prompt": "negative_prompt",
    "output_format": "output_format",
    "sync_mode": "response_format",
}
EDIT_PARAM = {**GENERATION_PARAM, "image_url": "image", "mask_url": "mask"}
VIDEO_PARAM = {
    "prompt": "prompt",
    "image_url": "input_reference",
    "duration": "seconds",
    "aspect_ratio": "size",
    "negative_prompt": "negative_prompt",
    "seed": "seed",
}
PASSED_THROUGH = {400: 400, 402: 402, 404: 404, 409: 409, 413: 413, 422: 400, 429: 429, 503: 503, 504: 504}
CODES = {400: "invalid_request", 402: "insufficient_quota", 404: "not_found", 429: "rate_limit_exceeded"}


def fal_error(
    status: int,
    body: Any,
    key_name: str,
    param_names: Mapping[str, str] = GENERATION_PARAM,
    headers: Mapping[str, str] | None = None,
) -> GatewayError:
    """An error answer of the queue (submit, status, result, cancel) → the client's error."""
    message, kind, param = describe(status, body, param_names, headers)
    if status in (401, 403):
        return key_refused("fal", key_name, message)
    mapped = PASSED_THROUGH.get(status, 502 if status >= 500 else 400)
    retry_after = parse_retry_after(headers) if mapped == 429 else None
    retryable = (headers or {}).get("x-fal-retryable", "").strip().lower() != "false"
    return GatewayError(
        mapped,
        message,
        code=kind or CODES.get(mapped, "upstream_error"),
        param=param,
        headers=answer_headers(mapped, retry_after),
        transient=retryable and (mapped == 429 or mapped >= 500),
        nothing_created=mapped == 429,  # a 429 turns the request away; a 5xx may have queued it
        retry_after=retry_after,
    )


def describe(
    status: int, body: Any, param_names: Mapping[str, str], headers: Mapping[str, str] | None = None
) -> tuple[str, str | None, str | None]:
    """(message, fal's error type, the unified param) of an error body of either shape."""
    kind = (headers or {}).get("x-fal-error-type")
    if not isinstance(body, dict):
        return f"fal request failed with HTTP {status}", kind, None
    detail = body.get("detail")
    if isinstance(body.get("error_type"), str):
        kind = body["error_type"]
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = [str(part) for part in first.get("loc") or [] if part != "body"]
        text = str(first.get("msg") or "invalid input").strip()
        field = loc[0] if loc else None
        where = f" (field: {'.'.join(loc)})" if loc else ""
        more = f" and {len(detail) - 1} more" if len(detail) > 1 else ""
        kind = str(first.get("type")) if first.get("type") else kind
        return f"{text}{where}{more}", kind, param_names.get(field, field) if field else None
    if isinstance(detail, str) and detail.strip():
        return detail.strip(), kind, None
    if isinstance(body.get("error"), str):  # a completed request's status may carry its error
        return body["error"], kind, None
    return f"fal request failed with HTTP {status}", kind, None
