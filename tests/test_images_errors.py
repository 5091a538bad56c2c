"""Bad input: a 400 naming the field. Upstream failures: a sensible status with Runware's message."""

from __future__ import annotations

import httpx
import openai
import pytest

from irisgate.simulators.runware import Fault

from fixtures_gateway import RUNWARE_MODEL, runware_provider
from media_helpers import image_bytes


def post_json(gateway, body, path="/images/generations") -> httpx.Response:
    return httpx.post(gateway.base_url + path, json=body)


def assert_error(response: httpx.Response, status: int, param: str | None, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["param"] == param
    if code is not None:
        assert error["code"] == code
    assert "Traceback" not in response.text
    return error


JSON = {"content-type": "application/json"}


def test_malformed_json(gateway, runware_sim):
    response = httpx.post(
        gateway.base_url + "/images/generations",
        content=b'{"model": "runware/x:1@1", "prompt": ',
        headers={"content-type": "application/json"},
    )
    assert_error(response, 400, None, "invalid_json")
    assert_error(
        httpx.post(gateway.base_url + "/images/generations", content=b"[1, 2]", headers=JSON),
        400,
        None,
        "invalid_json",
    )
    assert_error(  # JSON only as JSON: what a web page could post (text/plain) is refused
        httpx.post(gateway.base_url + "/images/generations", content=b"[1, 2]"),
        415,
        "Content-Type",
        "unsupported_media_type",
    )


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": RUNWARE_MODEL}, "prompt"),
        ({"prompt": "a cat"}, "model"),
        ({"model": RUNWARE_MODEL, "prompt": ""}, "prompt"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "size": "big"}, "size"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "size": "1024x"}, "size"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "size": "0x512"}, "size"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "n": 0}, "n"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "n": 500}, "n"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "n": "two"}, "n"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "response_format": "png"}, "response_format"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "output_format": "gif"}, "output_format"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "num_inference_steps": 1000}, "num_inference_steps"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "seed": -1}, "seed"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "quality": "hd"}, "quality"),
        ({"model": RUNWARE_MODEL, "prompt": "a cat", "extra_params": {"taskUUID": "x"}}, "taskUUID"),
        ({"model": "runware:100@1", "prompt": "a cat"}, "model"),
        ({"model": RUNWARE_MODEL, "prompt": 12}, "prompt"),
    ],
)
def test_bad_generation_input_names_the_field(gateway, runware_sim, body, param):
    assert_error(post_json(gateway, body), 400, param)
    assert runware_sim.sim.requests == []


def test_unknown_provider_and_unsupported_operations(gateway, runware_sim):
    error = assert_error(
        post_json(gateway, {"model": "midjourney/v7", "prompt": "x"}), 400, "model", "unknown_provider"
    )
    assert "runware" in error["message"]
    assert_error(
        post_json(gateway, {"model": RUNWARE_MODEL, "prompt": "x", "stream": True}),
        400,
        None,
        "unsupported_operation",
    )
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().images.create_variation(
            image=("a.png", image_bytes(), "image/png"), model=RUNWARE_MODEL
        )
    assert raised.value.body["code"] == "unsupported_operation"
    assert runware_sim.sim.requests == []


def test_bad_edit_uploads(gateway, runware_sim):
    url = gateway.base_url + "/images/edits"
    fields = {"model": RUNWARE_MODEL, "prompt": "edit"}
    not_image = httpx.post(
        url, data=fields, files={"image": ("notes.png", b"hello, not an image", "image/png")}
    )
    assert_error(not_image, 400, "image", "invalid_image_file")
    bad_mask = httpx.post(
        url, data=fields, files={"image": ("a.png", image_bytes()), "mask": ("m.png", b"GIF89a...")}
    )
    assert_error(bad_mask, 400, "mask", "invalid_image_file")
    no_image = httpx.post(url, data=fields, files={"mask": ("m.png", image_bytes())})
    assert_error(no_image, 400, "image")
    json_body = httpx.post(url, json=fields)
    assert json_body.status_code == 415
    bad_size = httpx.post(url, data={**fields, "size": "huge"}, files={"image": ("a.png", image_bytes())})
    assert_error(bad_size, 400, "size")
    assert runware_sim.sim.requests == []


def test_unknown_routes_and_methods_are_json(gateway):
    assert_error(httpx.get(gateway.url + "/v1/nope"), 404, None, "not_found")
    response = httpx.get(gateway.base_url + "/images/generations")
    assert_error(response, 405, None, "method_not_allowed")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/images/generations", "POST"),
        ("POST", "/health", "GET, HEAD"),
        ("PUT", "/v1/videos", "GET, HEAD, POST"),  # two routes, one path: both are named
        ("POST", "/v1/videos/video_x", "DELETE, GET, HEAD"),
        ("DELETE", "/api/providers", "GET, HEAD, POST"),
        ("PATCH", "/api/virtual-keys/abc", "DELETE, GET, HEAD, PUT"),
        ("PUT", "/login", "GET, HEAD, POST"),
        ("GET", "/logout", "POST"),
        ("POST", "/static/app.js", "GET, HEAD"),  # the static files' own 405
    ],
)
def test_405_names_every_allowed_method(gateway, method, path, allow):
    response = httpx.request(method, gateway.url + path)
    error = assert_error(response, 405, None)
    assert response.headers["allow"] == allow
    assert method in error["message"]


def test_upstream_validation_error_keeps_message_and_parameter(gateway, runware_sim):
    with pytest.raises(openai.BadRequestError) as raised:
        gateway.openai().images.generate(model=RUNWARE_MODEL, prompt="a cat", size="100x100")
    error = raised.value.body
    assert "(parameter: width)" in error["message"]
    assert error["code"] == "invalidWidth"
    assert error["param"] == "size"


def test_upstream_bad_key_is_502_without_the_key(make_gateway, runware_sim):
    gateway = make_gateway(
        {"providers": {"runware": runware_provider(runware_sim.api_url, key="rw-wrong-secret-123456")}}
    )
    response = post_json(gateway, {"model": RUNWARE_MODEL, "prompt": "a cat"})
    error = assert_error(response, 502, "model", "upstream_credentials_exhausted")
    assert "Invalid API key" in error["message"]
    assert "'main'" in error["message"]
    assert "rw-wrong-secret-123456" not in response.text
    assert response.headers["x-should-retry"] == "false"


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        (Fault(kind="http_error", status=429), 429, "rateLimitExceeded"),
        (Fault(kind="http_error", status=500), 502, None),
        (Fault(kind="http_error", status=503), 503, None),
        (Fault(kind="http_error", status=402), 402, "insufficientCredits"),
        (Fault(kind="task_error"), 502, "inferenceError"),
        (Fault(kind="moderation"), 400, "contentPolicyViolation"),
    ],
)
def test_upstream_failures_map_to_statuses(gateway, runware_sim, fault, status, code):
    runware_sim.sim.add_fault(fault)
    response = post_json(gateway, {"model": RUNWARE_MODEL, "prompt": "a cat", "size": "256x256"})
    error = assert_error(response, status, None, code)
    assert error["message"]
    if status == 429:
        assert int(response.headers["retry-after"]) >= 1


def test_upstream_unreachable_is_502(make_gateway, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", "whatever")
    gateway = make_gateway({"providers": {"runware": runware_provider("http://127.0.0.1:9/v1")}})
    assert_error(
        post_json(gateway, {"model": RUNWARE_MODEL, "prompt": "a cat"}), 502, None, "upstream_unreachable"
    )
