"""Writes of store-managed providers and keys (the admin API's), each bumping the shared version.

Every change runs in one transaction with a bump of the `providers_version` counter, so every
instance notices it and reloads its provider registry. Each is a store operation
(``Store.run``: a function of a synchronous ``Connection``, run whole in one transaction).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irisgate.store.tables import provider_keys, providers, state

PROVIDERS_VERSION = "providers_version"


def bump_version(conn: Connection) -> None:
    updated = conn.execute(
        sa.update(state).where(state.c.name == PROVIDERS_VERSION).values(value=state.c.value + 1)
    )
    if not updated.rowcount:
        conn.execute(sa.insert(state).values(name=PROVIDERS_VERSION, value=1))


def read_version(conn: Connection) -> int:
    value = conn.execute(sa.select(state.c.value).where(state.c.name == PROVIDERS_VERSION)).scalar()
    return int(value or 0)


def insert_provider(conn: Connection, values: dict[str, Any], keys: list[dict[str, Any]]) -> None:
    """A provider and its first keys."""
    conn.execute(sa.insert(providers).values(**values))
    insert_keys(conn, keys)


def update_provider(conn: Connection, name: str, values: dict[str, Any]) -> bool:
    result = conn.execute(sa.update(providers).where(providers.c.name == name).values(**values))
    bump_version(conn)
    return bool(result.rowcount)


def delete_provider(conn: Connection, name: str) -> bool:
    conn.execute(sa.delete(provider_keys).where(provider_keys.c.provider == name))
    result = conn.execute(sa.delete(providers).where(providers.c.name == name))
    bump_version(conn)
    return bool(result.rowcount)


def insert_keys(conn: Connection, keys: list[dict[str, Any]]) -> None:
    for values in keys:
        conn.execute(sa.insert(provider_keys).values(**values))
    bump_version(conn)


def update_key(conn: Connection, key_id: str, values: dict[str, Any]) -> bool:
    result = conn.execute(sa.update(provider_keys).where(provider_keys.c.id == key_id).values(**values))
    bump_version(conn)
    return bool(result.rowcount)


def delete_key(conn: Connection, key_id: str) -> bool:
    result = conn.execute(sa.delete(provider_keys).where(provider_keys.c.id == key_id))
    bump_version(conn)
    return bool(result.rowcount)
