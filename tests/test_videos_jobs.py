"""Jobs that are never lost: restarts, instances sharing a store, listing, and ids that are not ours."""

from __future__ import annotations

import json

import httpx
import openai
import pytest

from fixtures_gateway import media_config

POLL = {"poll_interval_ms": 20}


def test_job_survives_a_restart(make_gateway, media_gateway, runway_sim):
    runway_sim.sim.settings.running_polls = 3
    client = media_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a city wakes up", seconds="3")
    make_gateway.stop(media_gateway)

    restarted = make_gateway(media_config_of(media_gateway), app_dir=media_gateway.app_dir)
    client = restarted.openai()
    done = client.videos.poll(video.id, **POLL)
    assert done.status == "completed"
    assert (done.created_at, done.model, done.prompt) == (
        video.created_at,
        "runway/gen4.5",
        "a city wakes up",
    )
    assert client.videos.download_content(done.id).read()[4:8] == b"ftyp"


def test_instances_that_share_the_store_serve_the_job_and_others_do_not(
    make_gateway, media_gateway, runware_sim, runway_sim
):
    """The store is the authority on a job: an instance on the same store serves it (with the key
    that created it); one with a store of its own has no record of it, so to it the id is a 404."""
    video = media_gateway.openai().videos.create(model="runway/gen4.5", prompt="a field of sunflowers")
    sharing = make_gateway(media_config_of(media_gateway), app_dir=media_gateway.app_dir)
    client = sharing.openai()
    done = client.videos.poll(video.id, **POLL)
    assert (done.status, done.model) == ("completed", "runway/gen4.5")
    assert client.videos.download_content(done.id).read()[4:8] == b"ftyp"
    assert [v.id for v in client.videos.list()] == [video.id]

    def api_calls() -> int:  # (not the downloads of the instances' media keepers)
        return sum(1 for r in runway_sim.sim.requests if r.path.startswith("/v1/"))

    polls = api_calls()
    stranger = make_gateway(media_config(runware_sim, runway_sim))  # same configuration, its own store
    with pytest.raises(openai.NotFoundError):
        stranger.openai().videos.retrieve(video.id)
    assert stranger.openai().videos.list().data == []
    assert api_calls() == polls


def test_list_is_newest_first_and_pages(media_gateway, runway_sim):
    client = media_gateway.openai()
    created = [client.videos.create(model="runway/gen4.5", prompt=f"scene number {i}").id for i in range(5)]
    first = client.videos.list(limit=2)
    assert [v.id for v in first.data] == created[::-1][:2]
    assert first.has_more is True
    assert [v.id for v in client.videos.list(limit=2)] == created[::-1]  # the SDK follows `after`
    oldest_first = client.videos.list(order="asc", limit=100)
    assert [v.id for v in oldest_first.data] == created
    assert oldest_first.has_more is False
    bad = httpx.get(media_gateway.base_url + "/videos", params={"limit": "0"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "limit"
    bad = httpx.get(media_gateway.base_url + "/videos", params={"order": "sideways"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "order"


@pytest.mark.parametrize(
    "video_id",
    [
        "video_",
        "video_abc",
        "vid_123",
        "video_%2E%2E%2Fetc",
        "video_" + "A" * 600,
        "video_AQIGSeXqSXlHq4tBgNheVq9sFDV91_zZRDOEBshTqYE_6w",
    ],
)
def test_ids_that_are_not_ours_are_404(media_gateway, video_id):
    for method, path in (("GET", ""), ("GET", "/content"), ("DELETE", "")):
        response = httpx.request(method, f"{media_gateway.base_url}/videos/{video_id}{path}")
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] in ("video_not_found", "not_found")  # no such route
    with pytest.raises(openai.NotFoundError):
        media_gateway.openai().videos.retrieve(video_id)


def media_config_of(gateway) -> dict:
    return json.loads((gateway.app_dir / "config.json").read_text())
