"""No billed task without a record (issue 17): a job's record is written before the provider is
asked, a create whose answer is lost leaves a record the user sees, and a store that cannot take the
record fails the create before anything is sent."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from irisgate.admin.auth import SESSION_COOKIE, AdminAuth
from irisgate.config import key_id_for
from irisgate.jobs.ids import new_video_id
from irisgate.simulators.runware import Fault
from irisgate.simulators.runway import RunwayFault
from irisgate.store import Store, VideoJobRecord, utc_now

from fixtures_gateway import RUNWARE_MODEL

FAST = {"max_retries": 2, "retry_backoff_initial": "10ms", "retry_backoff_max": "50ms"}


@pytest.fixture
def gateway(make_gateway, runware_sim, runway_sim):
    def network(base_url: str) -> dict[str, Any]:
        return {"base_url": base_url, "default_request_timeout_in_seconds": 10, **FAST}

    return make_gateway(
        {
            "providers": {
                "runware": {
                    "keys": [{"name": "main", "value": runware_sim.api_key}],
                    "network_config": network(runware_sim.api_url),
                },
                "runway": {
                    "keys": [{"name": "main", "value": runway_sim.api_key}],
                    "network_config": network(runway_sim.url),
                },
            }
        }
    )


def admin(gateway) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"})


def dashboard(gateway) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url, cookies={SESSION_COOKIE: AdminAuth(token).new_session()})


def create(gateway, model: str, prompt: str = "a harbour at night") -> httpx.Response:
    body = {"model": model, "prompt": prompt, "seconds": "5"}
    return httpx.post(gateway.base_url + "/videos", json=body, timeout=60)


def the_job(gateway, video_id: str) -> dict[str, Any]:
    (job,) = [j for j in admin(gateway).get("/api/jobs").json()["data"] if j["id"] == video_id]
    return job


def test_a_runway_create_whose_answer_is_lost_is_listed_with_its_error(gateway, runway_sim):
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path="/v1/text_to_video", times=1))
    answer = create(gateway, "runway/gen4.5")
    assert answer.status_code == 502, answer.text
    video_id = answer.headers["x-irisgate-video-id"]
    assert video_id in answer.json()["error"]["message"]
    assert len(runway_sim.sim.tasks()) == 1  # Runway created (and will bill) the task

    job = the_job(gateway, video_id)
    assert (job["status"], job["state"], job["upstream_id"]) == ("failed", "failed", None)
    assert job["error"]["code"] == "upstream_outcome_unknown"
    assert "may have created a task" in job["error"]["message"]
    retrieved = httpx.get(f"{gateway.base_url}/videos/{video_id}").json()
    assert (retrieved["status"], retrieved["error"]["code"]) == ("failed", "upstream_outcome_unknown")
    page = dashboard(gateway).get("/videos")
    assert video_id in page.text and "may have created a task" in page.text


def test_a_runware_create_whose_answer_is_lost_is_found_and_completes(gateway, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="reset", task_type="videoInference"))  # every try, resends too
    answer = create(gateway, "runware/klingai:5@3")
    assert answer.status_code == 502, answer.text
    video_id = answer.headers["x-irisgate-video-id"]
    assert "keeps asking runware" in answer.json()["error"]["message"]
    (task_uuid,) = runware_sim.sim.state.used_uuids  # one task upstream, whatever the resends

    job = the_job(gateway, video_id)
    assert (job["status"], job["state"], job["upstream_id"]) == ("queued", "submitting", task_uuid)
    assert job["error"]["code"] == "upstream_outcome_unknown"
    assert video_id in dashboard(gateway).get("/videos").text

    runware_sim.sim.faults.clear()
    client = gateway.openai()
    done = client.videos.poll(video_id, poll_interval_ms=20)  # irisgate finds the task and carries on
    assert done.status == "completed" and done.error is None
    assert client.videos.download_content(video_id).read()[4:8] == b"ftyp"
    job = the_job(gateway, video_id)
    assert (job["state"], job["error"]) == ("completed", None)
    assert runware_sim.sim.state.used_uuids == {task_uuid}


async def test_creates_that_never_answered_are_resolved_from_their_records(gateway, runware_sim, runway_sim):
    """irisgate stopped between writing a record and the provider's answer (a kill -9): the record
    says ``submitting``. Young, it is a create still on its way; once older than any create could
    take, a Runware task the provider does not know was never created, and a Runway create (whose
    task id only the answer gives) may have made a task nobody can name."""
    long_ago = utc_now() - timedelta(hours=1)
    records = {
        "runware, long ago": submitting("runware", str(uuid.uuid4()), long_ago),
        "runware, just now": submitting("runware", str(uuid.uuid4()), utc_now()),
        "runway, long ago": submitting("runway", None, long_ago),
        "runway, just now": submitting("runway", None, utc_now()),
    }
    store = await Store.open(gateway.settings.store_url)
    try:
        for record in records.values():
            await store.insert_job(record)
    finally:
        await store.close()
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        seen = {name: (await client.get(f"/videos/{r.id}")).json() for name, r in records.items()}
    assert seen["runware, long ago"]["status"] == "failed"
    assert seen["runware, long ago"]["error"]["code"] == "upstream_task_never_created"
    assert seen["runway, long ago"]["status"] == "failed"
    assert seen["runway, long ago"]["error"]["code"] == "upstream_outcome_unknown"
    assert seen["runware, just now"]["status"] == seen["runway, just now"]["status"] == "queued"
    assert not runware_sim.sim.state.used_uuids and not runway_sim.sim.tasks()


def submitting(provider: str, upstream_id: str | None, created_at: Any) -> VideoJobRecord:
    return VideoJobRecord(
        id=new_video_id(int(created_at.timestamp() * 1000)),
        provider=provider,
        upstream_id=upstream_id,
        key_id=key_id_for(provider, "main"),
        key_name="main",
        model="klingai:5@3" if provider == "runware" else "gen4.5",
        status="submitting",
        created_at=created_at,
        updated_at=created_at,
    )


def test_a_store_that_cannot_take_the_record_fails_the_create_before_any_provider_call(
    gateway, runware_sim, runway_sim
):
    lock = sqlite3.connect(gateway.app_dir / "irisgate.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
    try:
        answer = create(gateway, "runway/gen4.5")
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "store_unavailable"
        assert answer.headers["retry-after"]
        assert runway_sim.sim.requests == []  # nothing was sent
        image = httpx.post(
            gateway.base_url + "/images/generations",
            json={"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256"},
        )
        assert image.status_code == 200  # what needs no write keeps working
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    assert create(gateway, "runway/gen4.5").status_code == 200  # and creates work again
