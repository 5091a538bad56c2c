"""fal through the gateway with the official OpenAI SDK: images, edits, videos, the wire fields the
fal simulator recorded, 400s before any provider call, and what fal lacks."""

from __future__ import annotations

import base64

import httpx
import openai
import pytest

from irisgate.simulators.fal import FalFault

from fixtures_fal_sim import FAL_TEST_KEY, fal_provider
from media_helpers import data_uri, decode_b64_image, decode_image, image_bytes
from video_helpers import mp4_info

POLL = {"poll_interval_ms": 20}
T2V = "fal/fal-ai/kling-video/v2.1/master/text-to-video"
I2V = "fal/fal-ai/kling-video/v2.1/standard/image-to-video"


def api_calls(sim, method=None):
    return [
        r for r in sim.requests if not r.path.startswith("/files/") and (method is None or r.method == method)
    ]


def submit_of(sim):
    [submit] = api_calls(sim, "POST")
    return submit


def test_generation_maps_fields_and_walks_the_queue(fal_gateway, fal_sim):
    fal_sim.sim.settings.queue_polls, fal_sim.sim.settings.progress_polls = 1, 1
    result = fal_gateway.openai().images.generate(
        model="fal/fal-ai/flux/dev",
        prompt="a lighthouse at dawn",
        size="512x384",
        n=2,
        output_format="png",
        extra_body={"seed": 42, "num_inference_steps": 20, "guidance_scale": 4.5},
    )
    submit, *rest = api_calls(fal_sim.sim)
    assert (submit.method, submit.path) == ("POST", "/fal-ai/flux/dev")
    assert submit.headers["authorization"] == f"Key {FAL_TEST_KEY}"
    assert submit.body == {
        "prompt": "a lighthouse at dawn",
        "num_images": 2,
        "num_inference_steps": 20,
        "seed": 42,
        "image_size": {"width": 512, "height": 384},
        "output_format": "png",
        "guidance_scale": 4.5,
    }
    [task] = fal_sim.sim.tasks()
    base = f"/fal-ai/flux/requests/{task['request_id']}"  # the app id only, not the /dev path
    assert [(r.method, r.path) for r in rest] == [("GET", base + "/status")] * 3 + [("GET", base)]
    assert all(r.headers["authorization"] == f"Key {FAL_TEST_KEY}" for r in rest)
    assert len(result.data) == 2
    image = decode_image(httpx.get(result.data[0].url).content)
    assert (image.format, image.size) == ("PNG", (512, 384))
    assert (result.output_format, result.size) == ("png", "512x384")
    assert result.data[0].model_extra["seed"] == 42
    assert result.usage.model_extra["cost"] == pytest.approx(0.05)  # 2 images x 1 MP x $0.025


def test_b64_json_asks_for_sync_mode(fal_gateway, fal_sim):
    result = fal_gateway.openai().images.generate(
        model="fal/fal-ai/flux/schnell", prompt="a fox", size="256x256", response_format="b64_json"
    )
    assert submit_of(fal_sim.sim).body == {
        "prompt": "a fox",
        "image_size": {"width": 256, "height": 256},
        "sync_mode": True,
    }
    image = decode_b64_image(result.data[0].b64_json)
    assert (image.format, image.size) == ("JPEG", (256, 256))
    assert result.data[0].url is None


def test_edit_sends_the_upload_as_image_url(fal_gateway, fal_sim):
    upload = image_bytes(96, 64)
    result = fal_gateway.openai().images.edit(
        model="fal/fal-ai/flux-pro/kontext",
        image=("in.png", upload, "image/png"),
        prompt="make it snow",
        size="1024x1024",
    )
    assert submit_of(fal_sim.sim).body == {
        "prompt": "make it snow",
        "image_url": data_uri(upload),
        "aspect_ratio": "1:1",
    }
    assert result.usage.model_extra["cost"] == pytest.approx(0.04)
    assert decode_image(httpx.get(result.data[0].url).content).size == (1024, 1024)


def test_inpainting_sends_the_mask(fal_gateway, fal_sim):
    upload, mask = image_bytes(64, 64), image_bytes(64, 64, color=(255, 255, 255))
    fal_gateway.openai().images.edit(
        model="fal/fal-ai/flux-lora/inpainting",
        image=("in.png", upload, "image/png"),
        mask=("mask.png", mask, "image/png"),
        prompt="a red door",
        extra_body={"strength": 0.7},
    )
    assert submit_of(fal_sim.sim).body == {
        "prompt": "a red door",
        "image_url": data_uri(upload),
        "mask_url": data_uri(mask),
        "strength": 0.7,  # multipart text that looks like JSON is decoded
    }


