"""Media kept (issue 19): every completed video is copied into irisgate's media store before the
provider's link expires, and served from there (ranges, HEAD, a thumbnail of its first frame), in a
local folder or an S3-compatible bucket (moto's server, started here on 127.0.0.1); a store that is
full or down never fails a job; retention removes media; deleting a job removes it.

Everything goes through the real interface: gateways with the simulators, jobs that end on their own
(the settler and time-driven simulators), the official `openai` SDK, the admin API to watch."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import openai
import pytest
from moto.server import ThreadedMotoServer
from PIL import Image

from fixtures_gateway import GatewayHandle, media_config
from serve_helpers import free_port
from video_helpers import mp4_info

RUNWAY_VIDEO = {"model": "runway/gen4.5", "prompt": "a paper boat", "seconds": "2"}  # 1280x720
RUNWARE_VIDEO = {"model": "runware/sim:video@1", "prompt": "a paper boat", "seconds": "1"}
S3_KEY_ID, S3_SECRET = "irisgate-test-key-id", "irisgate-test-secret"


# -- helpers ----------------------------------------------------------------------------------------


def admin(gateway: GatewayHandle) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def stored_jobs(gateway: GatewayHandle) -> dict[str, dict[str, Any]]:
    """Every job as the admin API shows it (a read of the store: nothing asks a provider)."""
    page = admin(gateway).get("/api/jobs", params={"limit": 100}).json()
    return {job["id"]: job for job in page["data"]}


def wait_for(check: Callable[[], Any], what: str, limit: float = 90) -> Any:
    """Until ``check()`` is truthy (``limit`` only bounds a broken run)."""
    deadline = time.monotonic() + limit
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def wait_media(gateway: GatewayHandle, ids: list[str], state: str, limit: float = 90) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        jobs = stored_jobs(gateway)
        return jobs if all(jobs[i]["media"]["state"] == state for i in ids) else None

    return wait_for(done, f"media of {ids} {state}", limit)


def runway_bytes(runway_sim: Any, task_id: str) -> bytes:
    """What the Runway simulator serves for a task (through a freshly signed URL)."""
    [task] = [task for task in runway_sim.sim.tasks() if task["id"] == task_id]
    answer = httpx.get(task["output"][0], timeout=60)
    assert answer.status_code == 200
    return answer.content


def runware_bytes(runware_sim: Any, task_uuid: str) -> bytes:
    """What the Runware simulator generated for a task (its results, then its media store)."""
    answer = httpx.post(
        runware_sim.api_url,
        json=[{"taskType": "getResponse", "taskUUID": task_uuid}],
        headers={"Authorization": f"Bearer {runware_sim.api_key}"},
    )
    [item] = answer.json()["data"]
    media_uuid = item["videoURL"].rsplit("/", 1)[1].split(".")[0]
    return runware_sim.sim.state.media.get(media_uuid).data


def media_requests(*sims: Any) -> int:
    """Downloads the simulators served or refused (Runway's CDN, Runware's video host)."""
    return sum(1 for sim in sims for r in sim.requests if r.path.startswith(("/cdn/", "/video/")))


def expire_every_link(runware_sim: Any, runway_sim: Any) -> None:
    runway_sim.sim.settings.urls_expired = True  # refreshed links too
    runware_sim.sim.settings.urls_expired = True


def content_url(gateway: GatewayHandle, video_id: str) -> str:
    return f"{gateway.base_url}/videos/{video_id}/content"


def completed(client: openai.OpenAI, video_id: str) -> Any:
    """Ask until the video completed (each retrieve asks the provider, as a client's poll)."""
    return wait_for(
        lambda: (video := client.videos.retrieve(video_id)).status == "completed" and video,
        f"{video_id} completed",
    )


def thumbnail_size(data: bytes) -> tuple[int, int]:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()  # decodes
    return image.size


def local_files(gateway: GatewayHandle) -> list[Path]:
    root = gateway.app_dir / "media"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def sims_env(runware_sim: Any, runway_sim: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_S3_KEY_ID", S3_KEY_ID)
    monkeypatch.setenv("IRISGATE_TEST_S3_SECRET", S3_SECRET)


def start_gateway(
    make_gateway: Any, runware_sim: Any, runway_sim: Any, media: dict[str, Any]
) -> GatewayHandle:
    return make_gateway({**media_config(runware_sim, runway_sim), "media": media})


# -- an S3-compatible server, on 127.0.0.1 --------------------------------------------------------


@dataclass
class S3Server:
    """moto's S3 server in this process; its objects outlive a stop, as a real server's would."""

    port: int
    bucket: str
    server: ThreadedMotoServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> dict[str, Any]:
        return {
            "store": "s3",
            "bucket": self.bucket,
            "prefix": "irisgate/",
            "endpoint_url": self.url,
            "region": "us-east-1",
            "access_key_id": "env.IRISGATE_TEST_S3_KEY_ID",
            "secret_access_key": "env.IRISGATE_TEST_S3_SECRET",
        }

    def start(self) -> None:
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def client(self) -> Any:
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=S3_KEY_ID,
            aws_secret_access_key=S3_SECRET,
        )

    def objects(self) -> dict[str, int]:
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return {item["Key"]: item["Size"] for item in listing.get("Contents", [])}


@pytest.fixture
def s3_server() -> Iterator[S3Server]:
    server = S3Server(port=free_port(), bucket=f"irisgate-{uuid.uuid4().hex[:12]}")
    server.start()
    server.client().create_bucket(Bucket=server.bucket)
    try:
        yield server
    finally:
        server.stop()


# -- the acceptance test ----------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["local", "s3"])
def test_after_every_link_expired_each_video_comes_whole_from_the_media_store(
    where, request, make_gateway, runware_sim, runway_sim, sims_env
):
    s3 = request.getfixturevalue("s3_server") if where == "s3" else None
    # Tasks end on their own; every link the providers give dies 4 s after it was given.
    runway_sim.sim.settings.delay_seconds = 1
    runway_sim.sim.settings.urls_expire_after_seconds = 4
    runway_sim.sim.settings.video_padding_bytes = 20 * 1024 * 1024 if s3 else 0  # a multipart upload
    runware_sim.sim.settings.async_delay_seconds = 1
    runware_sim.sim.settings.urls_expire_after_seconds = 4
    runware_sim.sim.settings.urls_expired_status = 403
    gateway = start_gateway(make_gateway, runware_sim, runway_sim, s3.config if s3 else {})
    client = gateway.openai()
    sizes = {
        client.videos.create(**RUNWAY_VIDEO).id: (1280, 720),
        client.videos.create(**RUNWARE_VIDEO, size="320x192").id: (320, 192),
        client.videos.create(**RUNWARE_VIDEO, size="192x320").id: (192, 320),
    }  # and nobody polls: the settler ends the jobs, the keeper copies their media

    jobs = wait_media(gateway, list(sizes), "kept")
    generated = {
        video_id: runway_bytes(runway_sim, job["upstream_id"])
        if job["provider"] == "runway"
        else runware_bytes(runware_sim, job["upstream_id"])
        for video_id, job in jobs.items()
    }
    expire_every_link(runware_sim, runway_sim)
    downloads_before = media_requests(runway_sim.sim, runware_sim.sim)

    for video_id, (width, height) in sizes.items():
        video = client.videos.retrieve(video_id)
        assert (video.status, video.expires_at) == ("completed", None)  # kept for good by default
        content = client.videos.download_content(video_id).read()
        assert content == generated[video_id]
        assert mp4_info(content)[1:3] == (width, height)
        thumbnail = client.videos.download_content(video_id, variant="thumbnail").read()
        assert thumbnail_size(thumbnail) == (width, height)
        assert jobs[video_id]["media"]["size"] == len(content)
    assert media_requests(runway_sim.sim, runware_sim.sim) == downloads_before  # not one from a provider

    if s3 is not None:
        objects = s3.objects()
        assert len(objects) == 6
        assert all(name.startswith("irisgate/videos/") for name in objects)
        assert sorted(size for name, size in objects.items() if name.endswith(".mp4")) == sorted(
            len(data) for data in generated.values()
        )
        deleted = next(iter(sizes))
        assert client.videos.delete(deleted).deleted
        assert not [name for name in s3.objects() if deleted in name]  # its media went with it
        assert len(s3.objects()) == 4
    else:
        files = local_files(gateway)
        assert len(files) == 6
        assert all(path.stat().st_mode & 0o777 == 0o600 for path in files)
        folders = {folder for path in files for folder in path.parents if gateway.app_dir in folder.parents}
        assert all(folder.stat().st_mode & 0o777 == 0o700 for folder in folders)  # media/ and below


# -- serving the kept copy --------------------------------------------------------------------------


def test_the_kept_copy_answers_ranges_and_head_and_goes_with_its_job(
    make_gateway, runware_sim, runway_sim, sims_env
):
    runway_sim.sim.settings.polls_per_state = 0  # ends at its first poll
    gateway = start_gateway(make_gateway, runware_sim, runway_sim, {})
    client = gateway.openai()
    video = completed(client, client.videos.create(**RUNWAY_VIDEO).id)
    wait_media(gateway, [video.id], "kept")
    expire_every_link(runware_sim, runway_sim)
    whole = client.videos.download_content(video.id).read()
    size = len(whole)
    url = content_url(gateway, video.id)

    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(size)
    assert (head.headers["content-type"], head.headers["accept-ranges"]) == ("video/mp4", "bytes")
    part = httpx.get(url, headers={"Range": "bytes=100-199"})
    assert (part.status_code, part.headers["content-range"]) == (206, f"bytes 100-199/{size}")
    assert part.content == whole[100:200] and part.headers["content-length"] == "100"
    assert httpx.get(url, headers={"Range": "bytes=-10"}).content == whole[-10:]
    assert httpx.get(url, headers={"Range": f"bytes={size - 5}-"}).content == whole[-5:]
    partial_head = httpx.head(url, headers={"Range": "bytes=0-9"})
    assert (partial_head.status_code, partial_head.headers["content-length"]) == (206, "10")
    beyond = httpx.get(url, headers={"Range": f"bytes={size}-"})
    assert (beyond.status_code, beyond.headers["content-range"]) == (416, f"bytes */{size}")
    assert beyond.json()["error"]["code"] == "range_not_satisfiable"
    thumbnail = httpx.head(url, params={"variant": "thumbnail"})
    assert (thumbnail.status_code, thumbnail.headers["content-type"]) == (200, "image/webp")
    spritesheet = httpx.get(url, params={"variant": "spritesheet"})
    assert (spritesheet.status_code, spritesheet.json()["error"]["code"]) == (400, "unsupported_variant")

    assert [path.name for path in local_files(gateway)] == ["thumbnail.webp", "video.mp4"]
    assert client.videos.delete(video.id).deleted
    assert local_files(gateway) == []
    assert not [path for path in (gateway.app_dir / "media").rglob("*") if video.id in path.name]
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)


