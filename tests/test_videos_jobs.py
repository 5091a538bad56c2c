"""Jobs that are never lost: restarts, missing records, listing, and ids that are not ours."""

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


def test_another_instance_without_the_record_serves_the_job(
    make_gateway, media_gateway, runware_sim, runway_sim
):
    video = media_gateway.openai().videos.create(model="runway/gen4.5", prompt="a field of sunflowers")
    other = make_gateway(media_config(runware_sim, runway_sim))  # same configuration, its own empty store
    client = other.openai()
    done = client.videos.poll(video.id, **POLL)
    assert done.status == "completed"
    assert done.model == "runway/unknown"
    assert client.videos.download_content(done.id).read()[4:8] == b"ftyp"
    assert [v.id for v in client.videos.list()] == [video.id]


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
        assert response.status_code in (404, 409), response.text
        assert "Traceback" not in response.text
    with pytest.raises((openai.NotFoundError, openai.ConflictError)):
        media_gateway.openai().videos.retrieve(video_id)


def media_config_of(gateway) -> dict:
    return json.loads((gateway.app_dir / "config.json").read_text())


async def test_a_create_whose_seq_is_taken_takes_the_next(tmp_path, monkeypatch):
    """Two processes may draw one seq (job_seqs.py) in one millisecond: the second create takes
    another, and neither job is written over."""
    from types import SimpleNamespace

    from irisgate.jobs import ids, service
    from irisgate.providers.base import VideoSubmission
    from irisgate.schemas.videos import VideoCreateRequest
    from irisgate.store import Store
    from irisgate.store.job_seqs import LOW_BITS, seq_in_id

    store = await Store.open(f"sqlite:///{tmp_path}/irisgate.db")
    await store.migrate()
    taken, free = 1_800_000_000_000 << LOW_BITS, (1_800_000_000_000 << LOW_BITS) + 1
    other = service.VideoJobRecord(
        id=ids.encode_video_id(ids.VideoRef("runway", "k0", "task-0"), taken),
        provider="runway",
        upstream_id="task-0",
        key_id="k0",
        model="gen4.5",
        status="in_progress",
    )
    assert await store.insert_job(other)
    drawn = iter([taken, taken, free])
    monkeypatch.setattr(ids, "new_seq", lambda: next(drawn))
    route = SimpleNamespace(provider_name="runway", model="gen4.5", key=SimpleNamespace(id="k1", name="main"))

    class Upstream:  # the provider's answer; what is under test is the record
        async def run(self, model, fallbacks, operation):
            return VideoSubmission(upstream_id="task-1", seconds="5", size="1280x720"), route

    try:
        jobs = service.VideoJobs(store, router=None, dispatcher=Upstream())
        made = await jobs.create(VideoCreateRequest(model="runway/gen4.5", prompt="two at once"))
        assert seq_in_id(made.id) == free
        assert ids.decode_video_id(made.id) == ids.VideoRef("runway", "k1", "task-1")
        assert await store.get_job(made.id) == made
        assert await store.get_job(other.id) == other
    finally:
        await store.close()


async def test_a_rebuilt_record_that_cannot_be_written_does_not_fail_the_retrieve(tmp_path, monkeypatch):
    """A job whose record is missing is served from its provider; if the store cannot take the
    rebuilt record (here: its write lock held elsewhere past the busy timeout), the answer stands."""
    import sqlite3
    from types import SimpleNamespace

    from irisgate.jobs import ids, service
    from irisgate.schemas.videos import VideoTaskState
    from irisgate.store import Store, sqlite_lane

    store = await Store.open(f"sqlite:///{tmp_path}/irisgate.db")
    await store.migrate()
    monkeypatch.setattr(sqlite_lane, "SQLITE_BUSY_TIMEOUT_MS", 50)

    class Provider:  # the provider's answer; what is under test is the record
        network = SimpleNamespace(max_retries=0)

        async def retrieve_video(self, upstream_id, key):
            return VideoTaskState(upstream_id=upstream_id, status="in_progress", progress=40)

    route = SimpleNamespace(provider=Provider(), key=SimpleNamespace(id="k1", name="main"))
    router = SimpleNamespace(key_route=lambda provider, key_id, model: route)
    video_id = ids.encode_video_id(ids.VideoRef("runway", "k1", "task-1"))
    blocker = sqlite3.connect(str(tmp_path / "irisgate.db"), isolation_level=None)
    try:
        jobs = service.VideoJobs(store, router=router, dispatcher=None)
        blocker.execute("BEGIN IMMEDIATE")
        job = await jobs.retrieve(video_id)
        blocker.execute("COMMIT")
        assert (job.id, job.status, job.progress, job.upstream_id) == (video_id, "in_progress", 40, "task-1")
        assert await store.get_job(video_id) is None  # not recorded…
        assert await jobs.retrieve(video_id) == await store.get_job(video_id)  # …until the next retrieve
    finally:
        blocker.close()
        await store.close()
