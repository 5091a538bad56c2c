"""Runway's error answers (`{"error": "…", "issues": [Zod issues]}`) → the gateway error a client sees."""

from __future__ import annotations

from typing import Any

from irisgate.providers.upstream_errors import answer_headers, key_refused
from irisgate.schemas.errors import GatewayError, parse_retry_after

# Runway field → the unified field the client sent
UNIFIED_PARAM = {
    "promptText": "prompt",
    "promptImage": "input_reference",
    "ratio": "size",
    "duration": "seconds",
    "videoUri": "video_uri",
    "negativePrompt": "negative_prompt",
    "model": "model",
    "seed": "seed",
    "audio": "audio",
}
PASSED_THROUGH = {
    400: 400,
    402: 402,
    403: 403,
    404: 404,
    409: 409,
    413: 413,
    422: 422,
    429: 429,
    503: 503,
    504: 504,
}


def runway_error(status: int, body: Any, key_name: str, headers: Any = None) -> GatewayError:
    message, param = _describe(status, body)
    # 403 "Model variant X is not available" is about the model; any other 403 refuses the key
    refuses_key = status == 401 or (status == 403 and "model" not in message.lower())
    if refuses_key:
        return key_refused("Runway", key_name, message)
    mapped = PASSED_THROUGH.get(status, 502 if status >= 500 else 400)
    retry_after = parse_retry_after(headers) if mapped == 429 else None
    codes = {
        400: "invalid_request",
        403: "upstream_permission_denied",
        404: "not_found",
        429: "rate_limit_exceeded",
    }
    return GatewayError(
        mapped,
        message,
        code=codes.get(mapped, "upstream_error"),
        param=param,
        headers=answer_headers(mapped, retry_after),
        transient=mapped == 429 or mapped >= 500,
        nothing_created=mapped == 429,  # a 429 turns the create away; a 5xx may have started it
        retry_after=retry_after,
    )


def _describe(status: int, body: Any) -> tuple[str, str | None]:
    """The message (with the first validation issue and its path) and the unified param it names."""
    if not isinstance(body, dict):
        return f"Runway request failed with HTTP {status}", None
    message = str(body.get("error") or f"Runway request failed with HTTP {status}").strip()
    issues = body.get("issues")
    if isinstance(issues, list) and issues and isinstance(issues[0], dict):
        issue = issues[0]
        path = ".".join(str(part) for part in issue.get("path") or [])
        detail = str(issue.get("message") or "").strip()
        message = f"{message}: {detail}" + (f" (path: {path})" if path else "")
        root = str((issue.get("path") or [""])[0])
        return message, UNIFIED_PARAM.get(root, root or None)
    return message, None
