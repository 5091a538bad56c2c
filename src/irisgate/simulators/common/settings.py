"""A base for simulator settings dataclasses: copy, in-place restore, JSON patch and JSON view.

Patching is driven by the field annotations (``bool``, ``int``, ``float``, ``str``, ``set[str]``,
each optionally ``| None``); numbers must be non-negative. A subclass adds field-specific rules by
overriding `check(name, value)`. Subclasses must be dataclasses declared with
``from __future__ import annotations`` or plain annotations; both are resolved with get_type_hints.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from typing import Any, Self

from .values import is_int, is_number


class SimSettings:
    """Mixin for a ``@dataclass`` of knobs that tests mutate in place (``sim.settings.x = ...``)."""

    def copy(self) -> Self:
        """A deep copy (sets and other containers are not shared)."""
        return copy.deepcopy(self)

    def restore(self, other: Self, *, keep_api_keys: bool = True) -> None:
        """Copy every field of ``other`` into this instance (in place, so references stay valid)."""
        fresh = other.copy()
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if keep_api_keys and f.name == "api_keys":
                continue
            setattr(self, f.name, getattr(fresh, f.name))

    def patch(self, changes: dict[str, Any]) -> None:
        """Apply a JSON subset of fields; raises ValueError on an unknown field or a bad value.

        Every value is checked before any is applied, so a bad patch changes nothing.
        """
        hints = typing.get_type_hints(type(self))
        names = {f.name for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        coerced = {name: self.check(name, coerce(name, hints[name], v)) for name, v in changes.items()}
        for name, value in coerced.items():
            setattr(self, name, value)

    def check(self, name: str, value: Any) -> Any:
        """Field-specific validation after type coercion; raise ValueError to refuse. Here the rule
        of the field several simulators have: an MP4 `free` box is at least 16 bytes (its header)."""
        if name == "video_padding_bytes" and 0 < value < 16:
            raise ValueError(f"{name} must be 0 or an integer >= 16")
        return value

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if isinstance(value, set | frozenset) else copy.deepcopy(value)
        return out


def coerce(name: str, annotation: Any, value: Any) -> Any:
    """``value`` (decoded JSON) converted to the annotated type, or ValueError naming ``name``."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        if value is None:
            return None
        rest = [a for a in args if a is not type(None)]
        annotation = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    if annotation is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if annotation is int:
        if not is_int(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
        return value
    if annotation is float:
        if not is_number(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative number")
        return float(value)
    if annotation is str:
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        return value
    if typing.get_origin(annotation) in (set, frozenset):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings")
        return set(value)
    return value
