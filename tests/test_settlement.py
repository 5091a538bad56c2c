"""Video jobs that finish on their own (issue 19): every process settles the jobs that are due,
whether or not a client polls, one process at a time per job, and a dead process's jobs are taken
over once their leases run out."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from irisgate.simulators.runway import RunwayFault
from irisgate.store import normalize_store_url

from serve_helpers import free_port, start_serve, wait_for_health

PG_URL = os.environ.get("IRISGATE_TEST_POSTGRES_URL")
RUNWARE_VIDEO = {"model": "runware/sim:video@1", "prompt": "a paper boat", "size": "320x192", "seconds": "1"}
RUNWAY_VIDEO = {"model": "runway/gen4.5", "prompt": "a paper boat", "seconds": "2"}


def admin(url: str, app_dir: Path) -> httpx.Client:
    token = (app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def all_jobs(client: httpx.Client) -> list[dict[str, Any]]:
    """Every job the store holds, as the admin API lists them (a read of the store: no poll)."""
    jobs: list[dict[str, Any]] = []
    after = None
    while True:
        page = client.get("/api/jobs", params={"limit": 100, **({"after": after} if after else {})}).json()
        jobs += page["data"]
        if not page["has_more"]:
            return jobs
        after = page["last_id"]


def wait_until_settled(client: httpx.Client, count: int, limit: float = 120) -> list[dict[str, Any]]:
    """Until the store shows ``count`` jobs, every one ended (``limit`` only bounds a broken run)."""
    deadline = time.monotonic() + limit
    while True:
        jobs = all_jobs(client)
        if len(jobs) == count and all(job["state"] in ("completed", "failed") for job in jobs):
            return jobs
        if time.monotonic() > deadline:
            states = defaultdict(int)
            for job in jobs:
                states[job["state"]] += 1
            raise AssertionError(f"not settled: {dict(states)} of {count}")
        time.sleep(0.5)


def retrieves(sim: Any) -> list[Any]:
    return [r for r in sim.requests if r.method == "GET" and r.path.startswith("/v1/videos/")]


def test_settlement_goes_on_after_a_restart(make_gateway, media_gateway, runway_sim):
    runway_sim.sim.settings.delay_seconds = 0.5
    video = httpx.post(media_gateway.base_url + "/videos", json=RUNWAY_VIDEO).json()
    config = json.loads((media_gateway.app_dir / "config.json").read_text())
    make_gateway.stop(media_gateway)  # before its settler's first poll (5 s after the create)
    assert runway_sim.sim.requests[-1].method == "POST"
    restarted = make_gateway(config, app_dir=media_gateway.app_dir)
    (job,) = wait_until_settled(admin(restarted.url, restarted.app_dir), 1)
    assert (job["id"], job["status"]) == (video["id"], "completed")


# -- several processes on one PostgreSQL ------------------------------------------------------------


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("set IRISGATE_TEST_POSTGRES_URL (make test does) to run several instances on PostgreSQL")
    server = make_url(normalize_store_url(PG_URL))
    name = f"irisgate_settle_{uuid.uuid4().hex[:12]}"

    async def run(statement: str) -> None:
        engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(sa.text(statement))
        await engine.dispose()

    import asyncio

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class Instances:
    """`irisgate serve` processes on one store."""

    def __init__(self, tmp_path: Path, config: dict[str, Any]) -> None:
        self.tmp_path = tmp_path
        self.config_file = tmp_path / "config.json"
        self.config_file.write_text(json.dumps(config))
        self.processes: list[Any] = []

    def start(self, name: str) -> tuple[str, Path, Any]:
        port = free_port()
        app_dir = self.tmp_path / name
        process = start_serve(
            self.config_file, app_dir, port, env={**os.environ, "IRISGATE_ADMIN_TOKEN": "admin-token"}
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process)
        return url, app_dir, process

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                process.communicate(timeout=60)


@pytest.fixture
def instances(tmp_path, postgres_url, runway_sim) -> Iterator[Instances]:
    config = {
        "providers": {
            "runway": {
                "keys": [{"name": "main", "value": runway_sim.api_key}],
                "network_config": {"base_url": runway_sim.url},
            }
        },
        "store": {"url": postgres_url},
        "settlement": {"lease_seconds": 3},
    }
    started = Instances(tmp_path, config)
    yield started
    started.stop()


def admin_of(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"Authorization": "Bearer admin-token"}, timeout=30)


def overlapping_polls(sim: Any, slowness: float) -> list[str]:
    """Tasks asked about twice at once: every poll takes at least ``slowness`` seconds to answer, so
    two that begin closer together than that were in flight together."""
    starts: dict[str, list[float]] = defaultdict(list)
    for request in sim.requests:
        if request.method == "GET" and request.path.startswith("/v1/tasks/"):
            starts[request.path].append(request.at)
    return [
        task
        for task, times in starts.items()
        if any(
            later - earlier < slowness * 0.9
            for earlier, later in zip(sorted(times), sorted(times)[1:], strict=False)
        )
    ]


def test_two_processes_never_ask_about_a_job_at_once(instances, runway_sim):
    runway_sim.sim.settings.delay_seconds = 8
    runway_sim.sim.add_fault(RunwayFault(kind="slow_ack", path="/v1/tasks", delay_seconds=0.4))
    first, _, _ = instances.start("a")
    second, _, _ = instances.start("b")
    created = []
    for n in range(30):
        url = first if n % 2 else second
        answer = httpx.post(url + "/v1/videos", json={**RUNWAY_VIDEO, "prompt": f"boat {n}"}, timeout=30)
        assert answer.status_code == 200, answer.text
        created.append(answer.json()["id"])
    for n, video_id in enumerate(created * 2):  # clients poll too, through both processes
        httpx.get((first if n % 3 else second) + f"/v1/videos/{video_id}", timeout=30)
    jobs = wait_until_settled(admin_of(first), 30)
    assert {job["status"] for job in jobs} == {"completed"}
    assert overlapping_polls(runway_sim.sim, 0.4) == []


def test_the_jobs_of_a_killed_process_are_settled_by_another(instances, runway_sim):
    runway_sim.sim.settings.delay_seconds = 1
    hang = RunwayFault(kind="slow_ack", path="/v1/tasks", delay_seconds=30)
    runway_sim.sim.add_fault(hang)
    doomed, _, process = instances.start("a")
    created = [
        httpx.post(doomed + "/v1/videos", json={**RUNWAY_VIDEO, "prompt": f"boat {n}"}, timeout=30).json()[
            "id"
        ]
        for n in range(5)
    ]
    deadline = time.monotonic() + 60
    while len({r.path for r in runway_sim.sim.requests if r.path.startswith("/v1/tasks/")}) < 5:
        assert time.monotonic() < deadline, "the first process never asked about its jobs"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)  # while it holds every job's lease, asking about it
    process.wait(timeout=30)
    runway_sim.sim.clear_faults()
    survivor, _, _ = instances.start("b")
    jobs = wait_until_settled(admin_of(survivor), 5)
    assert {job["id"] for job in jobs} == set(created)
    assert {job["status"] for job in jobs} == {"completed"}
