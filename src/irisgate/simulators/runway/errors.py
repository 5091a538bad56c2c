"""Runway's error answers: `{"error": "..."}` (plus `issues`/`docUrl` for validation) and their statuses."""

from __future__ import annotations

from typing import Any

MISSING_KEY = "No API key provided. Pass it in the Authorization header as `Bearer <key>`."
INVALID_KEY = "Invalid API key. Check it at https://dev.runwayml.com/ and pass it as `Bearer <key>`."
MISSING_VERSION = "The X-Runway-Version header is required. Use X-Runway-Version: 2024-11-06."
TASK_NOT_FOUND = "Could not find Task"
INVALID_JSON = "Request body must be valid JSON."
DAILY_LIMIT = "You have exceeded the daily generation limit for your organization. Please try again later."

# Default `error` text when a fault answers a request with an HTTP status.
HTTP_ERROR_DEFAULTS: dict[int, str] = {
    400: "Bad request.",
    401: INVALID_KEY,
    402: "You do not have enough credits to run this task.",
    403: "Forbidden.",
    404: "Not found.",
    429: "Too many requests. Please try again later.",
    500: "An internal error occurred. Please try again.",
    502: "Bad gateway. Please try again.",
    503: "Service unavailable: the API is under heavy load. Please try again.",
    504: "Gateway timeout: the API is overloaded. Please try again.",
}


def default_message(status: int) -> str:
    if status in HTTP_ERROR_DEFAULTS:
        return HTTP_ERROR_DEFAULTS[status]
    return HTTP_ERROR_DEFAULTS[500] if status >= 500 else f"HTTP {status}."


def invalid_version(version: str) -> str:
    return f"Invalid X-Runway-Version '{version}'. Use X-Runway-Version: 2024-11-06."


def model_unavailable(model: str) -> str:
    return f"Model variant {model} is not available"


class ApiError(Exception):
    """An error answer: the HTTP status, the JSON body, and any extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any] | str, headers: dict[str, str] | None = None
    ) -> None:
        self.body = {"error": body} if isinstance(body, str) else body
        super().__init__(str(self.body.get("error")))
        self.status = status
        self.headers = headers or {}
