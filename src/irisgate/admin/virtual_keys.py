"""Managing virtual keys (client credentials for /v1): create (the key is shown once), list, edit, delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from irisgate.admin.clients import hash_key, key_hint, new_virtual_key
from irisgate.providers.catalog import PROVIDERS
from irisgate.routing.registry import ProviderRegistry
from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.store import Store, VirtualKeyRecord, utc_now

FIELDS = {"name", "allowed_providers", "allowed_models", "rpm_limit", "enabled"}
MAX_RPM = 1_000_000


def virtual_key_view(record: VirtualKeyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "key_hint": record.key_hint,
        "allowed_providers": list(record.allowed_providers),
        "allowed_models": list(record.allowed_models),
        "rpm_limit": record.rpm_limit,
        "enabled": record.enabled,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


class VirtualKeys:
    def __init__(self, store: Store, registry: ProviderRegistry) -> None:
        self.store = store
        self.registry = registry

    async def list(self) -> list[dict[str, Any]]:
        return [virtual_key_view(record) for record in await self.store.list_virtual_keys()]

    async def get(self, key_id: str) -> dict[str, Any]:
        return virtual_key_view(await self._record(key_id))

    async def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        settings = await self._settings(body, partial=False)
        key = new_virtual_key()
        record = VirtualKeyRecord(
            id=str(uuid.uuid4()), key_hash=hash_key(key), key_hint=key_hint(key), **settings
        )
        await self.store.insert_virtual_key(record)
        await self.registry.reload()
        return {**virtual_key_view(record), "key": key}

    async def update(self, key_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        await self._record(key_id)
        settings = await self._settings(body, partial=True, key_id=key_id)
        await self.store.update_virtual_key(key_id, **settings, updated_at=utc_now())
        await self.registry.reload()
        return await self.get(key_id)

    async def delete(self, key_id: str) -> None:
        await self._record(key_id)
        await self.store.delete_virtual_key(key_id)
        await self.registry.reload()

    async def _record(self, key_id: str) -> VirtualKeyRecord:
        record = next((r for r in await self.store.list_virtual_keys() if r.id == key_id), None)
        if record is None:
            raise GatewayError(404, f"No virtual key with id '{key_id}'", code="not_found")
        return record

    async def _settings(
        self, body: Mapping[str, Any], *, partial: bool, key_id: str | None = None
    ) -> dict[str, Any]:
        unknown = sorted(set(body) - FIELDS - {"id", "key_hint", "created_at", "updated_at"})
        if unknown:
            raise invalid_request(
                f"unknown field '{unknown[0]}' (a virtual key has: {', '.join(sorted(FIELDS))})", unknown[0]
            )
        settings: dict[str, Any] = {}
        if "name" in body or not partial:
            name = body.get("name")
            if not isinstance(name, str) or not name.strip() or len(name.strip()) > 100:
                raise invalid_request(
                    "'name' is required (at most 100 characters)", "name", code="missing_required_parameter"
                )
            taken = {r.name for r in await self.store.list_virtual_keys() if r.id != key_id}
            if name.strip() in taken:
                raise GatewayError(
                    409, f"A virtual key named '{name.strip()}' exists", code="already_exists", param="name"
                )
            settings["name"] = name.strip()
        if "allowed_providers" in body or not partial:
            settings["allowed_providers"] = _names(
                body.get("allowed_providers"), "allowed_providers", providers=True
            )
        if "allowed_models" in body or not partial:
            settings["allowed_models"] = _names(body.get("allowed_models"), "allowed_models", providers=False)
        if "rpm_limit" in body or not partial:
            limit = body.get("rpm_limit")
            if limit is not None and (
                isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RPM
            ):
                raise invalid_request(
                    f"'rpm_limit' must be an integer from 1 to {MAX_RPM}, or null", "rpm_limit"
                )
            settings["rpm_limit"] = limit
        if "enabled" in body or not partial:
            enabled = body.get("enabled", True)
            if not isinstance(enabled, bool):
                raise invalid_request("'enabled' must be true or false", "enabled")
            settings["enabled"] = enabled
        return settings


def _names(value: Any, param: str, *, providers: bool) -> tuple[str, ...]:
    if value is None or value == []:
        return ("*",)
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise invalid_request(f"'{param}' must be a list of names, or [\"*\"] for all", param)
    names = tuple(dict.fromkeys(v.strip() for v in value))
    for index, name in enumerate(names):
        if name == "*":
            continue
        if providers and name not in PROVIDERS:
            raise invalid_request(
                f"unknown provider '{name}' (known: {', '.join(PROVIDERS)})", f"{param}[{index}]"
            )
        if not providers and "/" not in name:
            raise invalid_request(f"'{name}' must be 'provider/model' or 'provider/*'", f"{param}[{index}]")
    return names
