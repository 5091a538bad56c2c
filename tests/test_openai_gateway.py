"""`openai/*` models through a real gateway with the official `openai` SDK, against the OpenAI Images
simulator: the wire fields the simulator recorded for every mapping row, answers with usage and
cost, errors passed through, checks before any call, and what the provider does not offer."""

from __future__ import annotations

import hashlib
import signal
import subprocess
from pathlib import Path

import httpx
import openai
import pytest
from openai import OpenAI

from fixtures_openai_sim import OPENAI_TEST_KEY, openai_provider
from irisgate.providers.catalog import PROVIDERS
from irisgate.simulators.openai import OpenAIFault

from media_helpers import decode_b64_image, image_bytes
from serve_helpers import IRISGATE, free_port, wait_for_health

GPT = "openai/gpt-image-1"


def sent(openai_sim) -> list:
    """The API requests the simulator received (image downloads left out)."""
    return [r for r in openai_sim.sim.requests if r.path.startswith("/v1/")]


def the_request(openai_sim):
    (request,) = sent(openai_sim)
    return request


def test_generation_forwards_openai_fields_and_keeps_usage_and_cost(openai_gateway, openai_sim):
    raw = openai_gateway.openai().images.with_raw_response.generate(
        model=GPT,
        prompt="a lighthouse at dusk",
        n=2,
        size="1536x1024",
        quality="high",
        background="opaque",
        moderation="low",
        output_format="webp",
        output_compression=80,
        user="user-7",
        safety_identifier="hash-7",
    )
    result = raw.parse()
    request = the_request(openai_sim)
    assert request.path == "/v1/images/generations"
    assert request.headers["authorization"] == f"Bearer {OPENAI_TEST_KEY}"
    assert request.headers["content-type"] == "application/json"
    assert request.body == {
        "model": "gpt-image-1",
        "prompt": "a lighthouse at dusk",
        "n": 2,
        "quality": "high",
        "background": "opaque",
        "moderation": "low",
        "output_compression": 80,
        "user": "user-7",
        "safety_identifier": "hash-7",
        "size": "1536x1024",
        "output_format": "webp",
    }
    assert raw.headers["x-irisgate-provider"] == "openai" and raw.headers["x-irisgate-model"] == "gpt-image-1"
    images = [decode_b64_image(item.b64_json) for item in result.data]
    assert [(i.format, i.size) for i in images] == [("WEBP", (1536, 1024))] * 2
    assert (result.size, result.output_format, result.quality, result.background) == (
        "1536x1024",
        "webp",
        "high",
        "opaque",
    )
    usage = result.usage
    assert usage.output_tokens == 2 * 6208 and usage.input_tokens_details.text_tokens > 0
    text, out = usage.input_tokens_details.text_tokens, usage.output_tokens
    assert usage.model_extra["cost"] == pytest.approx((text * 5 + out * 40) / 1e6)


