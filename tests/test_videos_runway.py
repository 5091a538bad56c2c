"""Runway video through the official OpenAI SDK: create, poll, download, delete, and the mapped wire calls."""

from __future__ import annotations

import base64

import httpx
import openai
import pytest

from fixtures_gateway import media_config
from media_helpers import data_uri, image_bytes
from video_helpers import mp4_info, posts

POLL = {"poll_interval_ms": 20}


def test_text_to_video_maps_fields_and_headers(media_gateway, runway_sim):
    video = media_gateway.openai().videos.create(
        model="runway/veo3.1",
        prompt="a paper boat drifting down a rainy street",
        seconds="4",
        size="1920x1080",
        extra_body={"audio": True, "seed": 7, "content_moderation": {"publicFigureThreshold": "low"}},
    )
    [request] = posts(runway_sim.sim)
    assert request.path == "/v1/text_to_video"
    assert request.headers["authorization"] == f"Bearer {runway_sim.api_key}"
    assert request.headers["x-runway-version"] == "2024-11-06"
    assert request.body == {
        "model": "veo3.1",
        "promptText": "a paper boat drifting down a rainy street",
        "ratio": "1920:1080",
        "duration": 4,
        "audio": True,
        "seed": 7,
        "contentModeration": {"publicFigureThreshold": "low"},
    }
    assert video.id.startswith("video_")
    assert (video.object, video.status, video.progress) == ("video", "queued", 0)
    assert (video.model, video.seconds, video.size) == ("runway/veo3.1", "4", "1920x1080")
    assert video.prompt == "a paper boat drifting down a rainy street"
    assert video.model_extra["usage"]["cost"] > 0


def test_image_to_video_with_an_uploaded_file_downloads_the_served_bytes(media_gateway, runway_sim):
    client = media_gateway.openai()
    reference = image_bytes(160, 90, "PNG")
    video = client.videos.create_and_poll(
        model="runway/gen4_turbo",
        prompt="the camera slowly pushes in",
        input_reference=("ref.png", reference, "image/png"),
        seconds="5",
        **POLL,
    )
    [request] = posts(runway_sim.sim)
    assert request.path == "/v1/image_to_video"
    assert request.body == {
        "model": "gen4_turbo",
        "promptText": "the camera slowly pushes in",
        "promptImage": data_uri(reference),
        "ratio": "1280:720",
        "duration": 5,
    }
    assert video.status == "completed"
    assert video.progress == 100
    assert video.completed_at >= video.created_at
    assert video.error is None

    content = client.videos.download_content(video.id).read()
    [task] = runway_sim.sim.tasks()
    served = httpx.get(task["output"][0]).content
    assert content == served
    codec, width, height, seconds = mp4_info(content)
    assert (codec, width, height) == ("h264", 1280, 720)
    assert seconds == pytest.approx(5, abs=0.5)

    again = client.videos.retrieve(video.id)
    assert (again.status, again.created_at, again.completed_at) == (
        "completed",
        video.created_at,
        video.completed_at,
    )


def test_polling_reports_progress_and_the_poll_header(media_gateway, runway_sim):
    runway_sim.sim.settings.running_polls = 3
    video = media_gateway.openai().videos.create(model="runway/gen4.5", prompt="waves at dusk", seconds="6")
    seen = []
    for _ in range(20):
        response = httpx.get(f"{media_gateway.base_url}/videos/{video.id}")
        body = response.json()
        seen.append((body["status"], body["progress"]))
        if body["status"] == "completed":
            assert "openai-poll-after-ms" not in response.headers
            break
        assert int(response.headers["openai-poll-after-ms"]) > 0
    assert seen[-1] == ("completed", 100)
    running = [progress for status, progress in seen if status == "in_progress"]
    assert running and all(isinstance(p, int) and 0 <= p < 100 for p in running)
    assert running == sorted(running)


def test_url_reference_and_json_body(media_gateway, runway_sim):
    client = media_gateway.openai()
    client.videos.create(
        model="runway/gen4_turbo",
        prompt="a kite",
        extra_body={"input_reference": {"image_url": "https://example.com/kite.png"}},
    )
    response = httpx.post(
        media_gateway.base_url + "/videos",
        json={
            "model": "runway/gen4_turbo",
            "prompt": "a kite",
            "input_reference": data_uri(image_bytes(), "image/png"),
        },
    )
    assert response.status_code == 200, response.text
    first, second = posts(runway_sim.sim)
    assert first.body["promptImage"] == "https://example.com/kite.png"
    assert second.body["promptImage"] == data_uri(image_bytes(), "image/png")
    assert first.body["duration"] == 2  # the unified default


def test_video_to_video(media_gateway, runway_sim):
    video = media_gateway.openai().videos.create(
        model="runway/gen4_aleph",
        prompt="make it snow",
        extra_body={
            "video_uri": "https://example.com/source.mp4",
            "references": [{"type": "image", "uri": "https://example.com/r.png"}],
        },
    )
    [request] = posts(runway_sim.sim)
    assert request.path == "/v1/video_to_video"
    assert request.body == {
        "model": "gen4_aleph",
        "promptText": "make it snow",
        "videoUri": "https://example.com/source.mp4",
        "references": [{"type": "image", "uri": "https://example.com/r.png"}],
    }
    assert video.seconds == "auto"


def test_delete_cancels_upstream_then_404(media_gateway, runway_sim):
    client = media_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a slow pan over hills")
    [task] = runway_sim.sim.tasks()
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    deletes = [r for r in runway_sim.sim.requests if r.method == "DELETE"]
    assert [r.path for r in deletes] == [f"/v1/tasks/{task['id']}"]
    assert deletes[0].headers["x-runway-version"] == "2024-11-06"
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