def test_retention_sets_expires_at_and_removes_the_media_when_it_comes(
    make_gateway, runware_sim, runway_sim, sims_env
):
    runway_sim.sim.settings.polls_per_state = 0
    gateway = start_gateway(make_gateway, runware_sim, runway_sim, {"retention_days": 4 / 86400})
    client = gateway.openai()
    video = completed(client, client.videos.create(**RUNWAY_VIDEO).id)
    wait_media(gateway, [video.id], "kept", limit=30)
    kept = client.videos.retrieve(video.id)
    assert kept.expires_at is not None and abs(kept.expires_at - (kept.completed_at + 4)) <= 1
    assert len(local_files(gateway)) == 2

    wait_media(gateway, [video.id], "expired", limit=30)
    assert local_files(gateway) == []
    for variant in ("video", "thumbnail"):
        gone = httpx.get(content_url(gateway, video.id), params={"variant": variant})
        assert gone.status_code == 410, gone.text
        assert gone.json()["error"]["code"] == "video_expired"
    assert runway_sim.sim.tasks()[0]["status"] == "SUCCEEDED"  # the provider was not asked: it expired here
    again = client.videos.retrieve(video.id)
    assert (again.status, again.expires_at) == ("completed", kept.expires_at)


# -- a media store that is full or down ------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs with no room left (mounting needs root, which `make test` and CI have)."""
    if os.geteuid() != 0:
        pytest.fail("mounting a tmpfs needs root (make test runs as root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(disk)], check=True)
    try:
        descriptor = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
        for size in (256 * 1024, 4096, 1):
            while True:
                try:
                    os.write(descriptor, b"\0" * size)
                except OSError as error:
                    assert error.errno == errno.ENOSPC
                    break
        os.close(descriptor)
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_media_disk_never_fails_the_job_and_the_copy_is_made_once_there_is_room(
    full_disk, make_gateway, runware_sim, runway_sim, sims_env
):
    runway_sim.sim.settings.polls_per_state = 0
    gateway = start_gateway(make_gateway, runware_sim, runway_sim, {"path": str(full_disk / "media")})
    client = gateway.openai()
    video = completed(client, client.videos.create(**RUNWAY_VIDEO).id)
    failed = wait_for(
        lambda: (job := stored_jobs(gateway)[video.id])["media"]["attempts"] >= 1 and job, "a failed copy"
    )
    assert failed["status"] == "completed" and failed["media"]["state"] == "pending"
    assert "full" in failed["media"]["error"]
    served = client.videos.download_content(video.id).read()  # meanwhile, the provider's link serves
    assert served == runway_bytes(runway_sim, failed["upstream_id"])
    early = httpx.get(content_url(gateway, video.id), params={"variant": "thumbnail"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "video_not_ready")

    (full_disk / "filler").unlink()  # room again: the next attempt (a few seconds on) keeps it
    kept = wait_media(gateway, [video.id], "kept", limit=60)[video.id]
    assert kept["media"]["error"] is None and kept["media"]["attempts"] >= 2
    expire_every_link(runware_sim, runway_sim)
    assert client.videos.download_content(video.id).read() == served
    assert thumbnail_size(client.videos.download_content(video.id, variant="thumbnail").read()) == (1280, 720)
    assert client.videos.retrieve(video.id).status == "completed"


def test_an_s3_server_that_is_down_never_fails_the_job_and_the_copy_is_made_once_it_is_back(
    s3_server, make_gateway, runware_sim, runway_sim, sims_env
):
    runway_sim.sim.settings.polls_per_state = 0
    gateway = start_gateway(make_gateway, runware_sim, runway_sim, s3_server.config)
    client = gateway.openai()
    s3_server.stop()
    video = completed(client, client.videos.create(**RUNWAY_VIDEO).id)
    failed = wait_for(
        lambda: (job := stored_jobs(gateway)[video.id])["media"]["attempts"] >= 1 and job, "a failed copy"
    )
    assert failed["status"] == "completed" and failed["media"]["state"] == "pending"
    assert s3_server.url in failed["media"]["error"]  # it says which store could not be reached
    served = client.videos.download_content(video.id).read()
    assert served == runway_bytes(runway_sim, failed["upstream_id"])

    s3_server.start()
    wait_media(gateway, [video.id], "kept", limit=60)
    expire_every_link(runware_sim, runway_sim)
    assert client.videos.download_content(video.id).read() == served
    assert len(s3_server.objects()) == 2

    s3_server.stop()  # a delete while the store is down still deletes the job (its media stays)
    assert client.videos.delete(video.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    s3_server.start()
    assert len(s3_server.objects()) == 2
