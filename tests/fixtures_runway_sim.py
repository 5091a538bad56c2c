"""Pytest plugin: the Runway simulator on an ephemeral port (one server per session, reset per test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from irisgate.simulators.runner import ServerThread
from irisgate.simulators.runway import RunwaySimSettings, RunwaySimulator

RUNWAY_TEST_KEY = "key_" + "0" * 128


@dataclass(frozen=True)
class RunwaySimHandle:
    sim: RunwaySimulator
    url: str  # http://127.0.0.1:PORT, the client's base URL (Runway's paths carry /v1 themselves)
    api_key: str


@pytest.fixture(scope="session")
def runway_sim_server() -> Iterator[tuple[RunwaySimulator, ServerThread]]:
    sim = RunwaySimulator(RunwaySimSettings(api_keys={RUNWAY_TEST_KEY}, https_only_inputs=False))
    with ServerThread(sim.app) as server:
        yield sim, server


@pytest.fixture
def runway_sim(runway_sim_server: tuple[RunwaySimulator, ServerThread]) -> RunwaySimHandle:
    sim, server = runway_sim_server
    sim.reset()
    return RunwaySimHandle(sim=sim, url=server.url, api_key=RUNWAY_TEST_KEY)
