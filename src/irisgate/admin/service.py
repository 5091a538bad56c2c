"""Provider and key management, shared by the admin API and the dashboard.

Validation reuses the config file's parsers, so a key or network config is judged the same
wherever it comes from; errors are 400s naming the field. File-managed providers and keys are
read-only here (403 `read_only`). Each change is one store transaction that bumps the shared
version, then this instance reloads its registry at once (others within a second).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from irisgate.admin.crypto import SecretBox
from irisgate.admin.views import key_view, provider_view
from irisgate.config import ConfigError, redact_secret
from irisgate.config.parse import parse_models, parse_network_config
from irisgate.config.secrets import env_var_of
from irisgate.providers.catalog import PROVIDERS
from irisgate.routing.registry import ProviderRegistry
from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.store import KeyRecord, ProviderRecord, Store, admin_rows, utc_now

MAX_NAME = 100
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
KEY_FIELDS = {"name", "value", "models", "weight", "enabled"}


class AdminService:
    def __init__(self, store: Store, registry: ProviderRegistry, secrets: SecretBox) -> None:
        self.store = store
        self.registry = registry
        self.secrets = secrets

    # -- providers ---------------------------------------------------------------------------------

    async def list_providers(self) -> list[dict[str, Any]]:
        keys = await self.store.list_keys()
        return [
            provider_view(
                row,
                [k for k in keys if k.provider == row.name],
                self.registry.configs.get(row.name),
                self.registry.problems,
            )
            for row in await self.store.list_providers()
        ]

    async def get_provider(self, name: str) -> dict[str, Any]:
        row = await self._provider(name)
        keys = await self.store.list_keys(name)
        return provider_view(row, keys, self.registry.configs.get(name), self.registry.problems)

    async def create_provider(self, body: Mapping[str, Any]) -> dict[str, Any]:
        name = body.get("provider", body.get("name"))
        if not isinstance(name, str) or name not in PROVIDERS:
            known = ", ".join(PROVIDERS)
            raise invalid_request(f"'provider' must be one of: {known}", "provider")
        if await self.store.get_provider(name) is not None:
            raise GatewayError(
                409, f"Provider '{name}' is already configured", code="already_exists", param="provider"
            )
        network = self._network(name, body.get("network_config"))
        keys = body.get("keys") or []
        if not isinstance(keys, list):
            raise invalid_request("'keys' must be a list", "keys")
        key_rows = [self._new_key(name, item, f"keys[{i}]", taken=set()) for i, item in enumerate(keys)]
        _check_unique([k["name"] for k in key_rows])
        now = utc_now()
        provider = {
            "name": name,
            "display_name": PROVIDERS[name].label,
            "source": "store",
            "network_config": network,
            "created_at": now,
            "updated_at": now,
        }
        keys = [{**values, "created_at": now, "updated_at": now} for values in key_rows]
        await self.store.run(admin_rows.insert_provider, provider, keys)
        await self.registry.reload()
        return await self.get_provider(name)

    async def update_provider(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        row = await self._writable_provider(name)
        if "network_config" not in body:
            raise invalid_request(
                "'network_config' is required", "network_config", code="missing_required_parameter"
            )
        network = self._network(name, body.get("network_config"))
        changes = {"network_config": network, "updated_at": utc_now()}
        await self.store.run(admin_rows.update_provider, row.name, changes)
        await self.registry.reload()
        return await self.get_provider(name)

    async def delete_provider(self, name: str) -> None:
        await self._writable_provider(name)
        await self.store.run(admin_rows.delete_provider, name)
        await self.registry.reload()

    # -- keys --------------------------------------------------------------------------------------

    async def list_keys(self, provider: str) -> list[dict[str, Any]]:
        await self._provider(provider)
        return [key_view(k, self.registry.problems.get(k.id)) for k in await self.store.list_keys(provider)]

    async def get_key(self, provider: str, key_id: str) -> dict[str, Any]:
        record = await self._key(provider, key_id)
        return key_view(record, self.registry.problems.get(record.id))

    async def create_key(self, provider: str, body: Mapping[str, Any]) -> dict[str, Any]:
        await self._writable_provider(provider)
        taken = {k.name for k in await self.store.list_keys(provider)}
        values = self._new_key(provider, body, None, taken)
        now = utc_now()
        keys = [{**values, "created_at": now, "updated_at": now}]
        await self.store.run(admin_rows.insert_keys, keys)
        await self.registry.reload()
        return await self.get_key(provider, values["id"])

    async def update_key(self, provider: str, key_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        record = await self._key(provider, key_id)
        if record.source == "file":
            raise read_only(f"Key '{record.name}' of {provider}")
        _reject_unknown(body, KEY_FIELDS, None)
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = _key_name(body["name"], "name")
            taken = {k.name for k in await self.store.list_keys(provider) if k.id != key_id}
            if changes["name"] in taken:
                raise GatewayError(
                    409,
                    f"{provider} already has a key named '{changes['name']}'",
                    code="already_exists",
                    param="name",
                )
        if body.get("value") not in (None, ""):  # left out or blank: keep the current secret
            changes.update(self._secret_columns(body["value"], "value"))
        changes.update(_key_settings(body, None, partial=True))
        changes["updated_at"] = utc_now()
        await self.store.run(admin_rows.update_key, key_id, changes)
        await self.registry.reload()
        return await self.get_key(provider, key_id)

    async def delete_key(self, provider: str, key_id: str) -> None:
        record = await self._key(provider, key_id)
        if record.source == "file":
            raise read_only(f"Key '{record.name}' of {provider}")
        await self.store.run(admin_rows.delete_key, key_id)
        await self.registry.reload()

    # -- helpers -----------------------------------------------------------------------------------

    async def _provider(self, name: str) -> ProviderRecord:
        row = await self.store.get_provider(name)
        if row is None:
            raise GatewayError(404, f"Provider '{name}' is not configured", code="provider_not_found")
        return row

    async def _writable_provider(self, name: str) -> ProviderRecord:
        row = await self._provider(name)
        if row.source == "file":
            raise read_only(f"Provider '{name}'")
        return row

    async def _key(self, provider: str, key_id: str) -> KeyRecord:
        await self._provider(provider)
        record = await self.store.get_key(key_id)
        if record is None or record.provider != provider:
            raise GatewayError(404, f"{provider} has no key with id '{key_id}'", code="key_not_found")
        return record

    def _network(self, provider: str, value: Any) -> dict[str, Any]:
        """Checked as the config file's (unknown fields refused), stored as ``NetworkConfig.to_dict()``."""
        try:
            network = parse_network_config(
                value or {}, "network_config", PROVIDERS[provider].default_base_url
            )
        except ConfigError as error:
            raise invalid_request(error.message, error.field) from None
        password = network.proxy.password_ref
        if password is not None and env_var_of(password) is None:  # it would be stored in clear
            raise invalid_request(
                "give the proxy password as env.NAME: irisgate does not store a literal proxy password",
                "network_config.proxy_config.password",
            )
        return network.to_dict()

    def _new_key(self, provider: str, body: Any, prefix: str | None, taken: set[str]) -> dict[str, Any]:
        if not isinstance(body, Mapping):
            raise invalid_request("A key must be an object with 'name' and 'value'", prefix)
        _reject_unknown(body, KEY_FIELDS, prefix)
        name = _key_name(body.get("name"), _at(prefix, "name"))
        if name in taken:
            raise GatewayError(
                409,
                f"{provider} already has a key named '{name}'",
                code="already_exists",
                param=_at(prefix, "name"),
            )
        if body.get("value") in (None, ""):
            raise invalid_request(
                "'value' is required: the API key, or env.NAME to read it from the environment",
                _at(prefix, "value"),
                code="missing_required_parameter",
            )
        return {
            "id": str(uuid.uuid4()),
            "provider": provider,
            "name": name,
            "source": "store",
            **self._secret_columns(body["value"], _at(prefix, "value")),
            **_key_settings(body, prefix, partial=False),
        }

    def _secret_columns(self, value: Any, param: str) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip():
            raise invalid_request("must be a non-empty string (an API key or env.NAME)", param)
        value = value.strip()
        env_var = env_var_of(value)
        if env_var is not None and not ENV_NAME.match(env_var):
            raise invalid_request("an env reference is env.NAME with NAME a valid variable name", param)
        if env_var:
            return {"value_kind": "env", "env_var": env_var, "secret_hint": None, "secret_encrypted": None}
        return {
            "value_kind": "literal",
            "env_var": None,
            "secret_hint": redact_secret(value),
            "secret_encrypted": self.secrets.encrypt(value),
        }


