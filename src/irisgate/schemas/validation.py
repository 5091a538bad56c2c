"""Turn pydantic validation errors into a 400 that names the field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from irisgate.schemas.errors import GatewayError, invalid_request

M = TypeVar("M", bound=BaseModel)
MAX_NESTING = 32  # far below the JSON encoder's limit, so whatever validates can be forwarded


def field_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def to_gateway_error(exc: ValidationError) -> GatewayError:
    first = exc.errors(include_url=False, include_input=False)[0]
    param = field_path(first["loc"])
    kind = first["type"]
    if kind == "missing":
        return invalid_request(f"'{param}' is required", param, code="missing_required_parameter")
    message = first["msg"].removeprefix("Value error, ")
    return invalid_request(f"Invalid '{param}': {message}", param)


def too_deep(data: dict[str, Any], limit: int = MAX_NESTING) -> str | None:
    """The first field whose value nests objects or arrays more than `limit` levels deep, if any."""
    for name, value in data.items():
        if not isinstance(value, dict | list):
            continue  # most fields: nothing to walk
        stack = [(value, 1)]
        while stack:
            item, depth = stack.pop()
            if isinstance(item, dict | list):
                if depth > limit:
                    return str(name)
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)
    return None


def parse_model(model_cls: type[M], data: Any) -> M:
    """Validate `data` into `model_cls`, raising a `GatewayError` (400) naming the first bad field."""
    if not isinstance(data, dict):
        raise invalid_request("The request body must be a JSON object", None, code="invalid_json")
    deep = too_deep(data)
    if deep is not None:
        raise invalid_request(f"Invalid '{deep}': nested more than {MAX_NESTING} levels deep", deep)
    try:
        return model_cls.model_validate(data)
    except ValidationError as exc:
        raise to_gateway_error(exc) from None
