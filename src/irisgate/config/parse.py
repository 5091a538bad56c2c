"""Validation of a decoded config document (dicts/lists from JSON or YAML) into config objects.

Every problem raises ``ConfigError`` naming the field path. Settings Bifrost's ``config.json`` knows but
irisgate does not use are accepted and reported in ``GatewayConfig.ignored_fields``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from irisgate.config.durations import parse_duration
from irisgate.config.errors import ConfigError, field_path
from irisgate.config.models import (
    DEFAULT_BASE_URLS,
    DEFAULT_MAX_BODY_MB,
    DEFAULT_MAX_CONCURRENT_LARGE_BODIES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_READ_TIMEOUT_SECONDS,
    DEFAULT_RETRY_BACKOFF_INITIAL,
    DEFAULT_RETRY_BACKOFF_MAX,
    DEFAULT_TIMEOUT_SECONDS,
    KNOWN_PROVIDERS,
    MAX_BODY_MB_LIMIT,
    MAX_CONCURRENT_LARGE_BODIES_LIMIT,
    MAX_RETRIES_LIMIT,
    GatewayConfig,
    KeyConfig,
    NetworkConfig,
    ProviderConfig,
    key_id_for,
)
from irisgate.config.secrets import resolve_secret

# Fields of Bifrost's config.json that irisgate accepts and ignores.
BIFROST_TOP_LEVEL = frozenset(
    {"$schema", "client", "config_store", "logs_store", "vector_store", "plugins", "governance", "mcp",
     "auth_config", "framework", "encryption_key", "cluster_config", "saml_config", "load_balancer_config",
     "guardrails_config", "websocket"}
)  # fmt: skip
BIFROST_PROVIDER = frozenset(
    {"concurrency_and_buffer_size", "proxy_config", "send_back_raw_request", "send_back_raw_response",
     "store_raw_request_response", "custom_provider_config", "openai_config", "metadata", "tags",
     "description", "key_selection"}
)  # fmt: skip
BIFROST_NETWORK = frozenset(
    {"insecure_skip_verify", "ca_cert_pem", "stream_idle_timeout_in_seconds", "max_conns_per_host",
     "enforce_http2", "allow_private_network", "beta_header_overrides", "max_conn_duration_in_seconds"}
)  # fmt: skip
BIFROST_KEY = frozenset(
    {"id", "description", "use_for_batch_api", "config_hash", "status", "azure_key_config",
     "vertex_key_config", "bedrock_key_config", "huggingface_key_config", "replicate_key_config",
     "vllm_key_config", "sapaicore_key_config", "blacklisted_models", "aliases", "deployments"}
)  # fmt: skip

TOP_LEVEL = frozenset({"providers", "store", "admin_token", "limits"})
PROVIDER = frozenset({"keys", "network_config"})
NETWORK = frozenset(
    {"base_url", "default_request_timeout_in_seconds", "max_retries", "retry_backoff_initial",
     "retry_backoff_max", "extra_headers"}
)  # fmt: skip
KEY = frozenset({"name", "value", "models", "weight", "enabled"})
STORE = frozenset({"url"})
LIMITS = frozenset({"max_body_mb", "max_concurrent_large_bodies", "request_read_timeout_seconds"})


class _Ignored:
    """Collects the paths of accepted-but-ignored fields."""

    def __init__(self) -> None:
        self.ignored: list[str] = []
        self.unknown: list[str] = []

    def check(
        self, data: Mapping[Any, Any], path: str, used: frozenset[str], bifrost: frozenset[str]
    ) -> None:
        for name in data:
            if name in used:
                continue
            where = f"{path}.{name}" if path else str(name)
            self.ignored.append(where)
            if name not in bifrost:
                self.unknown.append(where)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _mapping(value: object, path: str, what: str = "a mapping (object)") -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be {what}")
    return value


def parse_document(data: Any, source: str = "<config>") -> GatewayConfig:
    """Validate a whole decoded config document. ``None`` (an empty YAML file) is an empty config."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(source, "the top level must be a mapping (object) of settings")
    ignored = _Ignored()
    ignored.check(data, "", TOP_LEVEL, BIFROST_TOP_LEVEL)
    providers_data = _mapping(data.get("providers"), "providers")
    providers: dict[str, ProviderConfig] = {}
    for name, body in providers_data.items():
        path = f"providers.{name}"
        if name not in KNOWN_PROVIDERS:
            known = ", ".join(sorted(KNOWN_PROVIDERS))
            raise ConfigError(path, f"unknown provider {str(name)!r} (known providers: {known})")
        providers[name] = _parse_provider(name, body, path, ignored)
    store = _mapping(data.get("store"), "store")
    ignored.check(store, "store", STORE, frozenset())
    limits = _mapping(data.get("limits"), "limits")
    ignored.check(limits, "limits", LIMITS, frozenset())
    return GatewayConfig(
        providers=providers,
        store_url=_optional_secret(store.get("url"), "store.url"),
        admin_token=_optional_secret(data.get("admin_token"), "admin_token"),
        max_body_mb=_max_body_mb(limits.get("max_body_mb")),
        max_concurrent_large_bodies=_max_large_bodies(limits.get("max_concurrent_large_bodies")),
        request_read_timeout_seconds=_read_timeout(limits.get("request_read_timeout_seconds")),
        ignored_fields=tuple(ignored.ignored),
        unknown_fields=tuple(ignored.unknown),
    )