def test_text_to_video_downloads_the_simulators_bytes(fal_gateway, fal_sim):
    client = fal_gateway.openai()
    video = client.videos.create_and_poll(
        model=T2V, prompt="waves at dusk", seconds="5", size="1280x720", **POLL
    )
    assert submit_of(fal_sim.sim).body == {"prompt": "waves at dusk", "duration": "5", "aspect_ratio": "16:9"}
    assert (video.status, video.progress, video.seconds, video.size) == ("completed", 100, "5", "1280x720")
    assert video.model_extra["usage"]["cost"] == pytest.approx(1.40)
    [task] = fal_sim.sim.tasks()
    status_polls = [r for r in api_calls(fal_sim.sim, "GET") if r.path.endswith("/status")]
    assert status_polls[0].path == f"/fal-ai/kling-video/requests/{task['request_id']}/status"

    content = client.videos.download_content(video.id).read()
    result = httpx.get(
        f"{fal_sim.url}/fal-ai/kling-video/requests/{task['request_id']}",
        headers={"Authorization": f"Key {FAL_TEST_KEY}"},
    ).json()
    assert content == httpx.get(result["video"]["url"]).content
    codec, width, height, seconds = mp4_info(content)
    assert (codec, width, height) == ("h264", 1280, 720)
    assert seconds == pytest.approx(5, abs=0.5)
    [media] = [r for r in fal_sim.sim.requests if r.path.startswith("/files/")][:1]
    assert "authorization" not in media.headers  # fal's CDN: no key sent


def test_image_to_video_with_a_first_frame(fal_gateway, fal_sim):
    frame = image_bytes(90, 160)
    client = fal_gateway.openai()
    video = client.videos.create_and_poll(
        model=I2V,
        prompt="the camera pushes in",
        input_reference=("frame.png", frame, "image/png"),
        seconds="10",
        extra_body={"negative_prompt": "blur", "cfg_scale": 0.7},
        **POLL,
    )
    assert submit_of(fal_sim.sim).body == {
        "prompt": "the camera pushes in",
        "image_url": data_uri(frame),
        "duration": "10",
        "negative_prompt": "blur",
        "cfg_scale": 0.7,
    }
    assert (video.status, video.seconds, video.size) == ("completed", "10", "auto")
    assert video.model_extra["usage"]["cost"] == pytest.approx(0.56)  # $0.28 + 5 s x $0.056
    codec, width, height, _ = mp4_info(client.videos.download_content(video.id).read())
    assert (codec, width, height) == ("h264", 720, 1280)  # shaped like the portrait frame


def test_polling_reports_queue_and_progress(fal_gateway, fal_sim):
    fal_sim.sim.settings.queue_polls, fal_sim.sim.settings.progress_polls = 1, 2
    video = fal_gateway.openai().videos.create(model=T2V, prompt="a slow pan")
    seen = []
    for _ in range(10):
        body = httpx.get(f"{fal_gateway.base_url}/videos/{video.id}").json()
        seen.append((body["status"], body["progress"]))
        if body["status"] == "completed":
            break
    assert seen == [("queued", 0), ("in_progress", 33), ("in_progress", 67), ("completed", 100)]
    polls = [r for r in api_calls(fal_sim.sim, "GET") if r.path.endswith("/status")]
    assert polls and all(r.headers["authorization"] == f"Key {FAL_TEST_KEY}" for r in polls)


def test_delete_cancels_the_request(fal_gateway, fal_sim):
    fal_sim.sim.settings.queue_polls = 5
    client = fal_gateway.openai()
    video = client.videos.create(model=T2V, prompt="a kite")
    [task] = fal_sim.sim.tasks()
    deleted = client.videos.delete(video.id)
    assert deleted.deleted is True
    [cancel] = api_calls(fal_sim.sim, "PUT")
    assert cancel.path == f"/fal-ai/kling-video/requests/{task['request_id']}/cancel"
    assert fal_sim.sim.tasks()[0]["cancelled"] is True
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)


@pytest.mark.parametrize(
    ("marker", "code", "fragment"),
    [
        ("[[sim:request_failure]]", "internal_error", "unexpected internal error"),
        ("[[sim:content_policy]]", "content_policy_violation", "content checker"),
    ],
)
def test_a_failed_request_fails_the_video_with_fals_message(fal_gateway, fal_sim, marker, code, fragment):
    video = fal_gateway.openai().videos.create_and_poll(model=T2V, prompt=f"a storm {marker}", **POLL)
    assert video.status == "failed"
    assert video.error.code == code
    assert fragment in video.error.message


