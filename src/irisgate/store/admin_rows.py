"""Writes of store-managed providers and keys (the admin API's), each bumping the shared version.

Every change runs in one transaction with a bump of the `providers_version` counter, so every
instance notices it and reloads its provider registry.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from irisgate.store.tables import provider_keys, providers, state

PROVIDERS_VERSION = "providers_version"


async def bump_version(conn: AsyncConnection) -> None:
    updated = await conn.execute(
        sa.update(state).where(state.c.name == PROVIDERS_VERSION).values(value=state.c.value + 1)
    )
    if not updated.rowcount:
        await conn.execute(sa.insert(state).values(name=PROVIDERS_VERSION, value=1))


async def read_version(conn: AsyncConnection) -> int:
    value = (await conn.execute(sa.select(state.c.value).where(state.c.name == PROVIDERS_VERSION))).scalar()
    return int(value or 0)


async def insert_provider(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(sa.insert(providers).values(**values))
    await bump_version(conn)


async def update_provider(conn: AsyncConnection, name: str, values: dict[str, Any]) -> bool:
    result = await conn.execute(sa.update(providers).where(providers.c.name == name).values(**values))
    await bump_version(conn)
    return bool(result.rowcount)


async def delete_provider(conn: AsyncConnection, name: str) -> bool:
    await conn.execute(sa.delete(provider_keys).where(provider_keys.c.provider == name))
    result = await conn.execute(sa.delete(providers).where(providers.c.name == name))
    await bump_version(conn)
    return bool(result.rowcount)


async def insert_key(conn: AsyncConnection, values: dict[str, Any]) -> None:
    await conn.execute(sa.insert(provider_keys).values(**values))
    await bump_version(conn)


async def update_key(conn: AsyncConnection, key_id: str, values: dict[str, Any]) -> bool:
    result = await conn.execute(sa.update(provider_keys).where(provider_keys.c.id == key_id).values(**values))
    await bump_version(conn)
    return bool(result.rowcount)


async def delete_key(conn: AsyncConnection, key_id: str) -> bool:
    result = await conn.execute(sa.delete(provider_keys).where(provider_keys.c.id == key_id))
    await bump_version(conn)
    return bool(result.rowcount)
