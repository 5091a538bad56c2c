"""The one error type of the gateway and its OpenAI-shaped JSON body.

Every failure a client can see is a `GatewayError`: the server renders it as
`{"error": {"message", "type", "code", "param"}}` with its HTTP status, so the
official OpenAI SDK raises the matching exception class.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
    503: "upstream_error",
    504: "timeout_error",
}


class GatewayError(Exception):
    """An error with an HTTP status that is safe to show to the client as it is.

    Errors from a provider also say what the gateway may do about them: `transient` (the same
    call may succeed later: 429, 5xx, network, timeout), `key_rejected` (the provider refused the
    key: 401/403), `nothing_created` (proof that a create did not start billed work, so it may be
    sent again), and `retry_after` (seconds the provider asked to wait).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        error_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        transient: bool = False,
        key_rejected: bool = False,
        nothing_created: bool = False,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.transient = transient
        self.key_rejected = key_rejected
        self.nothing_created = nothing_created
        self.retry_after = retry_after
        self.error_type = error_type or ERROR_TYPES.get(
            status, "server_error" if status >= 500 else "invalid_request_error"
        )
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "code": self.code,
                "param": self.param,
            }
        }


def invalid_request(message: str, param: str | None, code: str = "invalid_value") -> GatewayError:
    """A 400 for bad client input; `param` names the offending field."""
    return GatewayError(400, message, code=code, param=param)


def unsupported_operation(operation: str, provider: str) -> GatewayError:
    return GatewayError(
        400,
        f"{operation} is not supported by the {provider} provider",
        code="unsupported_operation",
        error_type="invalid_request_error",
    )


TASK_NOT_FOUND = "upstream_task_not_found"


def task_not_found(provider: str) -> GatewayError:
    """The provider does not know the task (any more): the job it belongs to has ended for good."""
    return GatewayError(404, f"{provider} does not know this video task", code=TASK_NOT_FOUND)


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds; HTTP dates are ignored)."""
    if not headers:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = headers.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue
        if 0 <= value <= 3600:
            return value
    return None