@pytest.mark.parametrize(
    ("fields", "wire"),
    [
        ({"size": "auto"}, {"size": "auto"}),
        ({"size": " 1024X1536 "}, {"size": "1024x1536"}),
        ({"output_format": "jpg"}, {"output_format": "jpeg"}),
        ({"output_format": "png"}, {"output_format": "png"}),
        ({"response_format": "b64_json"}, {}),
        ({"quality": "auto"}, {"quality": "auto"}),
        ({"background": "transparent"}, {"background": "transparent"}),
        ({"partial_images": 0}, {"partial_images": 0}),
        ({"extra_params": {"moderation": "auto"}}, {"moderation": "auto"}),
    ],
)
def test_each_mapping_row_reaches_the_wire(openai_gateway, openai_sim, fields, wire):
    answer = httpx.post(
        openai_gateway.base_url + "/images/generations",
        json={"model": GPT, "prompt": "a red fox", **fields},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    assert the_request(openai_sim).body == {"model": "gpt-image-1", "prompt": "a red fox", **wire}


def test_dall_e_3_style_quality_and_url_answers_pass_through(openai_gateway, openai_sim):
    result = openai_gateway.openai().images.generate(
        model="openai/dall-e-3", prompt="a fox", size="1792x1024", quality="hd", style="natural"
    )
    assert the_request(openai_sim).body == {
        "model": "dall-e-3",
        "prompt": "a fox",
        "quality": "hd",
        "style": "natural",
        "size": "1792x1024",
    }
    (item,) = result.data
    assert item.url.startswith(openai_sim.url + "/private/org-sim/") and item.revised_prompt
    assert httpx.get(item.url).headers["content-type"] == "image/png"
    assert result.usage.model_extra == {"cost": 0.12}


def test_dall_e_2_response_format_is_forwarded(openai_gateway, openai_sim):
    result = openai_gateway.openai().images.generate(
        model="openai/dall-e-2", prompt="a fox", size="256x256", response_format="b64_json"
    )
    assert the_request(openai_sim).body["response_format"] == "b64_json"
    assert decode_b64_image(result.data[0].b64_json).size == (256, 256)
    assert result.usage.model_extra == {"cost": 0.016}


def test_edit_with_several_images_and_a_mask_goes_as_multipart(openai_gateway, openai_sim):
    first = image_bytes(128, 128, "PNG")
    second = image_bytes(128, 128, "JPEG", color=(0, 90, 200))
    mask = image_bytes(128, 128, "PNG", color=(255, 255, 255))
    result = openai_gateway.openai().images.edit(
        model=GPT,
        image=[("room.png", first, "image/png"), ("lamp.jpg", second, "image/jpeg")],
        mask=("mask.png", mask, "image/png"),
        prompt="put the lamp in the room",
        size="1024x1024",
        quality="medium",
        input_fidelity="high",
        output_format="png",
        n=1,
    )
    request = the_request(openai_sim)
    assert request.path == "/v1/images/edits"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert request.headers["authorization"] == f"Bearer {OPENAI_TEST_KEY}"
    assert request.body["fields"] == {
        "model": "gpt-image-1",
        "prompt": "put the lamp in the room",
        "n": "1",
        "quality": "medium",
        "input_fidelity": "high",
        "size": "1024x1024",
        "output_format": "png",
    }
    assert [(f["name"], f["filename"], f["content_type"], f["sha256"]) for f in request.body["files"]] == [
        ("image[]", "room.png", "image/png", hashlib.sha256(first).hexdigest()),
        ("image[]", "lamp.jpg", "image/jpeg", hashlib.sha256(second).hexdigest()),
        ("mask", "mask.png", "image/png", hashlib.sha256(mask).hexdigest()),
    ]
    image = decode_b64_image(result.data[0].b64_json)
    assert (image.format, image.size) == ("PNG", (1024, 1024))
    assert result.usage.input_tokens_details.image_tokens > 0 and result.usage.model_extra["cost"] > 0


def test_edit_with_one_image_sends_image(openai_gateway, openai_sim):
    source = image_bytes(64, 64, "PNG")
    openai_gateway.openai().images.edit(
        model="openai/dall-e-2", image=("sq.png", source, "image/png"), prompt="x", size="512x512"
    )
    request = the_request(openai_sim)
    assert [(f["name"], f["sha256"]) for f in request.body["files"]] == [
        ("image", hashlib.sha256(source).hexdigest())
    ]
    assert request.body["fields"]["size"] == "512x512"


def refused_before_sending(gateway, openai_sim, call, **kwargs) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as raised:
        call(**kwargs)
    assert sent(openai_sim) == []
    return raised.value


@pytest.mark.parametrize(
    ("model", "fields", "param", "says"),
    [
        (GPT, {"size": "512x512"}, "size", "1024x1024, 1536x1024, 1024x1536, auto"),
        ("openai/dall-e-3", {"size": "1024x1536"}, "size", "1024x1024, 1792x1024, 1024x1792"),
        ("openai/dall-e-2", {"size": "1792x1024"}, "size", "256x256, 512x512, 1024x1024"),
        ("openai/gpt-image-2", {"size": "1000x1000"}, "size", "multiples of 16"),
        (GPT, {"size": "big"}, "size", "WIDTHxHEIGHT"),
        (GPT, {"n": 11}, "n", "n from 1 to 10"),
        ("openai/dall-e-3", {"n": 2}, "n", "only n=1"),
        (GPT, {"quality": "hd"}, "quality", "low, medium, high, auto"),
        (GPT, {"response_format": "url"}, "response_format", "b64_json only"),
        (GPT, {"style": "vivid"}, "style", "does not take"),
        ("openai/dall-e-3", {"output_format": "png"}, "output_format", "GPT image models"),
        (GPT, {"extra_body": {"negative_prompt": "blur"}}, "negative_prompt", "irisgate field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_before_any_call(
    openai_gateway, openai_sim, model, fields, param, says
):
    error = refused_before_sending(
        openai_gateway, openai_sim, openai_gateway.openai().images.generate, model=model, prompt="x", **fields
    )
    assert error.body["param"] == param and says in error.message


def test_bad_edits_are_refused_before_any_call(openai_gateway, openai_sim):
    edit = openai_gateway.openai().images.edit
    png = ("a.png", image_bytes(64, 64), "image/png")
    assert (
        refused_before_sending(
            openai_gateway, openai_sim, edit, model="openai/dall-e-3", image=png, prompt="x"
        ).body["param"]
        == "model"
    )
    wide = ("w.png", image_bytes(64, 32), "image/png")
    assert (
        refused_before_sending(
            openai_gateway, openai_sim, edit, model="openai/dall-e-2", image=wide, prompt="x"
        ).body["param"]
        == "image"
    )
    jpeg_mask = ("m.jpg", image_bytes(64, 64, "JPEG"), "image/jpeg")
    error = refused_before_sending(
        openai_gateway, openai_sim, edit, model=GPT, image=png, mask=jpeg_mask, prompt="x"
    )
    assert error.body["param"] == "mask"


def test_openais_own_400s_come_back_with_their_param(openai_gateway, openai_sim):
    client = openai_gateway.openai()
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model=GPT, prompt="x", extra_body={"sharpness": 3})
    assert (raised.value.code, raised.value.body["param"]) == ("unknown_parameter", "sharpness")
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model=GPT, prompt="a fox [[sim:moderation]]")
    assert raised.value.code == "moderation_blocked" and raised.value.type == "image_generation_user_error"
    assert len(sent(openai_sim)) == 2


def test_a_refused_key_is_a_502(make_gateway, openai_sim):
    gateway = make_gateway(
        {"providers": {"openai": openai_provider(openai_sim.api_url, key="sk-not-this-one")}}
    )
    with pytest.raises(openai.APIStatusError) as raised:
        gateway.openai().images.generate(model=GPT, prompt="x")
    # the only key was refused: irisgate says so (upstream_credentials_exhausted) with OpenAI's words
    assert raised.value.status_code == 502 and raised.value.code == "upstream_credentials_exhausted"
    assert (
        "rejected the provider key 'main'" in raised.value.message and "invalid" not in raised.value.message
    )
    assert "-one" not in raised.value.message and "(redacted)" in raised.value.message


def test_rate_limits_keep_retry_after_and_are_retried(make_gateway, openai_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_OPENAI_KEY", openai_sim.api_key)
    provider = openai_provider(openai_sim.api_url)
    provider["network_config"].update(max_retries=0)
    gateway = make_gateway({"providers": {"openai": provider}})
    openai_sim.sim.settings.retry_after_seconds = 7
    with pytest.raises(openai.RateLimitError) as raised:
        gateway.openai().images.generate(model=GPT, prompt="x [[sim:429]]")
    assert raised.value.response.headers["retry-after"] == "7" and raised.value.code == "rate_limit_exceeded"
    with pytest.raises(openai.RateLimitError) as raised:
        gateway.openai().images.generate(model=GPT, prompt="x [[sim:quota]]")
    assert raised.value.code == "insufficient_quota"


def test_a_429_is_waited_out_and_sent_again(openai_gateway, openai_sim):
    openai_sim.sim.settings.retry_after_seconds = 0.05
    openai_sim.sim.add_fault(OpenAIFault(kind="http_error", status=429, times=1))
    result = openai_gateway.openai().images.generate(model=GPT, prompt="x")
    assert len(result.data) == 1 and len(sent(openai_sim)) == 2


def test_server_errors_are_502_and_not_sent_twice(openai_gateway, openai_sim):
    with pytest.raises(openai.InternalServerError) as raised:
        openai_gateway.openai().images.generate(model=GPT, prompt="x [[sim:500]]")
    assert raised.value.status_code == 502 and raised.value.response.headers["x-should-retry"] == "false"
    assert len(sent(openai_sim)) == 1


def test_what_openai_images_does_not_offer_is_unsupported_operation(openai_gateway, openai_sim):
    client = openai_gateway.openai()
    with pytest.raises(openai.BadRequestError) as raised:
        client.videos.create(model="openai/sora-2", prompt="waves", seconds="4", size="1280x720")
    assert raised.value.code == "unsupported_operation"
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.generate(model=GPT, prompt="x", stream=True)
    assert raised.value.code == "unsupported_operation"
    with pytest.raises(openai.BadRequestError) as raised:
        client.images.create_variation(model="openai/dall-e-2", image=("a.png", image_bytes(), "image/png"))
    assert raised.value.code == "unsupported_operation"
    assert sent(openai_sim) == []


def test_the_dashboard_and_playground_offer_openai(openai_gateway):
    token = (openai_gateway.app_dir / "admin_token").read_text().strip()
    login = httpx.get(openai_gateway.url + "/login", params={"token": token})
    cookie = login.headers["set-cookie"].split(";")[0]
    providers = httpx.get(openai_gateway.url + "/providers", headers={"cookie": cookie})
    assert (
        providers.status_code == 200
        and 'data-provider="openai"' in providers.text
        and "OpenAI" in providers.text
    )
    playground = httpx.get(openai_gateway.url + "/playground", headers={"cookie": cookie})
    assert "openai/gpt-image-1" in playground.text and "openai/dall-e-3" in playground.text


def test_readme_tour_for_openai(tmp_path):
    """`irisgate simulate` serves the OpenAI simulator and examples/config.simulator.yaml points irisgate
    at it: the README's tour, for OpenAI (the other simulators on any free port)."""
    openai_port, gateway_port = free_port(), free_port()
    example = (Path(__file__).parent.parent / "examples" / "config.simulator.yaml").read_text()
    assert "http://127.0.0.1:8705/v1" in example
    config = tmp_path / "config.yaml"
    config.write_text(example.replace("127.0.0.1:8705", f"127.0.0.1:{openai_port}"))
    others = [arg for name in PROVIDERS if name != "openai" for arg in ("--port", f"{name}=0")]
    simulate = [*IRISGATE, "simulate", "--port", f"openai={openai_port}", *others]
    serve = [
        *IRISGATE,
        "serve",
        "-c",
        str(config),
        "--app-dir",
        str(tmp_path / "data"),
        "--port",
        str(gateway_port),
    ]
    simulator = subprocess.Popen(simulate, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gateway = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{gateway_port}"
        wait_for_health(url, gateway)
        wait_for_health(f"http://127.0.0.1:{openai_port}/__fake", simulator)  # any answer: it is up
        client = OpenAI(api_key="unused", base_url=url + "/v1", max_retries=0)
        result = client.images.generate(
            model=GPT, prompt="A serene mountain landscape at sunset", size="1024x1024"
        )
        assert decode_b64_image(result.data[0].b64_json).size == (1024, 1024)
        assert result.usage.total_tokens > 0 and result.usage.model_extra["cost"] > 0
        edited = client.images.edit(
            model=GPT, image=("image.png", image_bytes(64, 64), "image/png"), prompt="Replace the sky"
        )
        assert edited.data[0].b64_json
    finally:
        for process in (gateway, simulator):
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