def read_only(what: str) -> GatewayError:
    return GatewayError(
        403,
        f"{what} is managed by the config file and is read-only here; change it in the file and restart",
        code="read_only",
    )


def _at(prefix: str | None, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _key_name(value: Any, param: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_request(
            "'name' is required: a name for this key, unique within the provider",
            param,
            code="missing_required_parameter",
        )
    if len(value.strip()) > MAX_NAME:
        raise invalid_request(f"must be at most {MAX_NAME} characters", param)
    return value.strip()


def _key_settings(body: Mapping[str, Any], prefix: str | None, *, partial: bool) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if "models" in body or not partial:
        try:
            settings["models"] = list(parse_models(body.get("models"), _at(prefix, "models")))
        except ConfigError as error:
            raise invalid_request(error.message, error.field) from None
    if "weight" in body or not partial:
        weight = body.get("weight", 1.0)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 1000:
            raise invalid_request("must be a number greater than 0 (and at most 1000)", _at(prefix, "weight"))
        settings["weight"] = float(weight)
    if "enabled" in body or not partial:
        enabled = body.get("enabled", True)
        if not isinstance(enabled, bool):
            raise invalid_request("must be true or false", _at(prefix, "enabled"))
        settings["enabled"] = enabled
    return settings


def _reject_unknown(body: Mapping[str, Any], allowed: set[str], prefix: str | None) -> None:
    unknown = sorted(set(body) - allowed - {"id", "source", "read_only"})
    if unknown:
        raise invalid_request(
            f"unknown field '{unknown[0]}' (a key has: {', '.join(sorted(allowed))})", _at(prefix, unknown[0])
        )


def _check_unique(names: list[str]) -> None:
    seen: set[str] = set()
    for index, name in enumerate(names):
        if name in seen:
            raise GatewayError(
                409, f"Two keys are named '{name}'", code="already_exists", param=f"keys[{index}].name"
            )
        seen.add(name)
