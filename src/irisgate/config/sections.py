"""The ``limits``, ``server``, ``settlement`` and ``webhooks`` blocks of the config file: how much
irisgate takes in, from whom, how it settles video jobs and how it delivers webhooks.

Each function reads one block (already checked for unknown fields) into the keyword arguments of
``GatewayConfig``; a bad value is a ``ConfigError`` naming its path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from irisgate.config.durations import parse_duration
from irisgate.config.errors import ConfigError
from irisgate.config.models import (
    DEFAULT_GIVE_UP_SECONDS,
    DEFAULT_LEASE_SECONDS,
    DEFAULT_MAX_BODY_MB,
    DEFAULT_MAX_CONCURRENT_LARGE_BODIES,
    DEFAULT_MAX_POLLS_IN_FLIGHT,
    DEFAULT_MAX_UPSTREAM_BODY_MB,
    DEFAULT_REQUEST_READ_TIMEOUT_SECONDS,
    DEFAULT_WEBHOOK_BACKOFF_INITIAL,
    DEFAULT_WEBHOOK_BACKOFF_MAX,
    DEFAULT_WEBHOOK_DISABLE_AFTER_FAILURES,
    DEFAULT_WEBHOOK_DISABLE_FAILING_SECONDS,
    DEFAULT_WEBHOOK_GIVE_UP_SECONDS,
    DEFAULT_WEBHOOK_MAX_IN_FLIGHT,
    DEFAULT_WEBHOOK_TIMEOUT_SECONDS,
    MAX_BODY_MB_LIMIT,
    MAX_CONCURRENT_LARGE_BODIES_LIMIT,
    MAX_READ_TIMEOUT_SECONDS,
    SettlementConfig,
    WebhooksConfig,
)


def limits_settings(limits: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "max_body_mb": _size_mb(limits, "max_body_mb", DEFAULT_MAX_BODY_MB),
        "max_upstream_body_mb": _size_mb(limits, "max_upstream_body_mb", DEFAULT_MAX_UPSTREAM_BODY_MB),
        "max_concurrent_large_bodies": _count(
            limits,
            "max_concurrent_large_bodies",
            DEFAULT_MAX_CONCURRENT_LARGE_BODIES,
            MAX_CONCURRENT_LARGE_BODIES_LIMIT,
        ),
        "request_read_timeout_seconds": _seconds(
            limits,
            "request_read_timeout_seconds",
            DEFAULT_REQUEST_READ_TIMEOUT_SECONDS,
            MAX_READ_TIMEOUT_SECONDS,
        ),
    }


def server_settings(server: Mapping[Any, Any]) -> dict[str, Any]:
    """``allowed_hosts``: the names a request's ``Host`` may carry (default: the bind address,
    localhost, 127.0.0.1, ::1); ``allowed_origins``: the origins (``scheme://host[:port]``) other than
    irisgate's own whose pages may call it. ``"*"`` in either turns the check off."""
    return {
        "allowed_hosts": _names(server, "allowed_hosts", lambda name: name.strip().lower().rstrip(".")),
        "allowed_origins": _names(server, "allowed_origins", lambda name: name.strip().rstrip("/").lower()),
    }


def settlement_settings(settlement: Mapping[Any, Any]) -> SettlementConfig:
    lease = _seconds(settlement, "lease_seconds", DEFAULT_LEASE_SECONDS, 3600, "settlement")
    give_up = settlement.get("give_up_after")
    if give_up is None:
        give_up_seconds = DEFAULT_GIVE_UP_SECONDS
    else:
        try:
            give_up_seconds = parse_duration(give_up)
        except ValueError as error:
            raise ConfigError("settlement.give_up_after", str(error)) from None
        if give_up_seconds <= 0:
            raise ConfigError("settlement.give_up_after", "must be longer than 0")
    in_flight = _count(settlement, "max_polls_in_flight", DEFAULT_MAX_POLLS_IN_FLIGHT, 10_000, "settlement")
    return SettlementConfig(
        lease_seconds=lease, give_up_seconds=give_up_seconds, max_polls_in_flight=in_flight
    )


def webhooks_settings(webhooks: Mapping[Any, Any]) -> WebhooksConfig:
    allow_private = webhooks.get("allow_private_urls", False)
    if not isinstance(allow_private, bool):
        raise ConfigError("webhooks.allow_private_urls", "must be true or false")
    initial = _duration(webhooks, "retry_backoff_initial", DEFAULT_WEBHOOK_BACKOFF_INITIAL)
    most = _duration(webhooks, "retry_backoff_max", DEFAULT_WEBHOOK_BACKOFF_MAX)
    if most < initial:
        raise ConfigError("webhooks.retry_backoff_max", "must not be shorter than retry_backoff_initial")
    return WebhooksConfig(
        allow_private_urls=allow_private,
        backoff_initial=initial,
        backoff_max=most,
        give_up_seconds=_duration(webhooks, "give_up_after", DEFAULT_WEBHOOK_GIVE_UP_SECONDS),
        timeout_seconds=_seconds(
            webhooks, "timeout_seconds", DEFAULT_WEBHOOK_TIMEOUT_SECONDS, 300, "webhooks"
        ),
        disable_after_failures=_count(
            webhooks, "disable_after_failures", DEFAULT_WEBHOOK_DISABLE_AFTER_FAILURES, 100_000, "webhooks"
        ),
        disable_failing_seconds=_duration(
            webhooks, "disable_after_failing_for", DEFAULT_WEBHOOK_DISABLE_FAILING_SECONDS, allow_zero=True
        ),
        max_in_flight=_count(webhooks, "max_in_flight", DEFAULT_WEBHOOK_MAX_IN_FLIGHT, 10_000, "webhooks"),
    )


def _duration(block: Mapping[Any, Any], name: str, default: float, *, allow_zero: bool = False) -> float:
    """A duration of the ``webhooks`` block ("30s", "1h", or milliseconds)."""
    value = block.get(name)
    if value is None:
        return default
    try:
        seconds = parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"webhooks.{name}", str(error)) from None
    if seconds <= 0 and not allow_zero:
        raise ConfigError(f"webhooks.{name}", "must be longer than 0")
    return seconds


def _size_mb(limits: Mapping[Any, Any], name: str, default: float) -> float:
    """A size limit in MiB (fractions allowed)."""
    value = limits.get(name)
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_BODY_MB_LIMIT:
        return float(value)
    raise ConfigError(f"limits.{name}", f"must be a number of MiB above 0, at most {MAX_BODY_MB_LIMIT:g}")


def _count(block: Mapping[Any, Any], name: str, default: int, highest: int, path: str = "limits") -> int:
    value = block.get(name)
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= highest:
        return value
    raise ConfigError(f"{path}.{name}", f"must be an integer from 1 to {highest}")


def _seconds(
    block: Mapping[Any, Any], name: str, default: float, highest: float, path: str = "limits"
) -> float:
    value = block.get(name)
    if value is None:
        return default
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= highest
    ):
        return float(value)
    raise ConfigError(f"{path}.{name}", f"must be a number of seconds above 0, at most {highest:g}")


def _names(server: Mapping[Any, Any], name: str, normal: Any) -> tuple[str, ...] | None:
    value = server.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise ConfigError(f"server.{name}", 'must be a list of non-empty strings (["*"] for any)')
    return tuple(dict.fromkeys(normal(item) for item in value))
