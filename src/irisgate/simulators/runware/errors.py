"""Runware error objects (`{"errors":[{code, message, parameter, type, taskType, taskUUID}]}`)."""

from __future__ import annotations

from typing import Any

DOCS_BASE = "https://runware.ai/docs"

INVALID_API_KEY_MESSAGE = "Invalid API key. Get one at https://my.runware.ai/signup"

# Default error code and message when a fault answers a whole request with an HTTP status.
HTTP_ERROR_DEFAULTS: dict[int, tuple[str, str]] = {
    400: ("invalidParameter", "Bad Request: the request was unacceptable."),
    401: ("invalidApiKey", INVALID_API_KEY_MESSAGE),
    402: ("insufficientCredits", "Insufficient credits. Top up your balance at https://my.runware.ai/wallet"),
    403: ("insufficientPermissions", "Forbidden: the API key lacks permission to perform the request."),
    404: ("notFound", "Not Found: the requested resource does not exist."),
    408: ("requestTimeout", "Request Timeout."),
    429: ("rateLimitExceeded", "Too Many Requests: queue capacity exceeded. Retry with exponential backoff."),
    500: ("internalServerError", "Internal Server Error. Please try again later."),
    502: ("serviceUnavailable", "Bad Gateway: temporary capacity problem. Please retry."),
    503: ("serviceUnavailable", "Service Unavailable: temporary capacity problem. Please retry."),
    504: ("timeoutProvider", "Gateway Timeout: queue wait exceeded. Please retry."),
}


def http_error_default(status: int) -> tuple[str, str]:
    if status in HTTP_ERROR_DEFAULTS:
        return HTTP_ERROR_DEFAULTS[status]
    if status >= 500:
        return HTTP_ERROR_DEFAULTS[500]
    return ("invalidParameter", f"HTTP {status}")


def error_item(
    code: str,
    message: str,
    *,
    parameter: str | None = None,
    type_: str | None = None,
    task_type: str | None = None,
    task_uuid: str | None = None,
    documentation: str | None = None,
) -> dict[str, Any]:
    """One element of `errors[]`; absent fields are omitted, never null."""
    item: dict[str, Any] = {"code": code, "message": message}
    optional = {
        "parameter": parameter,
        "type": type_,
        "taskType": task_type,
        "taskUUID": task_uuid,
        "documentation": documentation,
    }
    item.update({k: v for k, v in optional.items() if v is not None})
    return item


class TaskFailure(Exception):
    """A task (or the whole request) failed; carries the error object and the HTTP status it implies."""

    def __init__(self, error: dict[str, Any], status: int = 400) -> None:
        super().__init__(error.get("message", ""))
        self.error = error
        self.status = status


def task_ids(task: Any) -> tuple[str | None, str | None]:
    """(taskType, taskUUID) of a task object, as strings when they are strings."""
    if not isinstance(task, dict):
        return None, None
    task_type = task.get("taskType")
    task_uuid = task.get("taskUUID")
    return (
        task_type if isinstance(task_type, str) else None,
        task_uuid if isinstance(task_uuid, str) else None,
    )


def param_docs(task_type: str | None, parameter: str) -> str:
    page = {"imageInference": "image-inference/api-reference", "imageUpload": "platform/media-storage"}
    path = page.get(task_type or "", "platform/errors")
    return f"{DOCS_BASE}/{path}#request-{parameter.lower()}"


def invalid(
    task: dict[str, Any],
    parameter: str,
    message: str,
    *,
    code: str = "invalidParameter",
    type_: str | None = None,
    status: int = 400,
) -> TaskFailure:
    """A validation failure for one field of ``task``."""
    task_type, task_uuid = task_ids(task)
    return TaskFailure(
        error_item(
            code,
            message,
            parameter=parameter,
            type_=type_,
            task_type=task_type,
            task_uuid=task_uuid,
            documentation=param_docs(task_type, parameter),
        ),
        status,
    )
