"""Pytest plugin: the Google (Gemini API) simulator on an ephemeral port (one server per session,
reset per test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from irisgate.simulators.google import GoogleSimSettings, GoogleSimulator
from irisgate.simulators.runner import ServerThread

GOOGLE_TEST_KEY = "sim-google-key"


@dataclass(frozen=True)
class GoogleSimHandle:
    sim: GoogleSimulator
    url: str  # http://127.0.0.1:PORT, the base URL (the paths carry /v1beta themselves)
    api_key: str


@pytest.fixture(scope="session")
def google_sim_server() -> Iterator[tuple[GoogleSimulator, ServerThread]]:
    sim = GoogleSimulator(GoogleSimSettings(api_keys={GOOGLE_TEST_KEY}))
    with ServerThread(sim.app) as server:
        yield sim, server


@pytest.fixture
def google_sim(google_sim_server: tuple[GoogleSimulator, ServerThread]) -> GoogleSimHandle:
    sim, server = google_sim_server
    sim.reset()
    return GoogleSimHandle(sim=sim, url=server.url, api_key=GOOGLE_TEST_KEY)


def google_provider(
    base_url: str, key: str = "env.IRISGATE_TEST_GOOGLE_KEY", **key_fields: Any
) -> dict[str, Any]:
    """A config file's `google` provider block pointed at ``base_url`` (no retries: tests see each call)."""
    return {
        "keys": [{"name": "main", "value": key, "models": ["*"], **key_fields}],
        "network_config": {"base_url": base_url, "default_request_timeout_in_seconds": 30, "max_retries": 0},
    }


@pytest.fixture
def google_gateway(make_gateway: Any, google_sim: GoogleSimHandle, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A gateway with one Google key (env.IRISGATE_TEST_GOOGLE_KEY) pointed at the simulator."""
    monkeypatch.setenv("IRISGATE_TEST_GOOGLE_KEY", google_sim.api_key)
    return make_gateway({"providers": {"google": google_provider(google_sim.url)}})
