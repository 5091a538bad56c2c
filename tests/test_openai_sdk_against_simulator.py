"""The official `openai` SDK directly against the OpenAI Images simulator: answers, wire shapes,
errors and knobs, so that what irisgate is tested against is what OpenAI's own client accepts."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import httpx
import openai
import pytest
from openai import OpenAI

from irisgate.simulators.openai import OpenAIFault

from media_helpers import decode_b64_image, decode_image, image_bytes


@pytest.fixture
def client(openai_sim) -> Iterator[OpenAI]:
    with OpenAI(api_key=openai_sim.api_key, base_url=openai_sim.api_url, max_retries=0) as c:
        yield c


def posts(sim_handle) -> list:
    return [r for r in sim_handle.sim.requests if r.method == "POST"]


@pytest.mark.parametrize(("fmt", "pillow"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_gpt_image_generation_answers_real_images_of_the_size_and_format(client, openai_sim, fmt, pillow):
    result = client.images.generate(
        model="gpt-image-1", prompt="a lighthouse", size="1536x1024", output_format=fmt, n=2, quality="low"
    )
    assert len(result.data) == 2
    for item in result.data:
        assert item.url is None
        image = decode_b64_image(item.b64_json)
        assert (image.format, image.size) == (pillow, (1536, 1024))
    assert (result.size, result.output_format, result.quality, result.background) == (
        "1536x1024",
        fmt,
        "low",
        "opaque",
    )
    assert result.usage.output_tokens == 2 * 400 and result.usage.input_tokens_details.image_tokens == 0
    assert result.usage.total_tokens == result.usage.input_tokens + result.usage.output_tokens
    (request,) = posts(openai_sim)
    assert request.path == "/v1/images/generations"
    assert request.headers["authorization"] == f"Bearer {openai_sim.api_key}"
    assert request.body == {
        "prompt": "a lighthouse",
        "model": "gpt-image-1",
        "n": 2,
        "output_format": fmt,
        "quality": "low",
        "size": "1536x1024",
    }


def test_transparent_backgrounds_have_alpha(client):
    result = client.images.generate(model="gpt-image-1", prompt="a logo", background="transparent")
    image = decode_b64_image(result.data[0].b64_json)
    assert image.mode == "RGBA" and result.background == "transparent" and image.size == (1024, 1024)


def test_gpt_image_2_draws_flexible_sizes(client):
    result = client.images.generate(model="gpt-image-2", prompt="a banner", size="1536x864")
    assert decode_b64_image(result.data[0].b64_json).size == (1536, 864)


def test_dall_e_3_answers_a_url_to_a_real_png_and_a_revised_prompt(client, openai_sim):
    result = client.images.generate(
        model="dall-e-3", prompt="a fox", size="1024x1792", quality="hd", style="vivid"
    )
    (item,) = result.data
    assert item.revised_prompt and result.usage is None
    assert item.url.startswith(openai_sim.url + "/private/org-sim/img-") and "sig=" in item.url
    download = httpx.get(item.url)
    assert download.headers["content-type"] == "image/png"
    assert decode_image(download.content).size == (1024, 1792)
    openai_sim.sim.settings.urls_expired = True
    assert httpx.get(item.url).status_code == 403


def test_dall_e_2_answers_base64_when_asked(client):
    result = client.images.generate(
        model="dall-e-2", prompt="a fox", size="256x256", response_format="b64_json", n=3
    )
    assert [decode_b64_image(item.b64_json).size for item in result.data] == [(256, 256)] * 3


def test_edit_with_several_images_and_a_mask_is_multipart(client, openai_sim):
    first, second = image_bytes(96, 96, "PNG"), image_bytes(96, 96, "JPEG", color=(0, 0, 255))
    mask = image_bytes(96, 96, "PNG", color=(255, 255, 255))
    result = client.images.edit(
        model="gpt-image-1",
        image=[("a.png", first, "image/png"), ("b.jpg", second, "image/jpeg")],
        mask=("mask.png", mask, "image/png"),
        prompt="a hat on the cat",
        input_fidelity="high",
        size="1024x1536",
        n=1,
    )
    assert decode_b64_image(result.data[0].b64_json).size == (1024, 1536)
    assert result.usage.input_tokens_details.image_tokens > 0
    (request,) = posts(openai_sim)
    assert request.path == "/v1/images/edits"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.body["fields"] == {
        "prompt": "a hat on the cat",
        "input_fidelity": "high",
        "model": "gpt-image-1",
        "n": "1",
        "size": "1024x1536",
    }
    assert [(f["name"], f["filename"], f["content_type"], f["sha256"]) for f in request.body["files"]] == [
        ("image[]", "a.png", "image/png", hashlib.sha256(first).hexdigest()),
        ("image[]", "b.jpg", "image/jpeg", hashlib.sha256(second).hexdigest()),
        ("mask", "mask.png", "image/png", hashlib.sha256(mask).hexdigest()),
    ]


def test_edit_with_one_image_sends_image(client, openai_sim):
    client.images.edit(
        model="dall-e-2", image=("sq.png", image_bytes(64, 64), "image/png"), prompt="x", size="256x256"
    )
    assert [f["name"] for f in posts(openai_sim)[0].body["files"]] == ["image"]


def bad_request(call, *args, **kwargs) -> dict:
    with pytest.raises(openai.BadRequestError) as raised:
        call(*args, **kwargs)
    return raised.value.body


def test_validation_errors_name_the_param(client):
    body = bad_request(client.images.generate, model="gpt-image-1", prompt="x", size="512x512")
    assert body == {
        "message": "Invalid value: '512x512'. Supported values are: '1024x1024', '1536x1024', '1024x1536', "
        "and 'auto'.",
        "type": "invalid_request_error",
        "param": "size",
        "code": "invalid_value",
    }
    assert bad_request(
        client.images.generate, model="gpt-image-1", prompt="x", response_format="b64_json"
    ) == {
        "message": "Unknown parameter: 'response_format'.",
        "type": "invalid_request_error",
        "param": "response_format",
        "code": "unknown_parameter",
    }
    assert (
        bad_request(client.images.generate, model="gpt-image-1", prompt="x", extra_body={"seed": 1})["param"]
        == "seed"
    )
    assert (
        bad_request(client.images.generate, model="gpt-image-1", prompt="x", n=11)["code"]
        == "integer_above_max_value"
    )
    assert bad_request(client.images.generate, model="dall-e-3", prompt="x", n=2)["param"] == "n"
    assert (
        bad_request(client.images.generate, model="dall-e-2", prompt="x", style="vivid")["param"] == "style"
    )
    assert bad_request(client.images.generate, model="dall-e-3", prompt="x", style="anime")["message"] == (
        "Invalid value: 'anime'. Supported values are: 'vivid' and 'natural'."
    )
    assert (
        bad_request(client.images.generate, model="dall-e-3", prompt="x", background="opaque")["param"]
        == "background"
    )
    assert (
        bad_request(client.images.generate, model="gpt-image-2", prompt="x", size="1000x1000")["param"]
        == "size"
    )
    png = ("a.png", image_bytes(64, 64), "image/png")
    assert bad_request(client.images.edit, model="dall-e-3", image=png, prompt="x")["param"] == "model"
    small_mask = ("m.png", image_bytes(32, 32), "image/png")
    assert (
        bad_request(client.images.edit, model="gpt-image-1", image=png, mask=small_mask, prompt="x")["param"]
        == "mask"
    )
    text = ("a.txt", b"not an image", "text/plain")
    assert (
        bad_request(client.images.edit, model="gpt-image-1", image=text, prompt="x")["code"]
        == "invalid_image_format"
    )


def test_a_wrong_or_missing_key_is_a_401(openai_sim):
    wrong = OpenAI(api_key="sk-wrong-key-123", base_url=openai_sim.api_url, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as raised:
        wrong.images.generate(model="gpt-image-1", prompt="x")
    assert raised.value.code == "invalid_api_key" and "sk-" in raised.value.message
    answer = httpx.post(openai_sim.api_url + "/images/generations", json={"prompt": "x"})
    assert answer.status_code == 401 and "didn't provide an API key" in answer.json()["error"]["message"]


def test_429_with_retry_after_and_the_sdk_retries(openai_sim):
    openai_sim.sim.settings.retry_after_seconds = 0.05
    openai_sim.sim.add_fault(OpenAIFault(kind="http_error", status=429, times=1))
    retrying = OpenAI(api_key=openai_sim.api_key, base_url=openai_sim.api_url, max_retries=1)
    result = retrying.images.generate(model="gpt-image-1", prompt="x")
    assert len(result.data) == 1 and len(posts(openai_sim)) == 2
    answer = httpx.post(
        openai_sim.api_url + "/images/generations",
        json={"model": "gpt-image-1", "prompt": "x [[sim:429]]"},
        headers={"Authorization": f"Bearer {openai_sim.api_key}"},
    )
    assert answer.status_code == 429 and answer.headers["retry-after"] == "0.05"
    assert answer.json()["error"]["code"] == "rate_limit_exceeded"


def test_images_per_minute_limit(client, openai_sim):
    openai_sim.sim.settings.images_per_minute = 3
    client.images.generate(model="gpt-image-1", prompt="x", n=2)
    with pytest.raises(openai.RateLimitError) as raised:
        client.images.generate(model="gpt-image-1", prompt="x", n=2)
    assert raised.value.code == "rate_limit_exceeded"
    assert int(raised.value.response.headers["retry-after"]) >= 1
    assert raised.value.response.headers["x-ratelimit-remaining-images"] == "1"
    client.images.generate(model="gpt-image-1", prompt="x", n=1)


def test_quota_moderation_and_server_error_faults(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.images.generate(model="gpt-image-1", prompt="x [[sim:quota]]")
    assert raised.value.code == "insufficient_quota"
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model="gpt-image-1", prompt="x [[sim:moderation]]")
    assert raised.value.code == "moderation_blocked" and raised.value.type == "image_generation_user_error"
    with pytest.raises(openai.InternalServerError):
        client.images.generate(model="gpt-image-1", prompt="x [[sim:500]]")
    with pytest.raises(openai.APIConnectionError):
        client.images.generate(model="gpt-image-1", prompt="x [[sim:reset]]")


def test_streaming_events(client):
    events = list(client.images.generate(model="gpt-image-1", prompt="x", stream=True, partial_images=2))
    assert [e.type for e in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    assert events[-1].usage.output_tokens > 0 and decode_b64_image(events[-1].b64_json).size == (1024, 1024)
    edit_events = list(
        client.images.edit(
            model="gpt-image-1", image=("a.png", image_bytes(), "image/png"), prompt="x", stream=True
        )
    )
    assert [e.type for e in edit_events] == ["image_edit.completed"]


def test_unknown_paths_and_methods(openai_sim):
    headers = {"Authorization": f"Bearer {openai_sim.api_key}"}
    missing = httpx.post(openai_sim.api_url + "/images/nope", headers=headers)
    assert (
        missing.status_code == 404
        and missing.json()["error"]["message"] == "Invalid URL (POST /v1/images/nope)"
    )
    wrong = httpx.get(openai_sim.api_url + "/images/generations", headers=headers)
    assert wrong.status_code == 405


def test_control_plane_over_http(client, openai_sim):
    client.images.generate(model="gpt-image-1", prompt="x")
    recorded = httpx.get(openai_sim.url + "/__fake/requests").json()
    assert recorded[0]["path"] == "/v1/images/generations" and recorded[0]["body"]["prompt"] == "x"
    assert httpx.get(openai_sim.url + "/__fake/tasks").json()[0]["model"] == "gpt-image-1"
    assert httpx.patch(openai_sim.url + "/__fake/settings", json={"images_per_minute": 0}).status_code == 400
    fault = httpx.post(
        openai_sim.url + "/__fake/faults", json={"kind": "http_error", "status": 503, "times": 1}
    )
    assert fault.status_code == 201
    with pytest.raises(openai.InternalServerError) as raised:
        client.images.generate(model="gpt-image-1", prompt="x")
    assert raised.value.status_code == 503
    assert base64.b64decode(client.images.generate(model="gpt-image-1", prompt="x").data[0].b64_json)
