"""The store is the authority on a job (issue 17): an id reaches a provider only through a record of
the caller's. Two virtual keys; every id made by changing one character of Alice's, and every id
form of earlier versions naming her task, is a 404 to Bob, and the provider hears nothing of it."""

from __future__ import annotations

import base64
import time
import uuid

import httpx
import pytest
from openai import OpenAI

from irisgate.config import key_id_for

HEX = "0123456789abcdef"
OTHER_CHARACTERS = "gA_-"


def admin_client(gateway) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url + "/api", headers={"Authorization": f"Bearer {token}"})


def wait_until_kept(admin: httpx.Client, video_id: str) -> None:
    """Until the gateway's own copy of the video is made (its media keeper downloads it once)."""
    deadline = time.monotonic() + 60
    while admin.get("/jobs").json()["data"][0]["media"]["state"] != "kept":
        assert time.monotonic() < deadline, f"the media of {video_id} was never kept"
        time.sleep(0.1)


def one_character_changes(video_id: str) -> list[str]:
    """Every id made by changing one character of ``video_id`` (to a hex digit or another character)."""
    changed = []
    for index, current in enumerate(video_id):
        for replacement in HEX + OTHER_CHARACTERS:
            if replacement != current:
                changed.append(video_id[:index] + replacement + video_id[index + 1 :])
    return changed


def earlier_id_forms(provider_code: int, key_id: str, task_id: str) -> list[str]:
    """The ids irisgate made before the store was the authority, naming this key and task: packed
    UUIDs (v1) or text (v2), with no stamp, a 12-hex-digit time, or a 16-hex-digit seq in front."""
    packed = bytes([1, provider_code]) + uuid.UUID(key_id).bytes + uuid.UUID(task_id).bytes
    text = b"\x02" + "\x1f".join(("runway", key_id, task_id)).encode()
    millis = int(time.time() * 1000)
    stamps = ["", f"{millis:012x}", f"{millis << 21:016x}", "f" * 16]
    return [
        "video_" + stamp + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
        for raw in (packed, text)
        for stamp in stamps
    ]


def test_forged_ids_are_404_and_never_reach_the_provider(media_gateway, runway_sim):
    admin = admin_client(media_gateway)
    alice_key = admin.post("/virtual-keys", json={"name": "alice"}).json()["key"]
    bob_key = admin.post("/virtual-keys", json={"name": "bob"}).json()["key"]
    alice = httpx.Client(base_url=media_gateway.base_url, headers={"Authorization": f"Bearer {alice_key}"})
    bob = httpx.Client(base_url=media_gateway.base_url, headers={"Authorization": f"Bearer {bob_key}"})
    created = alice.post(
        "/videos", json={"model": "runway/gen4.5", "prompt": "a quiet street", "seconds": "2"}
    )
    assert created.status_code == 200, created.text
    video_id = created.json()["id"]
    (job,) = admin.get("/jobs").json()["data"]
    task_id = job["upstream_id"]
    assert uuid.UUID(task_id) and job["id"] == video_id

    forged = one_character_changes(video_id) + earlier_id_forms(2, key_id_for("runway", "main"), task_id)
    assert len(forged) > 700
    # Alice's job has ended: nobody has a reason to ask Runway about it any more, but a forged id that
    # reached her record would download its video or cancel its task.
    OpenAI(api_key=alice_key, base_url=media_gateway.base_url, max_retries=0).videos.poll(
        video_id, poll_interval_ms=20
    )
    wait_until_kept(admin, video_id)
    heard_before = len(runway_sim.sim.requests)
    for candidate in forged:
        for method, suffix in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
            answer = bob.request(method, f"/videos/{candidate}{suffix}")
            assert answer.status_code == 404, (candidate, method, suffix, answer.text)
            assert answer.json()["error"]["code"] == "video_not_found"
    assert len(runway_sim.sim.requests) == heard_before  # not one poll, download or cancel

    for method, suffix in (("GET", ""), ("GET", "/content"), ("DELETE", "")):  # Alice's own id, to Bob
        assert bob.request(method, f"/videos/{video_id}{suffix}").status_code == 404
    assert len(runway_sim.sim.requests) == heard_before
    assert [v["id"] for v in bob.get("/videos").json()["data"]] == []

    jobs = admin.get("/jobs", params={"limit": 100}).json()["data"]
    assert [one["id"] for one in jobs] == [video_id]  # exactly one record, untouched
    assert alice.get(f"/videos/{video_id}").json()["id"] == video_id
    assert alice.delete(f"/videos/{video_id}").status_code == 200  # the owner may
    assert admin.get("/jobs").json()["data"] == []


@pytest.mark.parametrize("who", ["admin", "anyone while no virtual key exists"])
def test_an_id_that_matches_no_record_is_404_to_everyone(media_gateway, runway_sim, who):
    client = media_gateway.openai()
    video = client.videos.create_and_poll(
        model="runway/gen4.5", prompt="a quiet street", seconds="2", poll_interval_ms=20
    )
    headers = {}
    if who == "admin":
        token = (media_gateway.app_dir / "admin_token").read_text().strip()
        headers = {"Authorization": f"Bearer {token}"}
    task_id = admin_client(media_gateway).get("/jobs").json()["data"][0]["upstream_id"]
    wait_until_kept(admin_client(media_gateway), video.id)
    heard_before = len(runway_sim.sim.requests)
    candidates = one_character_changes(video.id)[::7] + earlier_id_forms(
        2, key_id_for("runway", "main"), task_id
    )
    caller = httpx.Client(base_url=media_gateway.base_url, headers=headers)
    for candidate in candidates:
        for method, suffix in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
            answer = caller.request(method, f"/videos/{candidate}{suffix}")
            assert answer.status_code == 404, (candidate, answer.text)
    assert len(runway_sim.sim.requests) == heard_before
    assert client.videos.retrieve(video.id).id == video.id
