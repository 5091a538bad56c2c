"""Google Veo (Gemini API) videos through a real gateway with the official `openai` SDK: create and
poll (text, first frame), the download is the simulator's exact file, the wire fields of every row,
the per-model 400s before any call, failed operations, and what the Gemini API cannot do."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
import openai
import pytest

from fixtures_google_sim import GoogleSimHandle
from media_helpers import data_uri, image_bytes
from video_helpers import mp4_info

VEO = "google/veo-3.1-generate-preview"
POLL = {"poll_interval_ms": 20}
FRAME = image_bytes(96, 54, "PNG")


def creates(google_sim: GoogleSimHandle) -> list[Any]:
    return [r for r in google_sim.sim.requests if r.path.endswith(":predictLongRunning")]


def served_file_uri(google_sim: GoogleSimHandle) -> str:
    """The file URI of the simulator's (only) finished operation."""
    [operation] = google_sim.sim.tasks()
    return operation["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]


def served_file(google_sim: GoogleSimHandle) -> bytes:
    """The bytes the simulator serves for its (only) finished operation, fetched with the key."""
    response = httpx.get(served_file_uri(google_sim), headers={"x-goog-api-key": google_sim.api_key})
    assert response.status_code == 200 and response.headers["content-type"] == "video/mp4"
    return response.content


def test_text_to_video_create_and_poll_then_download_the_exact_bytes(google_gateway, google_sim):
    client = google_gateway.openai()
    video = client.videos.create_and_poll(
        model=VEO,
        prompt="a paper boat drifting down a rainy street",
        seconds="6",
        size="720x1280",
        extra_body={"negative_prompt": "fog", "person_generation": "allow_all"},
        **POLL,
    )
    [create] = creates(google_sim)
    assert create.path == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert create.headers["x-goog-api-key"] == google_sim.api_key
    assert create.body == {
        "instances": [{"prompt": "a paper boat drifting down a rainy street"}],
        "parameters": {
            "aspectRatio": "9:16",
            "resolution": "720p",
            "durationSeconds": 6,
            "negativePrompt": "fog",
            "personGeneration": "allow_all",
        },
    }
    assert (video.status, video.progress, video.seconds, video.size) == ("completed", 100, "6", "720x1280")
    assert video.model == VEO and video.error is None
    assert video.model_extra["usage"]["cost"] == pytest.approx(2.4)  # 6 s x $0.40

    [operation] = google_sim.sim.tasks()
    polls = [r for r in google_sim.sim.requests if r.method == "GET" and "/operations/" in r.path]
    assert polls and all(r.path == f"/v1beta/{operation['name']}" for r in polls)
    assert all(r.headers["x-goog-api-key"] == google_sim.api_key for r in polls)

    content = client.videos.download_content(video.id).read()
    assert content == served_file(google_sim)
    codec, width, height, seconds = mp4_info(content)
    assert (codec, width, height) == ("h264", 720, 1280)
    assert seconds == pytest.approx(6, abs=0.5)
    downloads = [r for r in google_sim.sim.requests if r.path.endswith(":download")]
    assert downloads[0].headers["x-goog-api-key"] == google_sim.api_key


def test_a_first_frame_upload_goes_inline_and_the_video_downloads(google_gateway, google_sim):
    client = google_gateway.openai()
    video = client.videos.create_and_poll(
        model=VEO,
        prompt="the camera slowly pushes in",
        input_reference=("first.png", FRAME, "image/png"),
        seconds="8",
        size="1920x1080",
        **POLL,
    )
    [create] = creates(google_sim)
    assert create.body == {
        "instances": [
            {
                "prompt": "the camera slowly pushes in",
                "image": {"bytesBase64Encoded": base64.b64encode(FRAME).decode(), "mimeType": "image/png"},
            }
        ],
        "parameters": {"aspectRatio": "16:9", "resolution": "1080p", "durationSeconds": 8},
    }
    assert video.status == "completed"
    content = client.videos.download_content(video.id).read()
    assert content == served_file(google_sim)
    assert mp4_info(content)[1:3] == (1920, 1080)


def test_a_data_uri_first_frame_is_forwarded_and_a_url_is_refused(google_gateway, google_sim):
    jpeg = image_bytes(40, 40, "JPEG")
    response = httpx.post(
        google_gateway.base_url + "/videos",
        json={"model": VEO, "prompt": "a kite", "input_reference": data_uri(jpeg, "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    [create] = creates(google_sim)
    assert create.body["instances"][0]["image"] == {
        "bytesBase64Encoded": base64.b64encode(jpeg).decode(),
        "mimeType": "image/jpeg",
    }
    response = httpx.post(
        google_gateway.base_url + "/videos",
        json={
            "model": VEO,
            "prompt": "a kite",
            "input_reference": {"image_url": "https://example.com/k.png"},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input_reference"
    assert len(creates(google_sim)) == 1


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"size": "1024x1024"}, "size", "1280x720, 720x1280, 1920x1080, 1080x1920, 3840x2160, 2160x3840"),
        ({"seconds": "5"}, "seconds", "4, 6, 8"),
        ({"seconds": "4", "size": "3840x2160"}, "seconds", "8 at 4k"),
        ({"model": "google/veo-3.0-generate-001", "size": "1080x1920"}, "size", "1920x1080"),
        ({"model": "google/veo-2.0-generate-001", "seconds": "4"}, "seconds", "5, 6, 8"),
        ({"seed": 7}, "seed", "Vertex AI"),
        ({"audio": False}, "audio", "always generates audio"),
        ({"person_generation": "allow_adult"}, "person_generation", "allow_all"),
        ({"video_uri": "https://example.com/v.mp4"}, "video_uri", "video_uri"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_before_any_call(
    google_gateway, google_sim, body, param, fragment
):
    response = httpx.post(google_gateway.base_url + "/videos", json={"model": VEO, "prompt": "a cat", **body})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert fragment in error["message"]
    assert google_sim.sim.requests == []


def test_polling_is_in_progress_until_the_operation_is_done(google_gateway, google_sim):
    google_sim.sim.settings.polls_to_done = 3
    video = google_gateway.openai().videos.create(model=VEO, prompt="waves at dusk", seconds="4")
    assert (video.status, video.seconds, video.size) == ("queued", "4", "1280x720")
    seen = []
    for _ in range(10):
        response = httpx.get(f"{google_gateway.base_url}/videos/{video.id}")
        seen.append(response.json()["status"])
        if seen[-1] == "completed":
            break
        assert int(response.headers["openai-poll-after-ms"]) > 0
    assert seen == ["in_progress", "in_progress", "completed"]


@pytest.mark.parametrize(
    ("marker", "code", "fragment"),
    [("operation_error", "internal", "internal error"), ("rai_filtered", "content_filtered", "safety")],
)
def test_a_failed_operation_fails_the_video(google_gateway, google_sim, marker, code, fragment):
    video = google_gateway.openai().videos.create_and_poll(
        model=VEO, prompt=f"a storm [[sim:{marker}]]", **POLL
    )
    assert video.status == "failed"
    assert video.error.code == code
    assert fragment in video.error.message


def test_delete_is_an_unsupported_operation_and_keeps_the_job(google_gateway, google_sim):
    client = google_gateway.openai()
    video = client.videos.create(model=VEO, prompt="a slow pan over hills")
    with pytest.raises(openai.BadRequestError) as raised:
        client.videos.delete(video.id)
    assert raised.value.body["code"] == "unsupported_operation"
    assert client.videos.retrieve(video.id).id == video.id


def test_a_quota_on_create_is_429_and_leaves_no_job(google_gateway, google_sim):
    google_sim.sim.settings.retry_delay_seconds = 12
    response = httpx.post(
        google_gateway.base_url + "/videos", json={"model": VEO, "prompt": "x [[sim:quota]]"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "12"
    assert httpx.get(google_gateway.base_url + "/videos").json()["data"] == []


def test_a_server_error_on_create_is_ambiguous_and_recorded(google_gateway, google_sim):
    """A 5xx may have started the operation: the client is told not to resend, and the job says so."""
    response = httpx.post(google_gateway.base_url + "/videos", json={"model": VEO, "prompt": "x [[sim:503]]"})
    assert response.status_code == 503
    assert response.headers["x-should-retry"] == "false"
    [job] = httpx.get(google_gateway.base_url + "/videos").json()["data"]
    assert job["status"] == "failed" and job["error"]["code"] == "upstream_outcome_unknown"


def test_a_range_download_passes_through(google_gateway, google_sim):
    client = google_gateway.openai()
    video = client.videos.create_and_poll(model=VEO, prompt="a lighthouse", seconds="4", **POLL)
    response = httpx.get(
        f"{google_gateway.base_url}/videos/{video.id}/content", headers={"Range": "bytes=0-99"}
    )
    assert response.status_code == 206
    whole = served_file(google_sim)
    assert response.content == whole[:100]
    assert response.headers["content-range"] == f"bytes 0-99/{len(whole)}"


def test_a_video_model_shipped_after_irisgate_passes_unchecked(google_gateway, google_sim):
    google_sim.sim.settings.extra_models = {"veo-4.0-generate-preview"}
    video = google_gateway.openai().videos.create_and_poll(
        model="google/veo-4.0-generate-preview",
        prompt="a comet",
        seconds="5",
        extra_body={"seed": 11},
        **POLL,
    )
    assert video.status == "completed"
    [create] = creates(google_sim)
    assert create.body["parameters"] == {
        "aspectRatio": "16:9",
        "resolution": "720p",
        "durationSeconds": 5,
        "seed": 11,
    }


def test_a_finished_video_is_kept_and_served_after_googles_file_is_gone(google_gateway, google_sim):
    """The media keeper copies a Google video through the provider's `open_media` (with the key), so
    the download still works once Google's file is gone (the Gemini API keeps it two days)."""
    client = google_gateway.openai()
    video = client.videos.create_and_poll(model=VEO, prompt="a lighthouse at night", seconds="4", **POLL)
    original = served_file(google_sim)
    token = (google_gateway.app_dir / "admin_token").read_text().strip()
    deadline = time.monotonic() + 90  # bounds a broken run only
    while True:
        jobs = httpx.get(
            google_gateway.url + "/api/jobs", headers={"Authorization": f"Bearer {token}"}
        ).json()
        [job] = [j for j in jobs["data"] if j["id"] == video.id]
        if job["media"]["state"] == "kept":
            break
        assert time.monotonic() < deadline, job["media"]
        time.sleep(0.2)
    google_sim.sim.settings.files_expired = True
    assert (
        httpx.get(served_file_uri(google_sim), headers={"x-goog-api-key": google_sim.api_key}).status_code
        == 404
    )
    assert client.videos.download_content(video.id).read() == original
    thumbnail = httpx.get(
        f"{google_gateway.base_url}/videos/{video.id}/content", params={"variant": "thumbnail"}
    )
    assert (thumbnail.status_code, thumbnail.headers["content-type"]) == (200, "image/webp")
