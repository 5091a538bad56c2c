"""The fal simulator over plain HTTP: routes and methods, media serving, lifecycle and fault knobs, and
the control plane."""

from __future__ import annotations

import httpx
import pytest

from irisgate.simulators.fal import FalFault

from fixtures_fal_sim import FAL_TEST_KEY

KEY = {"Authorization": f"Key {FAL_TEST_KEY}"}


def submit(url: str, endpoint: str = "fal-ai/flux/dev", **body) -> dict:
    response = httpx.post(f"{url}/{endpoint}", json={"prompt": "a cat", **body}, headers=KEY)
    assert response.status_code == 200, response.text
    return response.json()


def test_status_codes_follow_the_lifecycle(fal_sim):
    fal_sim.sim.settings.queue_polls, fal_sim.sim.settings.progress_polls = 1, 1
    queued = submit(fal_sim.url)
    assert queued["status_url"] == queued["response_url"] + "/status"
    early = httpx.get(queued["response_url"], headers=KEY)
    assert (early.status_code, early.json()) == (400, {"detail": "Request is still in progress"})
    seen = [httpx.get(queued["status_url"], headers=KEY) for _ in range(3)]
    assert [(r.status_code, r.json()["status"]) for r in seen] == [
        (202, "IN_QUEUE"),
        (202, "IN_PROGRESS"),
        (200, "COMPLETED"),
    ]
    assert seen[1].json()["logs"] is None  # logs only with ?logs=1
    assert httpx.get(queued["response_url"], headers=KEY).headers["x-fal-request-id"] == queued["request_id"]


def test_time_driven_lifecycle(fal_sim):
    fal_sim.sim.settings.delay_seconds = 0
    queued = submit(fal_sim.url)
    assert httpx.get(queued["status_url"], headers=KEY).json()["status"] == "COMPLETED"


def test_auth_routes_and_methods(fal_sim):
    assert httpx.post(f"{fal_sim.url}/fal-ai/flux/dev", json={}).status_code == 401
    bearer = httpx.post(
        f"{fal_sim.url}/fal-ai/flux/dev", json={}, headers={"Authorization": f"Bearer {FAL_TEST_KEY}"}
    )
    assert bearer.status_code == 401
    queued = submit(fal_sim.url)
    assert httpx.delete(queued["response_url"], headers=KEY).status_code == 405
    assert httpx.post(queued["cancel_url"], headers=KEY).status_code == 405
    assert httpx.get(f"{fal_sim.url}/fal-ai/flux/dev", headers=KEY).status_code == 405
    other_app = queued["status_url"].replace("/fal-ai/flux/", "/fal-ai/other/")
    assert httpx.get(other_app, headers=KEY).status_code == 404
    fal_sim.sim.settings.strict_endpoints = True
    assert httpx.post(f"{fal_sim.url}/fal-ai/unknown", json={"prompt": "x"}, headers=KEY).status_code == 404


def test_media_is_public_with_ranges_and_expiry(fal_sim):
    queued = submit(fal_sim.url, "fal-ai/kling-video/v2.1/master/text-to-video", duration="5")
    httpx.get(queued["status_url"], headers=KEY)
    url = httpx.get(queued["response_url"], headers=KEY).json()["video"]["url"]
    whole = httpx.get(url)
    assert (whole.status_code, whole.headers["content-type"]) == (200, "video/mp4")
    assert int(whole.headers["content-length"]) == len(whole.content)
    part = httpx.get(url, headers={"Range": "bytes=0-99"})
    assert (part.status_code, part.content) == (206, whole.content[:100])
    assert httpx.head(url).headers["content-length"] == str(len(whole.content))
    fal_sim.sim.settings.urls_expired = True
    assert httpx.get(url).status_code == 404


def test_faults_and_markers(fal_sim):
    fal_sim.sim.add_fault(FalFault(kind="http_error", status=503, times=1))
    failed = httpx.post(f"{fal_sim.url}/fal-ai/flux/dev", json={"prompt": "x"}, headers=KEY)
    assert failed.status_code == 503
    assert failed.json()["error_type"] == failed.headers["x-fal-error-type"] == "runner_scheduling_failure"
    garbage = httpx.post(f"{fal_sim.url}/fal-ai/flux/dev", json={"prompt": "x [[sim:garbage]]"}, headers=KEY)
    assert garbage.status_code == 200 and "Bad Gateway" in garbage.text
    assert len(fal_sim.sim.tasks()) == 1  # a garbage answer still queued the request
    with pytest.raises(httpx.TransportError):
        httpx.post(f"{fal_sim.url}/fal-ai/flux/dev", json={"prompt": "x [[sim:reset]]"}, headers=KEY)


def test_control_plane(fal_sim):
    submit(fal_sim.url)
    assert len(httpx.get(f"{fal_sim.url}/__fake/requests").json()) == 1
    assert httpx.get(f"{fal_sim.url}/__fake/tasks").json()[0]["endpoint"] == "fal-ai/flux/dev"
    patched = httpx.patch(f"{fal_sim.url}/__fake/settings", json={"queue_polls": 3})
    assert patched.json()["queue_polls"] == 3
    assert httpx.patch(f"{fal_sim.url}/__fake/settings", json={"nope": 1}).status_code == 400
    assert httpx.post(f"{fal_sim.url}/__fake/faults", json={"kind": "content_policy"}).status_code == 201
    assert httpx.post(f"{fal_sim.url}/__fake/reset").status_code == 204
    assert fal_sim.sim.requests == [] and fal_sim.sim.tasks() == []
