"""The per-process gateway: configuration, providers, router, store and request-log writer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette

from irisgate.config import GatewayConfig
from irisgate.jobs.service import VideoJobs
from irisgate.providers.registry import build_providers
from irisgate.request_log import RequestLogWriter
from irisgate.routing import Router
from irisgate.store import Store, default_store_url


@dataclass(frozen=True)
class GatewaySettings:
    config: GatewayConfig
    app_dir: Path

    @property
    def store_url(self) -> str:
        return self.config.store_url or default_store_url(self.app_dir)


async def prepare_store(settings: GatewaySettings) -> None:
    """Once per start, before any worker serves: migrate the schema and reload file-managed providers."""
    settings.app_dir.mkdir(parents=True, exist_ok=True)
    store = await Store.open(settings.store_url)
    try:
        await store.migrate()
        await store.sync_file_providers(settings.config.providers)
    finally:
        await store.close()


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.providers = build_providers(settings.config.providers)
        self.router = Router(settings.config.providers, self.providers)
        self.store: Store
        self.request_log: RequestLogWriter
        self.jobs: VideoJobs

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        app.state.gateway = self
        self.store = await Store.open(self.settings.store_url)
        self.jobs = VideoJobs(self.store, self.router)
        self.request_log = RequestLogWriter(self.store)
        await self.request_log.start()
        try:
            yield
        finally:
            await self.request_log.aclose()
            await asyncio.gather(*(provider.aclose() for provider in self.providers.values()))
            await self.store.close()
