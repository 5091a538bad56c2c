"""Zod-shaped validation issues, as the Runway API returns them in a 400:

    {"error": "Validation of body failed", "issues": [{code, path, message, ...}], "docUrl": DOC_URL}

Messages follow Zod 4's wording, with enum values in single quotes as captured from the real API
(`Invalid option: expected one of '1280:720'|'720:1280'`).
"""

from __future__ import annotations

from typing import Any

DOC_URL = "https://docs.dev.runwayml.com/api"
VALIDATION_ERROR = "Validation of body failed"

Path = list[str | int]
Issue = dict[str, Any]


def validation_body(issues: list[Issue]) -> dict[str, Any]:
    return {"error": VALIDATION_ERROR, "issues": issues, "docUrl": DOC_URL}


def type_name(value: Any) -> str:
    """Zod's name for the type of a decoded JSON value ("received ...")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _quote(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def invalid_type(path: Path, expected: str, value: Any = None, *, missing: bool = False) -> Issue:
    received = "undefined" if missing else type_name(value)
    message = f"Invalid input: expected {expected}, received {received}"
    return {"expected": expected, "code": "invalid_type", "path": path, "message": message}


def no_matching_discriminator(path: Path, discriminator: str) -> Issue:
    return {
        "code": "invalid_union",
        "errors": [],
        "note": "No matching discriminator",
        "discriminator": discriminator,
        "path": path,
        "message": "Invalid input",
    }


def invalid_union(path: Path, errors: list[list[Issue]]) -> Issue:
    return {"code": "invalid_union", "errors": errors, "path": path, "message": "Invalid input"}


def invalid_value(path: Path, values: tuple[Any, ...] | list[Any]) -> Issue:
    if len(values) == 1:
        message = f"Invalid input: expected {_quote(values[0])}"
    else:
        message = "Invalid option: expected one of " + "|".join(_quote(v) for v in values)
    return {"code": "invalid_value", "values": list(values), "path": path, "message": message}


_UNITS = {"string": "characters", "array": "items"}


def _bound(code: str, path: Path, origin: str, limit: int) -> Issue:
    small = code == "too_small"
    word, sign, key = ("small", ">=", "minimum") if small else ("big", "<=", "maximum")
    if origin in _UNITS:
        message = f"Too {word}: expected {origin} to have {sign}{limit} {_UNITS[origin]}"
    else:
        message = f"Too {word}: expected {origin} to be {sign}{limit}"
    return {
        "origin": origin,
        "code": code,
        key: limit,
        "type": origin,
        "inclusive": True,
        "path": path,
        "message": message,
    }


def too_small(path: Path, origin: str, minimum: int) -> Issue:
    return _bound("too_small", path, origin, minimum)


def too_big(path: Path, origin: str, maximum: int) -> Issue:
    return _bound("too_big", path, origin, maximum)


def invalid_format(path: Path, pattern: str) -> Issue:
    return {
        "origin": "string",
        "code": "invalid_format",
        "format": "regex",
        "pattern": pattern,
        "path": path,
        "message": f"Invalid string: must match pattern /{pattern}/",
    }


def custom(path: Path, message: str) -> Issue:
    return {"code": "custom", "path": path, "message": message}


def unrecognized_keys(path: Path, keys: list[str]) -> Issue:
    plural = "s" if len(keys) > 1 else ""
    message = f"Unrecognized key{plural}: " + ", ".join(_quote(k) for k in keys)
    return {"code": "unrecognized_keys", "keys": keys, "path": path, "message": message}
