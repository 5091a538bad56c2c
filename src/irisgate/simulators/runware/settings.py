"""Knobs of the Runware simulator: one mutable dataclass, patchable from JSON."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# Documented limits the simulator enforces (the real API is per model; these are the generic AIR values).
PROMPT_MIN_CHARS = 2
PROMPT_MAX_CHARS = 3000
DIMENSION_MIN = 128
DIMENSION_MAX = 2048
DIMENSION_STEP = 64
DEFAULT_DIMENSION = 1024
NUMBER_RESULTS_MAX = 20
# USD per generated image, reported as `cost` when `includeCost` is true.
COST_PER_IMAGE = 0.0013


@dataclass
class RunwareSimSettings:
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # getResponse polls answered "processing" before "success" (0 = done on the first poll).
    async_polls_to_complete: int = 1
    # When set, async tasks finish this many seconds after submission instead of after N polls.
    async_delay_seconds: float | None = None
    # Add an integer `progress` (0-100) to "processing" items.
    report_progress: bool = False
    # Report task failures as a data item {"status":"error","error":{...}} instead of errors[].
    error_item_form: bool = False
    # Media URLs stop working: they answer `urls_expired_status` (404 or 403).
    urls_expired: bool = False
    urls_expired_status: int = 404
    # None = any well-formed AIR (`provider:id@version`) is a model; else only these.
    known_models: set[str] | None = None
    # Reject fields outside the imageInference allowlist with `unsupportedParameter`.
    reject_unknown_fields: bool = False

    def copy(self) -> RunwareSimSettings:
        return dataclasses.replace(
            self,
            api_keys=set(self.api_keys),
            known_models=None if self.known_models is None else set(self.known_models),
        )

    def restore(self, other: RunwareSimSettings, *, keep_api_keys: bool = True) -> None:
        """Copy every field of ``other`` into this instance (in place, so references stay valid)."""
        fresh = other.copy()
        for f in dataclasses.fields(self):
            if keep_api_keys and f.name == "api_keys":
                continue
            setattr(self, f.name, getattr(fresh, f.name))

    def patch(self, changes: dict[str, Any]) -> None:
        """Apply a JSON subset of fields; raises ValueError on an unknown field or a bad type."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = set(changes) - names
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(self, name, _coerce(name, value))

    def to_json(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["api_keys"] = sorted(self.api_keys)
        out["known_models"] = None if self.known_models is None else sorted(self.known_models)
        return out


def _coerce(name: str, value: Any) -> Any:
    if name in ("api_keys", "known_models"):
        if value is None and name == "known_models":
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{name} must be a list of strings")
        return set(value)
    if name in ("report_progress", "error_item_form", "urls_expired", "reject_unknown_fields"):
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean")
        return value
    if name in ("async_polls_to_complete", "urls_expired_status"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative integer")
        return value
    if name == "async_delay_seconds":
        if value is None:
            return None
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} must be a non-negative number or null")
        return float(value)
    return value