def _optional_secret(value: object, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, "must be a non-empty string (a value or an env.NAME reference)")
    return resolve_secret(value.strip(), path)


def _max_body_mb(value: object) -> float:
    """`limits.max_body_mb`: the largest request body the server reads, in MiB (fractions allowed)."""
    if value is None:
        return DEFAULT_MAX_BODY_MB
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= MAX_BODY_MB_LIMIT:
        return float(value)
    raise ConfigError("limits.max_body_mb", f"must be a number of MiB above 0, at most {MAX_BODY_MB_LIMIT:g}")


def _max_large_bodies(value: object) -> int:
    if value is None:
        return DEFAULT_MAX_CONCURRENT_LARGE_BODIES
    if (
        isinstance(value, int)
        and not isinstance(value, bool)
        and 1 <= value <= MAX_CONCURRENT_LARGE_BODIES_LIMIT
    ):
        return value
    raise ConfigError(
        "limits.max_concurrent_large_bodies",
        f"must be an integer from 1 to {MAX_CONCURRENT_LARGE_BODIES_LIMIT}",
    )


def _read_timeout(value: object) -> float:
    if value is None:
        return DEFAULT_REQUEST_READ_TIMEOUT_SECONDS
    if _is_number(value) and 0 < value <= 3600:  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    raise ConfigError(
        "limits.request_read_timeout_seconds", "must be a number of seconds above 0, at most 3600"
    )


def _parse_provider(name: str, body: object, path: str, ignored: _Ignored) -> ProviderConfig:
    body = _mapping(body, path)
    ignored.check(body, path, PROVIDER, BIFROST_PROVIDER)
    network = parse_network_config(
        body.get("network_config"), f"{path}.network_config", DEFAULT_BASE_URLS[name], ignored
    )
    keys = _parse_keys(name, body.get("keys"), f"{path}.keys", ignored)
    return ProviderConfig(name=name, keys=keys, network=network)


def _parse_keys(provider: str, value: object, path: str, ignored: _Ignored) -> tuple[KeyConfig, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(path, "must be a list of keys")
    keys: list[KeyConfig] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        key = parse_key(provider, item, index, f"{path}[{index}]", ignored)
        if key.name in seen:
            raise ConfigError(f"{path}[{index}].name", f"duplicate key name {key.name!r} in this provider")
        seen.add(key.name)
        keys.append(key)
    return tuple(keys)


def parse_key(
    provider: str, item: object, index: int, path: str, ignored: _Ignored | None = None
) -> KeyConfig:
    """One key. A missing ``name`` defaults to ``key-<index+1>``."""
    if not isinstance(item, Mapping):
        raise ConfigError(path, "must be a mapping (object) with at least a 'value'")
    if ignored is not None:
        ignored.check(item, path, KEY, BIFROST_KEY)
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


def parse_network_config(
    value: object, path: str, default_base_url: str, ignored: _Ignored | None = None
) -> NetworkConfig:
    """A ``network_config`` object (also accepts ``NetworkConfig.to_dict()`` output)."""
    data = _mapping(value, path)
    if ignored is not None:
        ignored.check(data, path, NETWORK, BIFROST_NETWORK)
    timeout = data.get("default_request_timeout_in_seconds", DEFAULT_TIMEOUT_SECONDS)
    if not _is_number(timeout) or timeout <= 0:
        field = f"{path}.default_request_timeout_in_seconds"
        raise ConfigError(field, "must be a positive number of seconds")
    retries = data.get("max_retries", DEFAULT_MAX_RETRIES)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRIES_LIMIT:
        raise ConfigError(f"{path}.max_retries", f"must be an integer from 0 to {MAX_RETRIES_LIMIT}")
    initial = _duration(data, "retry_backoff_initial", DEFAULT_RETRY_BACKOFF_INITIAL, path)
    maximum = _duration(data, "retry_backoff_max", DEFAULT_RETRY_BACKOFF_MAX, path)
    if initial > maximum:
        raise ConfigError(f"{path}.retry_backoff_initial", "must not be greater than retry_backoff_max")
    return NetworkConfig(
        base_url=_base_url(data.get("base_url"), f"{path}.base_url", default_base_url),
        timeout_seconds=float(timeout),
        max_retries=retries,
        retry_backoff_initial=initial,
        retry_backoff_max=maximum,
        extra_headers=_headers(data.get("extra_headers"), f"{path}.extra_headers"),
    )


def _duration(data: Mapping[Any, Any], name: str, default: float, path: str) -> float:
    value = data.get(name)
    if value is None:
        return default
    try:
        return parse_duration(value)
    except ValueError as error:
        raise ConfigError(f"{path}.{name}", str(error)) from None


def _base_url(value: object, path: str, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, "must be a non-empty http(s) URL")
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(path, "must be an http:// or https:// URL with a host")
    return url


def _headers(value: object, path: str) -> dict[str, str]:
    data = _mapping(value, path, "a mapping of header names to string values")
    headers: dict[str, str] = {}
    for name, header_value in data.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, "header names must be non-empty strings")
        if not isinstance(header_value, str):
            raise ConfigError(f"{path}.{name}", "must be a string")
        headers[name.strip()] = header_value
    return headers
