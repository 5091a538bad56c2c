"""Broken exchanges through a real gateway: garbage bodies, connection resets, an upstream that hangs.

Each test drives the gateway over HTTP (httpx, and the OpenAI SDK for polling), breaks one upstream
exchange with a simulator fault knob, and checks what the client sees and, in the simulator's log,
that no task was created twice upstream. The simulators answer `garbage` and `reset` after handling
the request (the task exists upstream; only the answer is lost): the ambiguous case.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from irisgate.simulators.runware import Fault
from irisgate.simulators.runway import RunwayFault

from fixtures_gateway import RUNWARE_MODEL

FAST = {"max_retries": 2, "retry_backoff_initial": "10ms", "retry_backoff_max": "50ms"}
RUNWAY_MODEL = "runway/gen4.5"
RUNWARE_VIDEO_MODEL = "runware/klingai:5@3"
CREATE_PATH = "/v1/text_to_video"


def network(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {"base_url": base_url, "default_request_timeout_in_seconds": 30, **FAST, **overrides}


@pytest.fixture
def make_fault_gateway(make_gateway, runware_sim, runway_sim):
    """A gateway on both simulators with fast retries; keyword arguments override network_config."""

    def make(**overrides: Any):
        return make_gateway(
            {
                "providers": {
                    "runware": {
                        "keys": [{"name": "main", "value": runware_sim.api_key}],
                        "network_config": network(runware_sim.api_url, **overrides),
                    },
                    "runway": {
                        "keys": [{"name": "main", "value": runway_sim.api_key}],
                        "network_config": network(runway_sim.url, **overrides),
                    },
                }
            }
        )

    return make


@pytest.fixture
def gateway(make_fault_gateway):
    return make_fault_gateway()


def generate(gateway, **extra: Any) -> httpx.Response:
    body = {"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256", **extra}
    return httpx.post(gateway.base_url + "/images/generations", json=body, timeout=60)


def create_video(gateway, model: str = RUNWAY_MODEL, **extra: Any) -> httpx.Response:
    body = {"model": model, "prompt": "a harbour at night", "seconds": "5", **extra}
    return httpx.post(gateway.base_url + "/videos", json=body, timeout=60)


def retrieve(gateway, video_id: str) -> httpx.Response:
    return httpx.get(f"{gateway.base_url}/videos/{video_id}", timeout=60)


def error_of(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    return error


def runware_tasks(sim, task_type: str) -> list[dict[str, Any]]:
    """Every task of that type the Runware simulator received, in order (resends included)."""
    return [
        t
        for r in sim.requests
        if r.method == "POST" and isinstance(r.body, list)
        for t in r.body
        if isinstance(t, dict) and t.get("taskType") == task_type
    ]


def runway_posts(sim, path: str = CREATE_PATH) -> list[Any]:
    return [r for r in sim.requests if r.method == "POST" and r.path == path]


def runway_polls(sim) -> list[Any]:
    return [r for r in sim.requests if r.method == "GET" and r.path.startswith("/v1/tasks/")]


def wait_until(condition, what: str, limit: float = 15.0) -> None:
    """Wait for the simulator to finish work the gateway gave up on (so it cannot leak into the next
    test); `limit` only bounds a broken run, it is not a speed assertion."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


# ---------------------------------------------------------------- garbage bodies


def test_garbage_on_an_image_create_is_re_asked_by_task_uuid(gateway, runware_sim):
    """The task ran upstream but its answer was a proxy's error page: irisgate asks again with the
    same taskUUID (Runware refuses it as a conflict) and fetches the results: one task, a 200."""
    runware_sim.sim.add_fault(Fault(kind="garbage", task_type="imageInference", times=1))
    response = generate(gateway)
    assert response.status_code == 200, response.text
    uuids = [task["taskUUID"] for task in runware_tasks(runware_sim.sim, "imageInference")]
    assert len(uuids) == 2 and len(set(uuids)) == 1
    assert runware_tasks(runware_sim.sim, "getResponse")


def test_garbage_that_persists_on_an_image_create_is_502_invalid_response(gateway, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="garbage", task_type="imageInference"))
    error = error_of(generate(gateway), 502, "upstream_invalid_response")
    assert "<html>" not in error["message"]  # the proxy's page is not echoed to the client
    assert len({task["taskUUID"] for task in runware_tasks(runware_sim.sim, "imageInference")}) == 1


def test_garbage_on_a_runway_create_is_502_and_not_resent(gateway, runway_sim):
    runway_sim.sim.add_fault(RunwayFault(kind="garbage", path=CREATE_PATH, times=1))
    error_of(create_video(gateway), 502, "upstream_invalid_response")
    assert len(runway_posts(runway_sim.sim)) == 1
    assert len(runway_sim.sim.tasks()) == 1  # created upstream, but its answer was lost: never doubled


def test_garbage_on_a_runway_retrieve_is_retried_and_the_poll_succeeds(gateway, runway_sim):
    video = create_video(gateway).json()
    runway_sim.sim.add_fault(RunwayFault(kind="garbage", path="/v1/tasks", times=1))
    response = retrieve(gateway, video["id"])
    assert response.status_code == 200, response.text
    assert response.json()["id"] == video["id"]
    assert len(runway_polls(runway_sim.sim)) == 2


def test_garbage_on_a_runway_retrieve_that_persists_is_502_invalid_response(gateway, runway_sim):
    video = create_video(gateway).json()
    runway_sim.sim.add_fault(RunwayFault(kind="garbage", path="/v1/tasks"))
    error_of(retrieve(gateway, video["id"]), 502, "upstream_invalid_response")
    runway_sim.sim.clear_faults()
    assert retrieve(gateway, video["id"]).status_code == 200  # the job was not lost


def test_garbage_on_a_runware_video_retrieve_is_retried_and_the_poll_succeeds(gateway, runware_sim):
    video = create_video(gateway, model=RUNWARE_VIDEO_MODEL).json()
    runware_sim.sim.add_fault(Fault(kind="garbage", task_type="getResponse", times=1))
    response = retrieve(gateway, video["id"])
    assert response.status_code == 200, response.text
    assert len(runware_tasks(runware_sim.sim, "getResponse")) == 2


# ---------------------------------------------------------------- connection resets


def test_a_reset_on_an_image_create_resends_the_same_task_uuid_and_creates_one_task(gateway, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="reset", task_type="imageInference", times=1))
    response = generate(gateway)
    assert response.status_code == 200, response.text
    assert response.json()["data"][0]["url"]
    sent = runware_tasks(runware_sim.sim, "imageInference")
    assert len(sent) == 2 and sent[0]["taskUUID"] == sent[1]["taskUUID"]  # re-sent, same taskUUID
    assert runware_sim.sim.state.used_uuids == {sent[0]["taskUUID"].lower()}  # one task upstream
    polls = runware_tasks(runware_sim.sim, "getResponse")  # the conflict sends the gateway to results
    assert polls and {p["taskUUID"] for p in polls} == {sent[0]["taskUUID"]}


def test_a_reset_on_a_runway_create_is_not_resent_and_is_502(gateway, runway_sim):
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path=CREATE_PATH, times=1))
    response = create_video(gateway)
    error_of(response, 502, "upstream_unreachable")
    assert len(runway_posts(runway_sim.sim)) == 1  # ambiguous: a second POST could bill twice
    assert len(runway_sim.sim.tasks()) == 1


def test_a_reset_on_a_runway_poll_is_retried_and_the_poll_succeeds(gateway, runway_sim):
    video = create_video(gateway).json()
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path="/v1/tasks", times=1))
    response = retrieve(gateway, video["id"])
    assert response.status_code == 200, response.text
    assert response.json()["id"] == video["id"]
    assert len(runway_polls(runway_sim.sim)) == 2
    assert runway_sim.sim.faults.snapshot() == []
    done = gateway.openai().videos.poll(video["id"], poll_interval_ms=20)
    assert done.status == "completed"
    assert len(runway_sim.sim.tasks()) == 1


def test_a_reset_on_a_runware_video_poll_is_retried(gateway, runware_sim):
    video = create_video(gateway, model=RUNWARE_VIDEO_MODEL).json()
    runware_sim.sim.add_fault(Fault(kind="reset", task_type="getResponse", times=1))
    response = retrieve(gateway, video["id"])
    assert response.status_code == 200, response.text
    assert len(runware_tasks(runware_sim.sim, "getResponse")) == 2
    assert len(runware_tasks(runware_sim.sim, "videoInference")) == 1


# ---------------------------------------------------------------- an upstream that hangs


def test_an_image_create_that_hangs_past_the_timeout_is_504_without_a_second_task(
    make_fault_gateway, runware_sim
):
    gateway = make_fault_gateway(default_request_timeout_in_seconds=1, max_retries=1)
    runware_sim.sim.add_fault(Fault(kind="slow_ack", delay_seconds=3))
    response = generate(gateway)
    error = error_of(response, 504, "upstream_timeout")
    assert response.headers["x-should-retry"] == "false"
    assert "1 seconds" in error["message"]
    sent = runware_tasks(runware_sim.sim, "imageInference")
    assert len(sent) == 2 and len({t["taskUUID"] for t in sent}) == 1  # re-asked by the same taskUUID
    wait_until(lambda: runware_sim.sim.state.used_uuids, "the hung task to finish upstream")
    assert runware_sim.sim.state.used_uuids == {sent[0]["taskUUID"].lower()}


def test_a_runway_create_that_hangs_past_the_timeout_is_504_and_not_resent(make_fault_gateway, runway_sim):
    gateway = make_fault_gateway(default_request_timeout_in_seconds=1)
    runway_sim.sim.add_fault(RunwayFault(kind="slow_ack", delay_seconds=3, path=CREATE_PATH))
    response = create_video(gateway)
    error_of(response, 504, "upstream_timeout")
    assert response.headers["x-should-retry"] == "false"
    assert len(runway_posts(runway_sim.sim)) == 1
    wait_until(lambda: runway_sim.sim.tasks(), "the hung create to finish upstream")
    assert len(runway_sim.sim.tasks()) == 1
