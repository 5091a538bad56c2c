"""Runway's error answers (`{"error": "…", "issues": [Zod issues]}`) → the gateway error a client sees."""

from __future__ import annotations

from typing import Any

from irisgate.schemas.errors import GatewayError

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
    if status == 401:
        return GatewayError(
            502,
            f"Runway rejected the provider key '{key_name}': {message}",
            code="upstream_authentication_failed",
            headers={"x-should-retry": "false"},
        )
    mapped = PASSED_THROUGH.get(status, 502 if status >= 500 else 400)
    extra: dict[str, str] = {}
    if mapped == 429:
        extra["retry-after"] = str((headers or {}).get("retry-after") or "1")
    elif mapped < 500:
        extra["x-should-retry"] = "false"
    code = {
        400: "invalid_request",
        403: "upstream_permission_denied",
        404: "not_found",
        429: "rate_limit_exceeded",
    }
    return GatewayError(mapped, message, code=code.get(mapped, "upstream_error"), param=param, headers=extra)


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
