"""A provider's ``network_config`` (and its ``proxy_config``) into a ``NetworkConfig``.

The file holds Bifrost's shape: ``proxy_config`` beside ``network_config`` at the provider level.
The store keeps one JSON per provider, ``NetworkConfig.to_dict()``, with ``proxy_config`` inside
it; ``parse_network_config`` reads that form. Both go through ``build_network_config``.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from irisgate.config.durations import parse_duration
from irisgate.config.errors import ConfigError
from irisgate.config.fields import (
    BIFROST_NETWORK,
    BIFROST_PROXY,
    NETWORK,
    PROXY,
    STORED_NETWORK,
    check_fields,
)
from irisgate.config.models import (
    DEFAULT_MAX_CONNS_PER_HOST,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_UPSTREAM_BODY_MB,
    DEFAULT_RETRY_BACKOFF_INITIAL,
    DEFAULT_RETRY_BACKOFF_MAX,
    DEFAULT_TIMEOUT_SECONDS,
    MAX_CONNS_PER_HOST_LIMIT,
    MAX_RETRIES_LIMIT,
    MIB,
    PROXY_TYPES,
    NetworkConfig,
    ProxyConfig,
)
from irisgate.config.secrets import resolve_secret

DEFAULT_MAX_RESPONSE_BYTES = int(DEFAULT_MAX_UPSTREAM_BODY_MB * MIB)
PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


def mapping(value: object, path: str, what: str = "a mapping (object)") -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(path, f"must be {what}")
    return value


def parse_network_config(
    value: object,
    path: str,
    default_base_url: str,
    notes: list[str] | None = None,
    *,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
) -> NetworkConfig:
    """A stored ``network_config`` (``NetworkConfig.to_dict()`` output, ``proxy_config`` inside it),
    or one sent to the admin API. Unknown fields are errors naming their path."""
    data = mapping(value, path)
    check_fields(data, path, STORED_NETWORK, BIFROST_NETWORK, notes)
    return build_network_config(
        data, path, default_base_url, data.get("proxy_config"), f"{path}.proxy_config", notes,
        max_response_bytes=max_response_bytes,
    )  # fmt: skip


def parse_file_network_config(
    provider: Mapping[Any, Any],
    path: str,
    default_base_url: str,
    notes: list[str] | None,
    max_response_bytes: int,
) -> NetworkConfig:
    """The network settings of a provider block of the file: its ``network_config`` and, beside it as
    in Bifrost, its ``proxy_config``."""
    network_path = f"{path}.network_config"
    data = mapping(provider.get("network_config"), network_path)
    check_fields(data, network_path, NETWORK, BIFROST_NETWORK, notes)
    return build_network_config(
        data, network_path, default_base_url, provider.get("proxy_config"), f"{path}.proxy_config", notes,
        max_response_bytes=max_response_bytes,
    )  # fmt: skip


def build_network_config(
    data: Mapping[Any, Any],
    path: str,
    default_base_url: str,
    proxy: object,
    proxy_path: str,
    notes: list[str] | None,
    *,
    max_response_bytes: int,
) -> NetworkConfig:
    timeout = data.get("default_request_timeout_in_seconds", DEFAULT_TIMEOUT_SECONDS)
    if not _is_number(timeout) or timeout <= 0:
        field = f"{path}.default_request_timeout_in_seconds"
        raise ConfigError(field, "must be a positive number of seconds")
    retries = _integer(data, "max_retries", DEFAULT_MAX_RETRIES, 0, MAX_RETRIES_LIMIT, path)
    initial = _duration(data, "retry_backoff_initial", DEFAULT_RETRY_BACKOFF_INITIAL, path)
    maximum = _duration(data, "retry_backoff_max", DEFAULT_RETRY_BACKOFF_MAX, path)
    if initial > maximum:
        raise ConfigError(f"{path}.retry_backoff_initial", "must not be greater than retry_backoff_max")
    skip_verify = data.get("insecure_skip_verify")
    if skip_verify is not None and not isinstance(skip_verify, bool):
        raise ConfigError(f"{path}.insecure_skip_verify", "must be true or false")
    ca_ref, ca_pem = _ca_cert(data.get("ca_cert_pem"), f"{path}.ca_cert_pem")
    return NetworkConfig(
        base_url=_base_url(data.get("base_url"), f"{path}.base_url", default_base_url),
        timeout_seconds=float(timeout),
        max_retries=retries,
        retry_backoff_initial=initial,
        retry_backoff_max=maximum,
        extra_headers=_headers(data.get("extra_headers"), f"{path}.extra_headers"),
        proxy=parse_proxy(proxy, proxy_path, notes),
        ca_cert_pem=ca_pem,
        ca_cert_ref=ca_ref,
        insecure_skip_verify=bool(skip_verify),
        max_conns_per_host=_integer(
            data, "max_conns_per_host", DEFAULT_MAX_CONNS_PER_HOST, 1, MAX_CONNS_PER_HOST_LIMIT, path
        ),
        max_response_bytes=max_response_bytes,
    )


def parse_proxy(value: object, path: str, notes: list[str] | None = None) -> ProxyConfig:
    """Bifrost's ``proxy_config``: ``type`` none | http | environment (the default); with ``http``,
    ``url`` and optional ``username`` / ``password`` (each may be ``env.NAME``)."""
    data = mapping(value, path)
    check_fields(data, path, PROXY, BIFROST_PROXY, notes)
    kind = data.get("type") or "environment"
    if kind == "socks5":
        raise ConfigError(
            f"{path}.type", "socks5 proxies are not supported; use an HTTP proxy (type: http) or environment"
        )
    if kind not in PROXY_TYPES:
        raise ConfigError(f"{path}.type", f"must be one of: {', '.join(PROXY_TYPES)}")
    if kind != "http":
        for name in ("url", "username", "password"):
            if data.get(name) is not None:
                raise ConfigError(f"{path}.{name}", f"is only used with type: http (this proxy is {kind})")
        return ProxyConfig(type=kind)
    username_ref = _optional_text(data.get("username"), f"{path}.username")
    password_ref = _optional_text(data.get("password"), f"{path}.password")
    if password_ref is not None and username_ref is None:
        raise ConfigError(f"{path}.username", "is required when a password is given")
    username = None if username_ref is None else resolve_secret(username_ref, f"{path}.username")
    if username is not None and ":" in username:
        raise ConfigError(f"{path}.username", "must not contain ':' (HTTP Basic authentication)")
    return ProxyConfig(
        type="http",
        url=_proxy_url(data.get("url"), f"{path}.url"),
        username=username,
        password=None if password_ref is None else resolve_secret(password_ref, f"{path}.password"),
        username_ref=username_ref,
        password_ref=password_ref,
    )


def _proxy_url(value: object, path: str) -> str:
    if value is None:
        raise ConfigError(path, "is required with type: http (e.g. http://proxy.internal:3128)")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, "must be an http:// URL such as http://proxy.internal:3128")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise ConfigError(path, "must be an http:// URL such as http://proxy.internal:3128") from None
    if parts.scheme == "https":
        raise ConfigError(path, "HTTPS proxies are not supported: give the proxy's http:// address")
    if parts.scheme != "http" or not parts.hostname:
        raise ConfigError(path, "must be an http:// URL such as http://proxy.internal:3128")
    if parts.username or parts.password:  # never echoed: it holds a credential
        raise ConfigError(path, "must not hold credentials: put them in username and password")
    return url


def _ca_cert(value: object, path: str) -> tuple[str | None, str | None]:
    """(as written, the resolved PEM text), checked now so that a bad CA fails at start, not at the
    first call."""
    ref = _optional_text(value, path)
    if ref is None:
        return None, None
    pem = resolve_secret(ref, path)
    if PEM_CERTIFICATE not in pem:
        raise ConfigError(
            path,
            "must be the PEM text of CA certificates (-----BEGIN CERTIFICATE-----…) or env.NAME holding it",
        )
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError):
        raise ConfigError(path, "holds no valid PEM certificate") from None
    return ref, pem


def _optional_text(value: object, path: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(path, "must be a non-empty string (a value or an env.NAME reference)")
    return value.strip()


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(data: Mapping[Any, Any], name: str, default: int, low: int, high: int, path: str) -> int:
    value = data.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{path}.{name}", f"must be an integer from {low} to {high}")
    return value


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
    # Header names are free (extra_headers is the one level that is not checked against a list).
    data = mapping(value, path, "a mapping of header names to string values")
    headers: dict[str, str] = {}
    for name, header_value in data.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, "header names must be non-empty strings")
        if not isinstance(header_value, str):
            raise ConfigError(f"{path}.{name}", "must be a string")
        headers[name.strip()] = header_value
    return headers
