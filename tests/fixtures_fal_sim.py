"""Pytest plugin: the fal simulator on an ephemeral port (one server per session, reset per test), and
a gateway whose fal provider points at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from irisgate.simulators.fal import FalSimSettings, FalSimulator
from irisgate.simulators.runner import ServerThread

FAL_TEST_KEY = "sim-fal-key-id:sim-fal-key-secret"


@dataclass(frozen=True)
class FalSimHandle:
    sim: FalSimulator
    url: str  # http://127.0.0.1:PORT, the queue's base URL (network_config.base_url)
    api_key: str


@pytest.fixture(scope="session")
def fal_sim_server() -> Iterator[tuple[FalSimulator, ServerThread]]:
    sim = FalSimulator(FalSimSettings(api_keys={FAL_TEST_KEY}))
    with ServerThread(sim.app) as server:
        yield sim, server


@pytest.fixture
def fal_sim(fal_sim_server: tuple[FalSimulator, ServerThread]) -> FalSimHandle:
    sim, server = fal_sim_server
    sim.reset()
    sim.settings.queue_polls, sim.settings.progress_polls = 0, 0  # images answer at the first poll
    return FalSimHandle(sim=sim, url=server.url, api_key=FAL_TEST_KEY)


def fal_provider(base_url: str, key: str = "env.IRISGATE_TEST_FAL_KEY", **network: Any) -> dict[str, Any]:
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"]}],
        "network_config": {"base_url": base_url, "default_request_timeout_in_seconds": 30, **network},
    }


@pytest.fixture
def fal_gateway(make_gateway: Any, fal_sim: FalSimHandle, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A gateway with one fal key (from env.IRISGATE_TEST_FAL_KEY) pointed at the simulator."""
    monkeypatch.setenv("IRISGATE_TEST_FAL_KEY", fal_sim.api_key)
    return make_gateway({"providers": {"fal": fal_provider(fal_sim.url, max_retries=0)}})
