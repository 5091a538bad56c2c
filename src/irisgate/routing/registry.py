"""The providers and keys in force: the config file's plus those created in the admin API.

File providers and keys come from the parsed config (their secrets stay in memory);
store-managed ones come from the store (env references resolved, literals decrypted).
An admin change bumps a shared version in the store: the instance that made it reloads
at once, every other instance within `WATCH_INTERVAL` seconds. A provider whose network
settings changed gets a new provider object (a new HTTP client); the old one is closed
after its in-flight requests had time to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping

from irisgate.admin.crypto import SecretBox
from irisgate.config import ConfigError, GatewayConfig, KeyConfig, ProviderConfig
from irisgate.config.parse import parse_network_config
from irisgate.providers.base import Provider
from irisgate.providers.catalog import PROVIDERS
from irisgate.schemas.errors import GatewayError
from irisgate.store import KeyRecord, ProviderRecord, Store

log = logging.getLogger("irisgate.registry")
WATCH_INTERVAL = 1.0


class ProviderRegistry:
    def __init__(self, file_config: GatewayConfig, store: Store, secrets: SecretBox) -> None:
        self.file_config = file_config
        self.store = store
        self.secrets = secrets
        self.configs: Mapping[str, ProviderConfig] = {}
        self.providers: dict[str, Provider] = {}
        self.problems: dict[str, str] = {}  # key id → why the key cannot serve (e.g. env var unset)
        self.version = -1
        self._lock = asyncio.Lock()
        self._retired: list[Provider] = []
        # called after every reload, e.g. to reload the virtual keys, which share the version counter
        self.listeners: list[Callable[[], Awaitable[None]]] = []
        self._watcher: asyncio.Task[None] | None = None

    async def reload(self) -> None:
        async with self._lock:
            version = await self.store.providers_version()
            rows = await self.store.list_providers()
            keys = await self.store.list_keys()
            configs, problems = self._build(rows, keys)
            self._swap_providers(configs)
            self.configs, self.problems, self.version = configs, problems, version
            for listener in self.listeners:
                await listener()

    async def reload_if_changed(self) -> None:
        if await self.store.providers_version() != self.version:
            await self.reload()

    def start_watching(self) -> None:
        self._watcher = asyncio.create_task(self._watch(), name="irisgate-registry-watch")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL)
            try:
                await self.reload_if_changed()
            except Exception:  # a store hiccup: keep serving with what we have
                log.warning("could not check the provider configuration for changes", exc_info=True)

    async def aclose(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for provider in [*self.providers.values(), *self._retired]:
            await provider.aclose()

    def _build(
        self, rows: list[ProviderRecord], keys: list[KeyRecord]
    ) -> tuple[dict[str, ProviderConfig], dict[str, str]]:
        configs: dict[str, ProviderConfig] = {}
        problems: dict[str, str] = {}
        for row in rows:
            file_provider = self.file_config.providers.get(row.name)
            if row.source == "file" and file_provider is not None:
                network = file_provider.network
                own_keys = list(file_provider.keys)
            else:
                try:
                    network = parse_network_config(
                        row.network_config,
                        f"providers.{row.name}.network_config",
                        PROVIDERS[row.name].default_base_url if row.name in PROVIDERS else "",
                        max_response_bytes=self.file_config.max_upstream_body_bytes,
                    )
                except ConfigError as error:
                    log.error("provider %s has an invalid stored network config: %s", row.name, error)
                    continue
                own_keys = []
            for record in keys:
                if record.provider != row.name or record.source != "store":
                    continue
                key = self._store_key(record, problems)
                if key is not None:
                    own_keys.append(key)
            configs[row.name] = ProviderConfig(row.name, tuple(own_keys), network)
        return configs, problems

    def _store_key(self, record: KeyRecord, problems: dict[str, str]) -> KeyConfig | None:
        if record.value_kind == "env":
            value_ref = f"env.{record.env_var}"
            secret = os.environ.get(record.env_var or "", "")
            if not secret:
                problems[record.id] = f"environment variable {record.env_var} is not set"
                return None
        else:
            if not record.secret_encrypted:
                problems[record.id] = "no stored secret"
                return None
            try:
                secret = self.secrets.decrypt(record.secret_encrypted)
            except GatewayError as error:
                problems[record.id] = error.message
                return None
            value_ref = secret
        return KeyConfig(
            id=record.id,
            name=record.name,
            value_ref=value_ref,
            secret=secret,
            models=record.models,
            weight=record.weight,
            enabled=record.enabled,
        )

    def _swap_providers(self, configs: Mapping[str, ProviderConfig]) -> None:
        current = dict(self.providers)
        fresh: dict[str, Provider] = {}
        for name, config in configs.items():
            if name not in PROVIDERS:
                continue
            old = current.pop(name, None)
            if old is not None and old.network == config.network:
                fresh[name] = old
            else:
                fresh[name] = PROVIDERS[name].build(config.network)
                if old is not None:
                    self._retire(old)
        for old in current.values():
            self._retire(old)
        self.providers = fresh

    def _retire(self, provider: Provider) -> None:
        """Close an outdated provider's pool once requests that still use it had time to finish."""
        self._retired.append(provider)
        delay = provider.network.timeout_seconds + 5

        async def close_later() -> None:
            await asyncio.sleep(delay)
            await provider.aclose()
            self._retired.remove(provider)

        with contextlib.suppress(RuntimeError):  # no running loop (shutdown): aclose() handles it
            asyncio.get_running_loop().create_task(close_later())
