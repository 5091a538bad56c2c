"""The field names each level of the config file may hold, and the check that refuses the others.

Every level is strict: a name irisgate does not know is an error naming its path, with the closest
known name as a hint (a typo must not silently fall back to a default, such as the real provider
URL). Fields of Bifrost's ``config.json`` that irisgate does not use are accepted, and their paths
collected so that ``serve`` and ``config check`` can report them. Bifrost fields irisgate applies
(the proxy and TLS settings, ``max_conns_per_host``) are in the used sets, not the Bifrost ones.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from irisgate.config.errors import ConfigError

# Fields irisgate reads, per level.
TOP_LEVEL = frozenset(
    {"providers", "store", "admin_token", "limits", "server", "settlement", "media", "webhooks"}
)
PROVIDER = frozenset({"keys", "network_config", "proxy_config"})
NETWORK = frozenset(
    {"base_url", "default_request_timeout_in_seconds", "max_retries", "retry_backoff_initial",
     "retry_backoff_max", "extra_headers", "ca_cert_pem", "insecure_skip_verify", "max_conns_per_host"}
)  # fmt: skip
# The store keeps a provider's proxy inside its network_config JSON (see NetworkConfig.to_dict).
STORED_NETWORK = NETWORK | {"proxy_config"}
PROXY = frozenset({"type", "url", "username", "password"})
KEY = frozenset({"name", "value", "models", "weight", "enabled"})
STORE = frozenset({"url"})
SERVER = frozenset({"allowed_hosts", "allowed_origins"})
SETTLEMENT = frozenset({"lease_seconds", "give_up_after", "max_polls_in_flight"})
MEDIA = frozenset(
    {"store", "path", "bucket", "prefix", "endpoint_url", "region", "access_key_id", "secret_access_key",
     "retention_days"}
)  # fmt: skip
MEDIA_S3_ONLY = ("bucket", "prefix", "endpoint_url", "region", "access_key_id", "secret_access_key")
WEBHOOKS = frozenset(
    {"allow_private_urls", "retry_backoff_initial", "retry_backoff_max", "give_up_after", "timeout_seconds",
     "disable_after_failures", "disable_after_failing_for", "max_in_flight"}
)  # fmt: skip
LIMITS = frozenset(
    {"max_body_mb", "max_upstream_body_mb", "max_concurrent_large_bodies", "request_read_timeout_seconds"}
)

# Fields of Bifrost's config.json that irisgate accepts and does not use.
BIFROST_TOP_LEVEL = frozenset(
    {"$schema", "client", "config_store", "logs_store", "vector_store", "plugins", "governance", "mcp",
     "auth_config", "framework", "encryption_key", "cluster_config", "saml_config", "load_balancer_config",
     "guardrails_config", "websocket"}
)  # fmt: skip
BIFROST_PROVIDER = frozenset(
    {"concurrency_and_buffer_size", "send_back_raw_request", "send_back_raw_response",
     "store_raw_request_response", "custom_provider_config", "openai_config", "metadata", "tags",
     "description", "key_selection"}
)  # fmt: skip
BIFROST_NETWORK = frozenset(
    {"stream_idle_timeout_in_seconds", "enforce_http2", "allow_private_network", "beta_header_overrides",
     "max_conn_duration_in_seconds"}
)  # fmt: skip
BIFROST_PROXY = frozenset({"ca_cert_pem"})  # the CA of an HTTPS proxy; irisgate speaks plain HTTP to proxies
BIFROST_KEY = frozenset(
    {"id", "description", "use_for_batch_api", "config_hash", "status", "azure_key_config",
     "vertex_key_config", "bedrock_key_config", "huggingface_key_config", "replicate_key_config",
     "vllm_key_config", "sapaicore_key_config", "blacklisted_models", "aliases", "deployments"}
)  # fmt: skip


def at(path: str, name: object) -> str:
    return f"{path}.{name}" if path else str(name)


def closest(name: object, candidates: Iterable[str]) -> str | None:
    """The known name a typo most likely meant, or None when nothing is close."""
    matches = difflib.get_close_matches(str(name), sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown(path: str, name: object, known: Iterable[str], what: str = "field") -> ConfigError:
    hint = closest(name, known)
    suggestion = f"; did you mean `{hint}`?" if hint else ""
    return ConfigError(at(path, name), f"unknown {what}{suggestion}")


def check_fields(
    data: Mapping[Any, Any],
    path: str,
    used: frozenset[str],
    bifrost: frozenset[str] = frozenset(),
    notes: list[str] | None = None,
) -> None:
    """Refuse a name that is neither used nor a Bifrost field; note the Bifrost ones in ``notes``."""
    for name in data:
        if name in used:
            continue
        if name in bifrost:
            if notes is not None:
                notes.append(at(path, name))
            continue
        raise unknown(path, name, [*used] if closest(name, used) else [*used, *bifrost])
