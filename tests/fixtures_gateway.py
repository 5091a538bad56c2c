"""Run the real gateway app on a loopback port, configured from a real config file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from irisgate.config import load_config
from irisgate.server.app import UVICORN_OPTIONS, create_app
from irisgate.server.gateway import GatewaySettings, prepare_store
from irisgate.simulators.runner import ServerThread

RUNWARE_MODEL = "runware/runware:100@1"


@dataclass
class GatewayHandle:
    url: str
    app_dir: Path
    settings: GatewaySettings

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def openai(self, **kwargs: Any) -> OpenAI:
        return OpenAI(api_key="irisgate-client", base_url=self.base_url, max_retries=0, **kwargs)


def runway_provider(
    base_url: str, key: str = "env.IRISGATE_TEST_RUNWAY_KEY", **key_fields: Any
) -> dict[str, Any]:
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"], **key_fields}],
        "network_config": {"base_url": base_url, "default_request_timeout_in_seconds": 30},
    }


def runware_provider(
    api_url: str, key: str = "env.IRISGATE_TEST_RUNWARE_KEY", **key_fields: Any
) -> dict[str, Any]:
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"], **key_fields}],
        "network_config": {"base_url": api_url, "default_request_timeout_in_seconds": 30},
    }


class GatewayFactory:
    """Starts gateways from config documents (each written to a JSON file); `stop` ends one early."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.servers: dict[str, ServerThread] = {}
        self.count = 0

    def __call__(self, config: dict[str, Any], app_dir: Path | None = None) -> GatewayHandle:
        """`app_dir` reuses a store (a restart); by default every gateway gets its own."""
        self.count += 1
        app_dir = app_dir or self.tmp_path / f"app{self.count}"
        app_dir.mkdir(exist_ok=True)
        config_file = app_dir / "config.json"
        config_file.write_text(json.dumps(config))
        settings = GatewaySettings(config=load_config(config_file), app_dir=app_dir)
        asyncio.run(prepare_store(settings))
        server = ServerThread(create_app(settings), **UVICORN_OPTIONS).start()  # as `irisgate serve`
        self.servers[server.url] = server
        return GatewayHandle(url=server.url, app_dir=app_dir, settings=settings)

    def stop(self, handle: GatewayHandle) -> None:
        self.servers.pop(handle.url).stop()

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.stop()
        self.servers.clear()


@pytest.fixture
def make_gateway(tmp_path: Path) -> Iterator[GatewayFactory]:
    factory = GatewayFactory(tmp_path)
    yield factory
    factory.stop_all()


@pytest.fixture
def media_gateway(
    make_gateway: GatewayFactory, runware_sim: Any, runway_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> GatewayHandle:
    """A gateway with one Runware and one Runway key, each pointed at its simulator."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    return make_gateway(media_config(runware_sim, runway_sim))


def media_config(runware_sim: Any, runway_sim: Any) -> dict[str, Any]:
    return {
        "providers": {
            "runware": runware_provider(runware_sim.api_url),
            "runway": runway_provider(runway_sim.url),
        }
    }


@pytest.fixture
def gateway(make_gateway: GatewayFactory, runware_sim: Any, monkeypatch: pytest.MonkeyPatch) -> GatewayHandle:
    """A gateway with one Runware key (from env.IRISGATE_TEST_RUNWARE_KEY) pointed at the simulator."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    return make_gateway({"providers": {"runware": runware_provider(runware_sim.api_url)}})
