"""Pytest plugin: the OpenAI Images simulator on an ephemeral port (one server per session, reset per
test), and a gateway with one OpenAI key pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from irisgate.simulators.openai import OpenAISimSettings, OpenAISimulator
from irisgate.simulators.runner import ServerThread

OPENAI_TEST_KEY = "sk-openai-test-key"


@dataclass(frozen=True)
class OpenAISimHandle:
    sim: OpenAISimulator
    url: str  # http://127.0.0.1:PORT
    api_url: str  # url + "/v1": the openai SDK's base_url, and irisgate's network_config.base_url
    api_key: str


@pytest.fixture(scope="session")
def openai_sim_server() -> Iterator[tuple[OpenAISimulator, ServerThread]]:
    sim = OpenAISimulator(OpenAISimSettings(api_keys={OPENAI_TEST_KEY}))
    with ServerThread(sim.app) as server:
        yield sim, server


@pytest.fixture
def openai_sim(openai_sim_server: tuple[OpenAISimulator, ServerThread]) -> OpenAISimHandle:
    sim, server = openai_sim_server
    sim.reset()
    return OpenAISimHandle(sim=sim, url=server.url, api_url=server.url + "/v1", api_key=OPENAI_TEST_KEY)


def openai_provider(
    api_url: str, key: str = "env.IRISGATE_TEST_OPENAI_KEY", **key_fields: Any
) -> dict[str, Any]:
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"], **key_fields}],
        "network_config": {"base_url": api_url, "default_request_timeout_in_seconds": 30},
    }


@pytest.fixture
def openai_gateway(make_gateway: Any, openai_sim: OpenAISimHandle, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A gateway with one OpenAI key (from env.IRISGATE_TEST_OPENAI_KEY) pointed at the simulator."""
    monkeypatch.setenv("IRISGATE_TEST_OPENAI_KEY", openai_sim.api_key)
    return make_gateway({"providers": {"openai": openai_provider(openai_sim.api_url)}})
