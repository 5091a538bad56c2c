"""The `POST /v1` envelope: a JSON array of tasks in, `{"data":[...]}` and/or `{"errors":[...]}` out.

Auth: `Authorization: Bearer <key>`, or a first element `{"taskType":"authentication","apiKey":...}`
(which wins over the header and adds `{"taskType":"authentication","connectionSessionUUID":...}` to
`data`). Status: 200 when any task succeeded (a mixed batch carries both keys); otherwise the status
of the first error, and no `data` key (the authentication item is dropped then too).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import INVALID_API_KEY_MESSAGE, TaskFailure, error_item


def parse_tasks(raw: bytes) -> list[Any]:
    """The request body as a list; raises a 400 `invalidParameter` TaskFailure otherwise."""
    try:
        body = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise TaskFailure(error_item("invalidParameter", "Invalid JSON in request body.")) from None
    if not isinstance(body, list):
        raise TaskFailure(
            error_item(
                "invalidParameter", "The request body must be a JSON array of task objects.", type_="array"
            )
        )
    if not body:
        raise TaskFailure(
            error_item("invalidParameter", "The request body must contain at least one task.", type_="array")
        )
    return body


def _auth_error(code: str, message: str) -> TaskFailure:
    return TaskFailure(
        error_item(code, message, parameter="apiKey", type_="string", task_type="authentication"), 401
    )


def bearer_key(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization")
    if value is None:
        return None
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() != "bearer":
        return value.strip()  # not a bearer token: checked as given (so it fails unless it is a key)
    return key.strip()


@dataclass
class AuthResult:
    api_key: str
    data: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[Any] = field(default_factory=list)


def authenticate(tasks: list[Any], headers: dict[str, str], api_keys: set[str]) -> AuthResult:
    """Check the key; returns it, the authentication data items and the remaining tasks."""
    first = tasks[0]
    if isinstance(first, dict) and first.get("taskType") == "authentication":
        key = first.get("apiKey")
        if not isinstance(key, str) or not key:
            raise _auth_error(
                "missingApiKey",
                "Missing API key. Send it in the 'apiKey' field of the "
                "authentication task or as 'Authorization: Bearer <key>'.",
            )
        if key not in api_keys:
            raise _auth_error("invalidApiKey", INVALID_API_KEY_MESSAGE)
        session = first.get("connectionSessionUUID")
        session_uuid = session if isinstance(session, str) and session else str(uuid.uuid4())
        item = {"taskType": "authentication", "connectionSessionUUID": session_uuid}
        return AuthResult(key, [item], tasks[1:])
    key = bearer_key(headers)
    if not key:
        raise _auth_error(
            "missingApiKey",
            "Missing API key. Send it as 'Authorization: Bearer <key>' or in an authentication task.",
        )
    if key not in api_keys:
        raise _auth_error("invalidApiKey", INVALID_API_KEY_MESSAGE)
    return AuthResult(key, [], tasks)


def build_body(
    auth_items: list[dict[str, Any]], items: list[dict[str, Any]], failures: list[TaskFailure]
) -> tuple[int, dict[str, Any]]:
    """(status, body) for a processed batch."""
    if failures and not items:
        return failures[0].status, {"errors": [f.error for f in failures]}
    body: dict[str, Any] = {"data": auth_items + items}
    if failures:
        body["errors"] = [f.error for f in failures]
    return 200, body


def failure_body(failure: TaskFailure) -> tuple[int, dict[str, Any]]:
    return failure.status, {"errors": [failure.error]}
