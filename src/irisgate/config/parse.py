"""Validation of a decoded config document (dicts/lists from JSON or YAML) into config objects.

Every problem raises ``ConfigError`` naming the field path; an unknown field is one such problem
(``fields.py``). Settings Bifrost's ``config.json`` knows but irisgate does not use are accepted and
reported in ``GatewayConfig.ignored_fields``. Network settings are parsed in ``network.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from irisgate.config.errors import ConfigError, field_path
from irisgate.config.fields import (
    BIFROST_KEY,
    BIFROST_PROVIDER,
    BIFROST_TOP_LEVEL,
    KEY,
    LIMITS,
    MEDIA,
    PROVIDER,
    SERVER,
    SETTLEMENT,
    STORE,
    TOP_LEVEL,
    WEBHOOKS,
    check_fields,
    unknown,
)
from irisgate.config.media import media_settings
from irisgate.config.models import (
    MIB,
    GatewayConfig,
    KeyConfig,
    ProviderConfig,
    key_id_for,
)
from irisgate.config.network import mapping, parse_file_network_config, parse_network_config
from irisgate.config.secrets import resolve_secret
from irisgate.config.sections import limits_settings, server_settings, settlement_settings, webhooks_settings
from irisgate.providers.catalog import PROVIDERS

__all__ = ["parse_document", "parse_key", "parse_models", "parse_network_config"]


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_document(data: Any, source: str = "<config>") -> GatewayConfig:
    """Validate a whole decoded config document. ``None`` (an empty YAML file) is an empty config."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, "the top level must be a mapping (object) of settings")
    notes: list[str] = []
    check_fields(data, "", TOP_LEVEL, BIFROST_TOP_LEVEL, notes)
    store = mapping(data.get("store"), "store")
    check_fields(store, "store", STORE)
    limits = mapping(data.get("limits"), "limits")
    check_fields(limits, "limits", LIMITS)
    server = mapping(data.get("server"), "server")
    check_fields(server, "server", SERVER)
    settlement = mapping(data.get("settlement"), "settlement")
    check_fields(settlement, "settlement", SETTLEMENT)
    media = mapping(data.get("media"), "media")
    check_fields(media, "media", MEDIA)
    webhooks = mapping(data.get("webhooks"), "webhooks")
    check_fields(webhooks, "webhooks", WEBHOOKS)
    sized = limits_settings(limits)
    providers_data = mapping(data.get("providers"), "providers")
    providers: dict[str, ProviderConfig] = {}
    for name, body in providers_data.items():
        if name not in PROVIDERS:
            known = ", ".join(sorted(PROVIDERS))
            error = unknown("providers", name, PROVIDERS, "provider")
            raise ConfigError(error.field, f"{error.message} (known providers: {known})")
        path = f"providers.{name}"
        providers[name] = _parse_provider(name, body, path, notes, int(sized["max_upstream_body_mb"] * MIB))
    return GatewayConfig(
        providers=providers,
        store_url=_optional_secret(store.get("url"), "store.url"),
        admin_token=_optional_secret(data.get("admin_token"), "admin_token"),
        ignored_fields=tuple(notes),
        **sized,
        **server_settings(server),
        settlement=settlement_settings(settlement),
        media=media_settings(media),
        webhooks=webhooks_settings(webhooks),
    )


def _optional_secret(value: object, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, "must be a non-empty string (a value or an env.NAME reference)")
    return resolve_secret(value.strip(), path)


def _parse_provider(
    name: str, body: object, path: str, notes: list[str], max_response_bytes: int
) -> ProviderConfig:
    body = mapping(body, path)
    check_fields(body, path, PROVIDER, BIFROST_PROVIDER, notes)
    network = parse_file_network_config(
        body, path, PROVIDERS[name].default_base_url, notes, max_response_bytes
    )
    keys = _parse_keys(name, body.get("keys"), f"{path}.keys", notes)
    return ProviderConfig(name=name, keys=keys, network=network)


def _parse_keys(provider: str, value: object, path: str, notes: list[str]) -> tuple[KeyConfig, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(path, "must be a list of keys")
    keys: list[KeyConfig] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        key = parse_key(provider, item, index, f"{path}[{index}]", notes)
        if key.name in seen:
            raise ConfigError(f"{path}[{index}].name", f"duplicate key name {key.name!r} in this provider")
        seen.add(key.name)
        keys.append(key)
    return tuple(keys)


def parse_key(
    provider: str, item: object, index: int, path: str, notes: list[str] | None = None
) -> KeyConfig:
    """One key. A missing ``name`` defaults to ``key-<index+1>``."""
    if not isinstance(item, Mapping):
        raise ConfigError(path, "must be a mapping (object) with at least a 'value'")
    check_fields(item, path, KEY, BIFROST_KEY, notes)
    name = item.get("name")
    if name is None:
        name = f"key-{index + 1}"
    elif not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}.name", "must be a non-empty string")
    name = name.strip()
    value = item.get("value")
    if value is None:
        raise ConfigError(f"{path}.value", "is required (an API key or an env.NAME reference)")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{path}.value", "must be a non-empty string (an API key or an env.NAME reference)")
    value = value.strip()
    secret = resolve_secret(value, f"{path}.value")
    weight = item.get("weight", 1.0)
    if weight is None:
        weight = 1.0
    if not _is_number(weight) or weight <= 0:
        raise ConfigError(f"{path}.weight", "must be a positive number")
    enabled = item.get("enabled", True)
    if enabled is None:
        enabled = True
    if not isinstance(enabled, bool):
        raise ConfigError(f"{path}.enabled", "must be true or false")
    return KeyConfig(
        id=key_id_for(provider, name),
        name=name,
        value_ref=value,
        secret=secret,
        models=parse_models(item.get("models"), f"{path}.models"),
        weight=float(weight),
        enabled=enabled,
    )


def parse_models(value: object, path: str) -> tuple[str, ...]:
    """An allowlist of model names; absent or empty means all models (``("*",)``)."""
    if value is None:
        return ("*",)
    if not isinstance(value, list):
        raise ConfigError(path, 'must be a list of model names (["*"] for all)')
    models: list[str] = []
    for index, model in enumerate(value):
        if not isinstance(model, str) or not model.strip():
            raise ConfigError(field_path([path, index]), "must be a non-empty string")
        if model.strip() not in models:
            models.append(model.strip())
    return tuple(models) or ("*",)
