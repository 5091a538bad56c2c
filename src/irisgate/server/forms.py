"""Request bodies: JSON objects and multipart forms as the OpenAI SDK sends them.

Multipart scalars arrive as strings and nested objects in bracket notation
(`metadata[a]=b`, `image[]` repeated). `read_multipart` rebuilds the nesting and
keeps file parts apart; `decode_loose` turns JSON-looking strings of
provider-native fields (`outpaint={"top":256}`, `CFGScale=7`) back into values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request

from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.schemas.validation import MAX_NESTING

KEY_PATTERN = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
INTEGER_PATTERN = re.compile(r"-?[0-9]+")
NUMBER_PATTERN = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$")
MAX_FORM_FILES = 20
MAX_FORM_FIELDS = 200


@dataclass
class MultipartBody:
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, list[UploadFile]] = field(default_factory=dict)


async def read_body(request: Request) -> bytes | bytearray:
    """The whole body, in one buffer: of the declared length when there is one (the size guard has
    checked it), so that a large body is held once, not once in pieces and again joined. Not kept
    on the request: the caller parses it and lets it go."""
    declared = request.headers.get("content-length", "")
    buffer = bytearray(int(declared)) if declared.isascii() and declared.isdigit() else bytearray()
    filled = 0
    async for chunk in request.stream():
        if filled + len(chunk) <= len(buffer):
            buffer[filled : filled + len(chunk)] = chunk
        else:
            buffer[filled:] = chunk
        filled += len(chunk)
    if filled < len(buffer):
        del buffer[filled:]
    return buffer


JSON_TYPES = re.compile(r"application/(?:[\w.+-]+\+)?json(?:\s*;.*)?", re.IGNORECASE | re.DOTALL)


async def read_json_object(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if not JSON_TYPES.fullmatch(content_type.strip()):
        raise GatewayError(  # also what keeps web pages out: they cannot send JSON cross-origin
            415,
            f"This endpoint takes a JSON body with Content-Type: application/json, not "
            f"{content_type.split(';')[0].strip() or 'a body without a Content-Type'}",
            code="unsupported_media_type",
            param="Content-Type",
        )
    try:
        raw = await read_body(request)
    except ClientDisconnect:
        raise client_gone() from None
    if not raw or raw.isspace():  # (no strip(): that would copy a large body)
        raise invalid_request("The request body is empty; send a JSON object", None, code="invalid_json")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise invalid_request(
            f"The request body is not valid JSON: {exc}", None, code="invalid_json"
        ) from None
    if not isinstance(data, dict):
        raise invalid_request("The request body must be a JSON object", None, code="invalid_json")
    return data


async def read_multipart(request: Request) -> MultipartBody:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise GatewayError(
            415 if content_type else 400,
            f"This endpoint expects multipart/form-data, got {content_type or 'no Content-Type'}",
            code="invalid_content_type",
            error_type="invalid_request_error",
        )
    try:
        form = await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    except HTTPException as exc:
        raise invalid_request(
            f"Malformed multipart body: {exc.detail}", None, code="invalid_multipart"
        ) from None
    except ClientDisconnect:
        raise client_gone() from None
    body = MultipartBody()
    for key, value in form.multi_items():
        name, path = split_form_key(key)
        if len(path) >= MAX_NESTING:
            raise invalid_request(f"Invalid '{name}': nested more than {MAX_NESTING} levels deep", name)
        if isinstance(value, UploadFile):
            body.files.setdefault(name, []).append(value)
        else:
            set_nested(body.fields, name, path, value)
    return body


def client_gone() -> GatewayError:
    """The client closed the connection before the whole body arrived (nobody reads this answer)."""
    message = "The client closed the connection before sending the whole body"
    return invalid_request(message, None, code="incomplete_body")


def split_form_key(key: str) -> tuple[str, list[str]]:
    """`a[b][]` → ("a", ["b", ""]); a key that is not bracket notation is kept whole."""
    match = KEY_PATTERN.match(key)
    if not match:
        return key, []
    return match.group(1), re.findall(r"\[([^\[\]]*)\]", match.group(2))


def set_nested(target: dict[str, Any], name: str, path: list[str], value: Any) -> None:
    """Place one form value at `name[path…]`, as `qs` parses brackets: `a[][x]=1&a[][y]=2` → a=[{x,y}]."""
    keys: list[Any] = [name, *path]
    container: Any = target
    for depth, key in enumerate(keys[:-1]):
        child_is_list = keys[depth + 1] == ""
        container = _child(container, key, [] if child_is_list else {}, keys[depth + 1])
    last = keys[-1]
    if isinstance(container, list):
        container.append(value)
    else:
        container[last] = value


def _child(container: Any, key: Any, empty: list[Any] | dict[str, Any], next_key: Any) -> Any:
    """The container at `key` (created if absent); for a list, the element a following key belongs to."""
    if isinstance(container, list):
        last = container[-1] if container else None
        if isinstance(last, type(empty)) and isinstance(last, dict) and next_key not in last:
            return last
        container.append(empty)
        return empty
    existing = container.get(key)
    if not isinstance(existing, type(empty)):
        container[key] = empty
        return empty
    return existing


def decode_loose(value: Any) -> Any:
    """Decode a JSON-looking string (object, array, number, true/false/null); leave other values alone."""
    if isinstance(value, dict):
        return {k: decode_loose(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_loose(v) for v in value]
    if not isinstance(value, str):
        return value
    text = value.strip()
    if (
        (text[:1] in "{[" and text[-1:] in "}]")
        or text in ("true", "false", "null")
        or NUMBER_PATTERN.match(text)
    ):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return value
    return value


def int_param(raw: str | None, name: str, default: int | None, low: int, high: int) -> int | None:
    """An integer query parameter within [low, high]; a 400 naming it otherwise."""
    if raw is None or raw == "":
        return default
    if INTEGER_PATTERN.fullmatch(raw) is None:  # int() also takes "1_0" and full-width digits
        raise invalid_request(f"'{name}' must be an integer, got {raw!r}", name)
    value = int(raw)
    if not low <= value <= high:
        raise invalid_request(f"'{name}' must be between {low} and {high}, got {value}", name)
    return value
