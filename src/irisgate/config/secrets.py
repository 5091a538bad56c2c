"""``env.NAME`` secret references: resolution from the environment, and redaction for display."""

from __future__ import annotations

import os
from collections.abc import Mapping

from irisgate.config.errors import ConfigError

ENV_PREFIX = "env."
_REDACTED = "****"
_MIN_PARTIAL_LENGTH = 12


def env_var_of(value: str) -> str | None:
    """``"env.NAME"`` -> ``"NAME"``; anything else -> ``None``."""
    return value[len(ENV_PREFIX) :] if value.startswith(ENV_PREFIX) else None


def resolve_secret(value: str, field: str, environ: Mapping[str, str] | None = None) -> str:
    """Resolve ``"env.NAME"`` from the environment; return a literal unchanged.

    Raises ``ConfigError`` naming ``field`` (and the variable) when the reference is malformed, the
    variable is unset, or it is empty. The secret itself never appears in the message.
    """
    name = env_var_of(value)
    if name is None:
        return value
    if not name.strip():
        raise ConfigError(field, "'env.' must be followed by an environment variable name")
    env = os.environ if environ is None else environ
    resolved = env.get(name)
    if resolved is None:
        raise ConfigError(field, f"environment variable {name} is not set")
    if not resolved:
        raise ConfigError(field, f"environment variable {name} is empty")
    return resolved


def redact_secret(secret: str) -> str:
    """First 4 + ``****`` + last 4 characters; secrets shorter than 12 characters -> ``****``."""
    if len(secret) < _MIN_PARTIAL_LENGTH:
        return _REDACTED
    return f"{secret[:4]}{_REDACTED}{secret[-4:]}"
