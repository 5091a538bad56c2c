"""The Gemini API's error answers: `{"error": {"code", "message", "status", "details"}}`.

A bad key is `400 INVALID_ARGUMENT` with `ErrorInfo` reason `API_KEY_INVALID` and a
`LocalizedMessage`; no key at all is `403 PERMISSION_DENIED`; a quota is `429 RESOURCE_EXHAUSTED`
with `QuotaFailure`, `Help` and `RetryInfo` details (the shapes users of the real API report, e.g.
googleapis/python-genai and google-gemini/gemini-cli issues).
"""

from __future__ import annotations

from typing import Any

STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
DEFAULT_MESSAGES = {
    400: "Request contains an invalid argument.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Resource has been exhausted (e.g. check quota).",
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
    504: "Deadline expired before operation could complete.",
}
BAD_KEY = "API key not valid. Please pass a valid API key."
NO_KEY = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)
QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more information "
    "on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)
SERVICE = "generativelanguage.googleapis.com"


class ApiError(Exception):
    """An error answer: HTTP status, the Google error object, and extra headers."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.message = message or default_message(status)
        super().__init__(self.message)
        self.details = details
        self.headers = headers or {}

    @property
    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "code": self.status,
            "message": self.message,
            "status": STATUS_NAMES.get(
                self.status, "INTERNAL" if self.status >= 500 else "FAILED_PRECONDITION"
            ),
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}


def default_message(status: int) -> str:
    return DEFAULT_MESSAGES.get(status) or DEFAULT_MESSAGES[500 if status >= 500 else 400]


def bad_key() -> ApiError:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "API_KEY_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": SERVICE},
        },
        {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": BAD_KEY},
    ]
    return ApiError(400, BAD_KEY, details)


def no_key() -> ApiError:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": "CONSUMER_INVALID",
            "domain": "googleapis.com",
            "metadata": {"service": SERVICE},
        }
    ]
    return ApiError(403, NO_KEY, details)


def quota_exceeded(model: str | None, retry_delay: float) -> ApiError:
    details = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": f"{SERVICE}/predict_requests",
                    "quotaId": "PredictRequestsPerDayPerProjectPerModel",
                    "quotaDimensions": {"location": "global", "model": model or "unknown"},
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry_delay:g}s"},
    ]
    return ApiError(429, QUOTA, details)


def model_not_found(model: str, method: str) -> ApiError:
    return ApiError(
        404,
        f"models/{model} is not found for API version v1beta, or is not supported for {method}. "
        "Call ListModels to see the list of available models and their supported methods.",
    )


def invalid(message: str) -> ApiError:
    return ApiError(400, message)
