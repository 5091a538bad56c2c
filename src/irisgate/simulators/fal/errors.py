"""fal's error answers as the simulator gives them.

Model (input) errors: `{"detail": [{loc, msg, type, …}]}` with `loc` `["body", <field>]` (422, the
pydantic shape of `docs.fal.ai/errors`); request errors: `{"detail": "<text>", "error_type": …}` with
the same type in `X-Fal-Error-Type` (`fal.ai/docs/documentation/model-apis/request-errors`).
"""

from __future__ import annotations

from typing import Any

MISSING_KEY = "Missing authorization header"
INVALID_KEY = "No user found for Key ID and Secret"
REQUEST_NOT_FOUND = "Request not found"
STILL_RUNNING = "Request is still in progress"
APP_NOT_FOUND = "Application not found"
ERRORS_URL = "https://docs.fal.ai/errors#"

# request-error type and text for a status a fault answers with
REQUEST_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Bad request"),
    429: ("rate_limited", "Too many requests: rate limit exceeded"),
    500: ("internal_error", "An unexpected internal error occurred"),
    502: ("runner_incomplete_response", "The runner sent an incomplete response"),
    503: ("runner_scheduling_failure", "No runner could be allocated to handle the request"),
    504: ("request_timeout", "Request timed out"),
}


class ApiError(Exception):
    """An error answer: the HTTP status, the JSON body, and any extra headers."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body.get("detail")))
        self.status = status
        self.body = body
        self.headers = headers or {}


def detail_error(status: int, text: str) -> ApiError:
    return ApiError(status, {"detail": text})


def request_error(status: int, message: str | None = None) -> ApiError:
    """A request error of this status (`detail` text, `error_type`, `X-Fal-Error-Type`)."""
    kind, text = REQUEST_ERRORS.get(status, ("internal_error" if status >= 500 else "bad_request", ""))
    body = {"detail": message or text or f"HTTP {status}", "error_type": kind}
    return ApiError(status, body, {"x-fal-error-type": kind})


def issue(field: str, msg: str, kind: str, ctx: dict[str, Any] | None = None) -> dict[str, Any]:
    """One model error, located in the request body."""
    item: dict[str, Any] = {"loc": ["body", field], "msg": msg, "type": kind, "url": ERRORS_URL + kind}
    if ctx:
        item["ctx"] = ctx
    return item


def validation_error(issues: list[dict[str, Any]]) -> ApiError:
    return ApiError(422, {"detail": issues})