@pytest.mark.parametrize(
    ("path", "body", "param", "fragment"),
    [
        ("/videos", {"model": T2V, "prompt": "x", "size": "1024x768"}, "size", "16:9, 9:16, 1:1"),
        ("/videos", {"model": T2V, "prompt": "x", "seconds": "7"}, "seconds", "5, 10"),
        ("/videos", {"model": I2V, "prompt": "x"}, "input_reference", "image-to-video"),
        ("/videos", {"model": T2V, "prompt": "x", "seed": 3}, "seed", "seed"),
        ("/videos", {"model": "fal/fal-ai", "prompt": "x"}, "model", "owner"),
        ("/images/generations", {"model": "fal/fal-ai/flux/dev", "prompt": "x", "n": 5}, "n", "1 to 4"),
        (
            "/images/generations",
            {"model": "fal/fal-ai/flux/dev", "prompt": "x", "output_format": "webp"},
            "output_format",
            "jpeg, png",
        ),
        (
            "/images/generations",
            {"model": "fal/fal-ai/flux/schnell", "prompt": "x", "num_inference_steps": 20},
            "num_inference_steps",
            "1 to 12",
        ),
        (
            "/images/generations",
            {"model": "fal/fal-ai/flux/dev", "prompt": "x", "negative_prompt": "blur"},
            "negative_prompt",
            "negative_prompt",
        ),
        (
            "/images/generations",
            {"model": "fal/fal-ai/flux/dev", "prompt": "x", "quality": "hd"},
            "quality",
            "OpenAI",
        ),
    ],
)
def test_bad_input_is_a_400_before_any_call_to_fal(fal_gateway, fal_sim, path, body, param, fragment):
    response = httpx.post(fal_gateway.base_url + path, json=body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert fragment in error["message"]
    assert fal_sim.sim.requests == []


def test_edit_checks_name_the_mask_before_any_call(fal_gateway, fal_sim):
    with pytest.raises(openai.BadRequestError) as caught:
        fal_gateway.openai().images.edit(
            model="fal/fal-ai/flux-pro/kontext",
            image=("in.png", image_bytes(), "image/png"),
            mask=("mask.png", image_bytes(), "image/png"),
            prompt="x",
        )
    assert caught.value.body["param"] == "mask"
    assert fal_sim.sim.requests == []


def test_an_unlisted_endpoint_passes_through_and_fals_422_names_the_field(fal_gateway, fal_sim):
    client = fal_gateway.openai()
    result = client.images.generate(
        model="fal/fal-ai/brand-new-model", prompt="a cat", extra_body={"image_size": "square"}
    )
    assert submit_of(fal_sim.sim).body == {"prompt": "a cat", "image_size": "square"}
    assert decode_image(httpx.get(result.data[0].url).content).size == (512, 512)
    assert result.usage is None  # no published price irisgate knows of
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(
            model="fal/fal-ai/brand-new-model",
            prompt="a cat",
            size="300x300",
            extra_body={"image_size": "huge"},
        )
    assert caught.value.body["param"] == "size"
    assert caught.value.body["code"] == "literal_error"
    assert "image_size" in caught.value.body["message"]


def test_fal_lacks_variations_streaming_and_remix(fal_gateway, fal_sim):
    client = fal_gateway.openai()
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(
            model="fal/fal-ai/flux/dev", image=("a.png", image_bytes(), "image/png")
        )
    assert caught.value.body["code"] == "unsupported_operation"
    response = httpx.post(
        fal_gateway.base_url + "/images/generations",
        json={"model": "fal/fal-ai/flux/dev", "prompt": "x", "stream": True},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unsupported_operation"
    assert fal_sim.sim.requests == []


def test_a_refused_key_is_a_502_naming_the_key(make_gateway, fal_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_FAL_KEY", "wrong:key")
    gateway = make_gateway({"providers": {"fal": fal_provider(fal_sim.url)}})
    response = httpx.post(
        gateway.base_url + "/images/generations", json={"model": "fal/fal-ai/flux/dev", "prompt": "x"}
    )
    assert response.status_code == 502
    error = response.json()["error"]
    # the key is set aside (key_rejected) and no other admits the model: the router says so, with fal's answer
    assert error["code"] == "upstream_credentials_exhausted"
    assert "fal rejected the provider key 'main'" in error["message"]
    assert "wrong:key" not in error["message"]


def test_a_429_keeps_retry_after(fal_gateway, fal_sim):
    fal_sim.sim.settings.retry_after_seconds = 7
    fal_sim.sim.add_fault(FalFault(kind="http_error", status=429, path="/fal-ai/flux/dev"))
    response = httpx.post(
        fal_gateway.base_url + "/images/generations", json={"model": "fal/fal-ai/flux/dev", "prompt": "x"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


def test_an_image_request_past_the_timeout_is_cancelled(make_gateway, fal_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_FAL_KEY", fal_sim.api_key)
    fal_sim.sim.settings.queue_polls = 10_000
    gateway = make_gateway(
        {"providers": {"fal": fal_provider(fal_sim.url, default_request_timeout_in_seconds=1)}}
    )
    response = httpx.post(
        gateway.base_url + "/images/generations", json={"model": "fal/fal-ai/flux/dev", "prompt": "x"}
    )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"
    [cancel] = api_calls(fal_sim.sim, "PUT")
    assert cancel.path.endswith("/cancel")


def test_upload_bytes_reach_fal_unchanged(fal_gateway, fal_sim):
    frame = image_bytes(40, 40, "JPEG")
    fal_gateway.openai().videos.create(model=I2V, prompt="x", input_reference=("f.jpg", frame, "image/jpeg"))
    sent = submit_of(fal_sim.sim).body["image_url"]
    assert base64.b64decode(sent.partition(",")[2]) == frame
