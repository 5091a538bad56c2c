"""OpenAI's error answers: `{"error": {"message", "type", "param", "code"}}` and their statuses.

The shape is the SDK's `ErrorObject` (`openai/types/shared/error_object.py`); the statuses and causes
are those of OpenAI's error-code guide (developers.openai.com/docs/guides/error-codes). The message
texts follow what OpenAI sends as far as public reports show them; they are not a contract.
"""

from __future__ import annotations

from typing import Any

KEYS_URL = "https://platform.openai.com/account/api-keys"
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using "
    f"Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from {KEYS_URL}."
)
INVALID_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your "
    "HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)"
)
NOT_MULTIPART = "Invalid Content-Type header ({}), expected multipart/form-data."
MODERATION_BLOCKED = (
    "Your request was rejected as a result of our safety system. Your request may contain content that "
    "is not allowed by our safety system."
)
QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information "
    "on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors."
)
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"

# (message, type, code) of an error answer a fault gives with only a status
STATUS_DEFAULTS: dict[int, tuple[str, str, str | None]] = {
    400: ("Bad request.", "invalid_request_error", None),
    401: (
        f"Incorrect API key provided. You can find your API key at {KEYS_URL}.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: (
        "Country, region, or territory not supported",
        "invalid_request_error",
        "unsupported_country_region_territory",
    ),
    404: ("Not found.", "invalid_request_error", None),
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: (SERVER_ERROR, "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
}


class ApiError(Exception):
    """An error answer: the HTTP status, OpenAI's error object, and any extra headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "error": {"message": message, "type": error_type, "param": param, "code": code}
        }
        self.headers = headers or {}


def for_status(status: int, message: str | None = None, code: str | None = None) -> ApiError:
    """The error a fault answers with ``status`` (OpenAI's usual text, type and code for it)."""
    default_message, error_type, default_code = STATUS_DEFAULTS.get(
        status, STATUS_DEFAULTS[500] if status >= 500 else (f"HTTP {status}.", "invalid_request_error", None)
    )
    return ApiError(status, message or default_message, error_type=error_type, code=code or default_code)


def invalid_value(param: str, value: Any, allowed: tuple[str, ...]) -> ApiError:
    quoted = [f"'{item}'" for item in allowed]
    listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}" if len(quoted) > 2 else " and ".join(quoted)
    return ApiError(
        400, f"Invalid value: '{value}'. Supported values are: {listed}.", param=param, code="invalid_value"
    )


def unknown_parameter(param: str) -> ApiError:
    return ApiError(400, f"Unknown parameter: '{param}'.", param=param, code="unknown_parameter")


def missing_parameter(param: str) -> ApiError:
    return ApiError(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def invalid_type(param: str, expected: str, got: Any) -> ApiError:
    kind = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}.get(
        type(got), "a value"
    )
    return ApiError(
        400,
        f"Invalid type for '{param}': expected {expected}, but got {kind} instead.",
        param=param,
        code="invalid_type",
    )


def out_of_range(param: str, value: int, low: int, high: int) -> ApiError:
    if value > high:
        return ApiError(
            400,
            f"Invalid '{param}': integer above maximum value. Expected a value <= {high}, but got {value} "
            "instead.",
            param=param,
            code="integer_above_max_value",
        )
    return ApiError(
        400,
        f"Invalid '{param}': integer below minimum value. Expected a value >= {low}, but got {value} "
        "instead.",
        param=param,
        code="integer_below_min_value",
    )


def masked(key: str) -> str:
    """A key as OpenAI shows it in an error: its ends, the middle starred."""
    return key[:3] + "*" * max(len(key) - 7, 1) + key[-4:] if len(key) > 8 else "*" * len(key)