def test_failed_task_reports_the_failure(media_gateway, runway_sim):
    video = media_gateway.openai().videos.create_and_poll(
        model="runway/gen4.5", prompt="a storm [[sim:task_failure]]", **POLL
    )
    assert video.status == "failed"
    assert video.error.code
    assert video.error.message


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"model": "runway/gen4_turbo", "prompt": "a cat"}, "input_reference", "image-to-video"),
        ({"model": "runway/gen4.5", "prompt": "a cat", "size": "1920x1080"}, "size", "1280x720"),
        ({"model": "runway/gen4.5", "prompt": "a cat", "seconds": "11"}, "seconds", "2, 3, 4"),
        ({"model": "runway/veo3.1", "prompt": "a cat", "seconds": "5"}, "seconds", "4, 6, 8"),
        ({"model": "runway/gen4.5", "prompt": "a cat", "audio": True}, "audio", "audio"),
        ({"model": "runway/gen4.5", "prompt": "a cat", "seconds": "2.5"}, "seconds", "whole seconds"),
        ({"model": "runway/gen4.5", "prompt": "a cat", "seconds": "soon"}, "seconds", "seconds"),
        ({"model": "runway/gen4.5"}, "prompt", "required"),
        (
            {"model": "runway/gen4.5", "prompt": "a cat", "input_reference": {"file_id": "file-1"}},
            "input_reference.file_id",
            "Files API",
        ),
    ],
)
def test_invalid_requests_name_the_field(media_gateway, runway_sim, body, param, fragment):
    response = httpx.post(media_gateway.base_url + "/videos", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert fragment in error["message"]
    assert posts(runway_sim.sim) == []


def test_oversized_data_uri_is_refused_before_runway(media_gateway, runway_sim):
    big = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(4_000_000)).decode()
    response = httpx.post(
        media_gateway.base_url + "/videos",
        json={"model": "runway/gen4_turbo", "prompt": "a cat", "input_reference": big},
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input_reference"
    assert "5 MB" in response.json()["error"]["message"]
    assert posts(runway_sim.sim) == []


def test_runway_validation_error_passes_through(media_gateway, runway_sim):
    response = httpx.post(
        media_gateway.base_url + "/videos", json={"model": "runway/gen9_imaginary", "prompt": "a cat"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert "Validation of body failed" in error["message"]
    assert error["param"] == "model"


def test_download_before_completion_and_bad_variant(media_gateway, runway_sim):
    runway_sim.sim.settings.running_polls = 50
    client = media_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a lantern in fog")
    response = httpx.get(f"{media_gateway.base_url}/videos/{video.id}/content")
    assert response.status_code == 409
    assert response.headers["x-should-retry"] == "false"
    assert response.json()["error"]["code"] == "video_not_ready"
    assert (
        "queued" in response.json()["error"]["message"]
        or "in_progress" in response.json()["error"]["message"]
    )
    thumbnail = httpx.get(
        f"{media_gateway.base_url}/videos/{video.id}/content", params={"variant": "thumbnail"}
    )
    assert thumbnail.status_code == 409  # as OpenAI answers before completion
    assert thumbnail.json()["error"]["code"] == "video_not_ready"
    spritesheet = httpx.get(
        f"{media_gateway.base_url}/videos/{video.id}/content", params={"variant": "spritesheet"}
    )
    assert spritesheet.status_code == 400
    assert spritesheet.json()["error"]["param"] == "variant"


def test_range_download(media_gateway, runway_sim):
    client = media_gateway.openai()
    video = client.videos.create_and_poll(model="runway/gen4.5", prompt="a candle", seconds="2", **POLL)
    whole = client.videos.download_content(video.id).read()
    part = httpx.get(
        f"{media_gateway.base_url}/videos/{video.id}/content", headers={"Range": "bytes=100-199"}
    )
    assert part.status_code == 206
    assert part.content == whole[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    beyond = httpx.get(
        f"{media_gateway.base_url}/videos/{video.id}/content", headers={"Range": f"bytes={len(whole) + 10}-"}
    )
    assert beyond.status_code == 416


def test_expired_output_url_is_refreshed(make_gateway, runware_sim, runway_sim, monkeypatch):
    """While no copy is kept (here: a media store that cannot be written), the provider's link serves,
    refreshed once when it has expired."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    config = {**media_config(runware_sim, runway_sim), "media": {"path": "config.json/media"}}  # a file
    gateway = make_gateway(config)
    client = gateway.openai()
    video = client.videos.create_and_poll(model="runway/gen4.5", prompt="a meadow", seconds="2", **POLL)
    runway_sim.sim.settings.urls_expired = True
    response = httpx.get(f"{gateway.base_url}/videos/{video.id}/content")
    assert response.status_code == 502  # the refreshed URL is expired too: a clear upstream error
    runway_sim.sim.settings.urls_expired = False
    assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"


def test_remix_is_unsupported(media_gateway, runway_sim):
    client = media_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a fox")
    with pytest.raises(openai.BadRequestError) as raised:
        client.videos.remix(video.id, prompt="a wolf")
    assert raised.value.body["code"] == "unsupported_operation"


def test_large_download_streams_with_its_length(media_gateway, runway_sim):
    runway_sim.sim.settings.video_padding_bytes = 8 * 1024 * 1024
    client = media_gateway.openai()
    video = client.videos.create_and_poll(model="runway/gen4.5", prompt="a long take", seconds="2", **POLL)
    with httpx.stream("GET", f"{media_gateway.base_url}/videos/{video.id}/content") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "video/mp4"
        length = int(response.headers["content-length"])
        received = sum(len(chunk) for chunk in response.iter_bytes())
    assert length == received > 8 * 1024 * 1024
