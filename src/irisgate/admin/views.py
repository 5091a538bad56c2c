"""What the admin API and the dashboard show of providers and keys: never a secret.

A literal key shows redacted (first 4 + `****` + last 4); an env reference shows its variable
and whether it is set in this process's environment.
"""

from __future__ import annotations

import os
from typing import Any

from irisgate.config import ProviderConfig
from irisgate.providers.catalog import PROVIDERS
from irisgate.store import KeyRecord, ProviderRecord


def key_view(record: KeyRecord, problem: str | None = None) -> dict[str, Any]:
    env_set = bool(record.env_var and os.environ.get(record.env_var))
    return {
        "id": record.id,
        "name": record.name,
        "value": f"env.{record.env_var}" if record.value_kind == "env" else record.secret_hint or "****",
        "value_kind": record.value_kind,
        "env_var": record.env_var,
        "env_var_set": env_set if record.value_kind == "env" else None,
        "models": list(record.models),
        "all_models": "*" in record.models,
        "weight": record.weight,
        "enabled": record.enabled,
        "source": record.source,
        "read_only": record.source == "file",
        "usable": record.enabled and problem is None,
        "problem": problem,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def provider_view(
    record: ProviderRecord, keys: list[KeyRecord], live: ProviderConfig | None, problems: dict[str, str]
) -> dict[str, Any]:
    key_views = [key_view(key, problems.get(key.id)) for key in keys]
    usable = sum(1 for key in key_views if key["usable"])
    return {
        "name": record.name,
        "display_name": PROVIDERS[record.name].label if record.name in PROVIDERS else record.display_name,
        "source": record.source,
        "read_only": record.source == "file",
        "network_config": dict(record.network_config),
        "keys": key_views,
        "key_count": len(key_views),
        "usable_key_count": usable,
        "status": "ready"
        if usable and live is not None
        else "no usable keys"
        if live is not None
        else "unavailable",
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }
