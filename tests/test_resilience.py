"""Retries, key rotation, cooldowns and fallbacks, proven with the simulators' fault knobs.

For every fault: what the client sees, and that the simulator's log shows no duplicate task.
"""

from __future__ import annotations

import time

import httpx
import pytest

from irisgate.simulators.runware import Fault
from irisgate.simulators.runway import RunwayFault

from fixtures_gateway import RUNWARE_MODEL

FAST = {"max_retries": 2, "retry_backoff_initial": "10ms", "retry_backoff_max": "50ms"}


def runware_config(api_url: str, keys: list[dict], **network) -> dict:
    return {
        "providers": {"runware": {"keys": keys, "network_config": {"base_url": api_url, **FAST, **network}}}
    }


def generate(gateway, model: str = RUNWARE_MODEL, **extra) -> httpx.Response:
    body = {"model": model, "prompt": "a red fox", "size": "256x256", **extra}
    return httpx.post(gateway.base_url + "/images/generations", json=body)


def bearer_of(request) -> str:
    return request.headers["authorization"].removeprefix("Bearer ")


def inference_uuids(sim) -> list[str]:
    return [
        t["taskUUID"]
        for r in sim.requests
        if r.method == "POST"
        for t in r.body
        if t.get("taskType") == "imageInference"
    ]


def test_a_rejected_key_is_set_aside_and_requests_move_to_the_other(make_gateway, runware_sim):
    gateway = make_gateway(
        runware_config(
            runware_sim.api_url,
            [
                {"name": "revoked", "value": "rw-revoked-key-000000"},
                {"name": "good", "value": runware_sim.api_key},
            ],
        )
    )
    for _ in range(12):
        assert generate(gateway).status_code == 200
    used = [bearer_of(r) for r in runware_sim.sim.requests if r.method == "POST"]
    assert used.count("rw-revoked-key-000000") <= 1  # refused once, then resting
    assert used.count(runware_sim.api_key) == 12


def test_every_key_rejected_is_the_documented_error(make_gateway, runware_sim):
    gateway = make_gateway(
        runware_config(
            runware_sim.api_url,
            [
                {"name": "a", "value": "rw-revoked-a-000000"},
                {"name": "b", "value": "rw-revoked-b-000000"},
            ],
        )
    )
    response = generate(gateway)
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "upstream_credentials_exhausted"
    assert "Invalid API key" in error["message"]
    assert "rw-revoked" not in response.text
    assert len([r for r in runware_sim.sim.requests if r.method == "POST"]) == 2


def test_a_429_burst_is_retried_after_backoff(make_gateway, runware_sim):
    gateway = make_gateway(
        runware_config(runware_sim.api_url, [{"name": "only", "value": runware_sim.api_key}])
    )
    runware_sim.sim.add_fault(Fault(kind="http_error", status=429, times=2))
    assert generate(gateway).status_code == 200
    assert len(inference_uuids(runware_sim.sim)) == 3


def test_throttled_everywhere_is_a_429_with_retry_after(make_gateway, runware_sim):
    gateway = make_gateway(
        runware_config(runware_sim.api_url, [{"name": "only", "value": runware_sim.api_key}])
    )
    runware_sim.sim.add_fault(Fault(kind="http_error", status=429))
    response = generate(gateway)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["x-should-retry"] == "true"


def test_a_5xx_is_resent_with_the_same_task_uuid_and_creates_one_task(make_gateway, runware_sim):
    gateway = make_gateway(
        runware_config(runware_sim.api_url, [{"name": "only", "value": runware_sim.api_key}])
    )
    runware_sim.sim.add_fault(Fault(kind="http_error", status=503, times=1))
    assert generate(gateway).status_code == 200
    uuids = inference_uuids(runware_sim.sim)
    assert len(uuids) == 2 and len(set(uuids)) == 1  # the same task, never a second one


def test_a_connection_refused_is_retried_then_reported(make_gateway, runware_sim):
    gateway = make_gateway(runware_config("http://127.0.0.1:9/v1", [{"name": "only", "value": "whatever"}]))
    response = generate(gateway)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_unreachable"


def test_runway_429_on_create_is_resent_but_a_500_is_not(media_gateway, runway_sim):
    client_url = media_gateway.base_url + "/videos"
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=429, times=1, path="/v1/text_to_video"))
    ok = httpx.post(client_url, json={"model": "runway/gen4.5", "prompt": "a harbour at night"})
    assert ok.status_code == 200, ok.text
    creates = [r for r in runway_sim.sim.requests if r.method == "POST"]
    assert len(creates) == 2 and len(runway_sim.sim.tasks()) == 1

    runway_sim.sim.reset()
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=500, times=1, path="/v1/text_to_video"))
    failed = httpx.post(client_url, json={"model": "runway/gen4.5", "prompt": "a harbour at night"})
    assert failed.headers["x-should-retry"] == "false"  # the task may exist: the client must not resend
    assert failed.status_code == 502
    assert len([r for r in runway_sim.sim.requests if r.method == "POST"]) == 1  # ambiguous: not re-sent


def test_retrieve_and_download_retry_transient_failures(media_gateway, runway_sim):
    client = media_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a windmill turning", seconds="2")
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=503, times=1, path="/v1/tasks"))
    done = client.videos.poll(video.id, poll_interval_ms=20)
    assert done.status == "completed"
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=500, times=1, path="/cdn"))
    assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"


def test_a_failing_runway_model_falls_back_to_runware(media_gateway, runway_sim, runware_sim):
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=503, path="/v1/text_to_video"))
    response = httpx.post(
        media_gateway.base_url + "/videos",
        json={
            "model": "runway/gen4.5",
            "prompt": "a lighthouse in a storm",
            "seconds": "5",
            "fallbacks": ["runware/klingai:5@3"],
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-irisgate-provider"] == "runware"
    assert response.headers["x-irisgate-model"] == "klingai:5@3"
    video = response.json()
    assert video["model"] == "runware/klingai:5@3"
    [task] = [t for r in runware_sim.sim.requests if r.method == "POST" for t in r.body]
    assert task["taskType"] == "videoInference" and "fallbacks" not in task
    done = media_gateway.openai().videos.poll(video["id"], poll_interval_ms=20)
    assert done.status == "completed"


def test_fallbacks_do_not_hide_request_errors(media_gateway, runway_sim, runware_sim):
    response = httpx.post(
        media_gateway.base_url + "/videos",
        json={
            "model": "runway/gen4.5",
            "prompt": "a cat",
            "size": "1920x1080",
            "fallbacks": ["runware/klingai:5@3"],
        },
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == "size"
    assert [r for r in runware_sim.sim.requests if r.method == "POST"] == []


@pytest.mark.parametrize("fallbacks", [["nope"], "runware/x", [""]])
def test_bad_fallbacks_are_400(media_gateway, fallbacks):
    response = generate(media_gateway, fallbacks=fallbacks)
    assert response.status_code == 400
    assert response.json()["error"]["param"].startswith("fallbacks")


def test_a_client_that_disconnects_cancels_the_upstream_call(make_gateway, runware_sim):
    """The simulator would answer after 20 s; the client leaves after 0.3 s; the gateway's log records
    the request (499) long before the simulator could have answered: the upstream call was cancelled."""
    gateway = make_gateway(
        runware_config(runware_sim.api_url, [{"name": "only", "value": runware_sim.api_key}])
    )
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            gateway.base_url + "/images/generations",
            json={"model": RUNWARE_MODEL, "prompt": "a slow fox [[sim:slow=20]]", "size": "256x256"},
            timeout=httpx.Timeout(0.3),
        )
    admin = httpx.Client(
        base_url=gateway.url,
        headers={"Authorization": f"Bearer {(gateway.app_dir / 'admin_token').read_text().strip()}"},
    )
    statuses: list[int] = []
    for _ in range(100):
        statuses = [log["status_code"] for log in admin.get("/api/logs").json()["data"]]
        if statuses:
            break
        time.sleep(0.05)
    assert statuses == [499]
