"""Pytest plugin: provider simulators served on ephemeral ports (one server per session, reset per test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from irisgate.simulators.runner import ServerThread
from irisgate.simulators.runware import RunwareSimSettings, RunwareSimulator

RUNWARE_TEST_KEY = "rw-test-key"


@dataclass(frozen=True)
class RunwareSimHandle:
    sim: RunwareSimulator
    url: str  # http://127.0.0.1:PORT
    api_url: str  # url + "/v1", what a client's base URL should be
    api_key: str


@pytest.fixture(scope="session")
def runware_sim_server() -> Iterator[tuple[RunwareSimulator, ServerThread]]:
    sim = RunwareSimulator(RunwareSimSettings(api_keys={RUNWARE_TEST_KEY}, async_polls_to_complete=1))
    with ServerThread(sim.app) as server:
        yield sim, server


@pytest.fixture
def runware_sim(runware_sim_server: tuple[RunwareSimulator, ServerThread]) -> RunwareSimHandle:
    sim, server = runware_sim_server
    sim.reset()
    return RunwareSimHandle(sim=sim, url=server.url, api_url=server.url + "/v1", api_key=RUNWARE_TEST_KEY)
