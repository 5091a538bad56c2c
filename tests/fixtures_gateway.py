"""Run the real gateway app on a loopback port, configured from a real config file."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openai import OpenAI

from irisgate.config import load_config
from irisgate.server.app import create_app
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


def runware_provider(
    api_url: str, key: str = "env.IRISGATE_TEST_RUNWARE_KEY", **key_fields: Any
) -> dict[str, Any]:
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"], **key_fields}],
        "network_config": {"base_url": api_url, "default_request_timeout_in_seconds": 30},
    }


@pytest.fixture
def make_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[dict[str, Any]], GatewayHandle]]:
    """Start a gateway from a config document (written to a JSON file); stopped after the test."""
    servers: list[ServerThread] = []

    def start(config: dict[str, Any]) -> GatewayHandle:
        app_dir = tmp_path / f"app{len(servers)}"
        app_dir.mkdir()
        config_file = app_dir / "config.json"
        config_file.write_text(json.dumps(config))
        settings = GatewaySettings(config=load_config(config_file), app_dir=app_dir)
        asyncio.run(prepare_store(settings))
        server = ServerThread(create_app(settings)).start()
        servers.append(server)
        return GatewayHandle(url=server.url, app_dir=app_dir, settings=settings)

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def gateway(
    make_gateway: Callable[[dict[str, Any]], GatewayHandle], runware_sim: Any, monkeypatch: pytest.MonkeyPatch
) -> GatewayHandle:
    """A gateway with one Runware key (from env.IRISGATE_TEST_RUNWARE_KEY) pointed at the simulator."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    return make_gateway({"providers": {"runware": runware_provider(runware_sim.api_url)}})
