"""Reconciling the store with the providers and keys of the config file.

Rules: file providers/keys are upserted with source "file"; file rows that left the file are deleted;
"store" rows (created in the UI/admin API) are kept. A store provider named like a file provider is
taken over by the file (source becomes "file", its store keys stay). A store key whose name clashes
with a file key of the same provider is replaced by the file key (the file is the source of truth).
A file provider removed from the file but still holding store keys becomes a "store" provider instead
of being deleted, so keys created in the UI are never lost. A literal secret is never written: only
its redacted hint.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irisgate.config.models import KeyConfig, ProviderConfig
from irisgate.store.tables import provider_keys, providers

logger = logging.getLogger(__name__)

FILE = "file"
STORE = "store"


def sync_providers(conn: Connection, file_providers: Mapping[str, ProviderConfig], now: datetime) -> None:
    existing = {row["name"]: row for row in conn.execute(sa.select(providers)).mappings()}
    keys = list(conn.execute(sa.select(provider_keys)).mappings())
    for name, provider in file_providers.items():
        _upsert_provider(conn, provider, existing.get(name), now)
        rows = [row for row in keys if row["provider"] == name]
        _sync_keys(conn, provider, rows, now)
    for name, row in existing.items():
        if row["source"] == FILE and name not in file_providers:
            _retire_provider(conn, name, [k for k in keys if k["provider"] == name], now)


def _upsert_provider(
    conn: Connection, provider: ProviderConfig, row: Mapping[str, Any] | None, now: datetime
) -> None:
    values = {
        "display_name": provider.display_name,
        "source": FILE,
        "network_config": provider.network.to_dict(),
    }
    if row is None:
        conn.execute(
            sa.insert(providers).values(name=provider.name, created_at=now, updated_at=now, **values)
        )
    elif _differs(row, values):
        conn.execute(
            sa.update(providers).where(providers.c.name == provider.name).values(updated_at=now, **values)
        )


def _sync_keys(
    conn: Connection, provider: ProviderConfig, rows: list[Mapping[str, Any]], now: datetime
) -> None:
    file_ids = {key.id for key in provider.keys}
    stale: list[str] = []
    by_name: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        if row["source"] == FILE and row["id"] not in file_ids:
            stale.append(row["id"])
        else:
            by_name[row["name"]] = row
    to_insert: list[KeyConfig] = []
    for key in provider.keys:
        row = by_name.get(key.name)
        if row is not None and row["id"] != key.id:  # a store key with the file key's name
            logger.warning(
                "provider %s: key %r from the config file replaces the store key of the same name",
                provider.name,
                key.name,
            )
            stale.append(row["id"])
            row = None
        if row is None:
            to_insert.append(key)
        elif _differs(row, _key_values(key)):
            conn.execute(
                sa.update(provider_keys)
                .where(provider_keys.c.id == key.id)
                .values(updated_at=now, **_key_values(key))
            )
    if stale:
        conn.execute(sa.delete(provider_keys).where(provider_keys.c.id.in_(stale)))
    for key in to_insert:
        conn.execute(
            sa.insert(provider_keys).values(
                id=key.id, provider=provider.name, created_at=now, updated_at=now, **_key_values(key)
            )
        )


def _retire_provider(conn: Connection, name: str, rows: list[Mapping[str, Any]], now: datetime) -> None:
    """A file provider that left the file: drop its file keys; keep it as a store provider if the UI
    gave it keys, else delete it."""
    conn.execute(
        sa.delete(provider_keys).where(provider_keys.c.provider == name, provider_keys.c.source == FILE)
    )
    if any(row["source"] == STORE for row in rows):
        logger.info("provider %s left the config file; kept (as a store provider) for its UI keys", name)
        conn.execute(
            sa.update(providers).where(providers.c.name == name).values(source=STORE, updated_at=now)
        )
    else:
        conn.execute(sa.delete(providers).where(providers.c.name == name))


def _key_values(key: KeyConfig) -> dict[str, Any]:
    return {
        "name": key.name,
        "source": FILE,
        "value_kind": key.value_kind,
        "env_var": key.env_var,
        "secret_hint": key.secret_hint,
        "secret_encrypted": None,
        "models": list(key.models),
        "weight": key.weight,
        "enabled": key.enabled,
    }


def _differs(row: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    return any(row[column] != value for column, value in values.items())
