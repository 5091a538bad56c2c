"""Runware's mapping, without HTTP: every row of the seed page's tables (unified field → task field),
the answers read back, and its errors (`providers/runware/mapping.py`, `answers.py`, `errors.py`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from irisgate.providers.runware.answers import parse_image_results, parse_video_state
from irisgate.providers.runware.errors import runware_error
from irisgate.providers.runware.mapping import build_edit_task, build_image_task, build_video_task
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, UploadedImage
from irisgate.schemas.videos import ImageReference, VideoCreateRequest

MODEL = "runware:100@1"
PNG = UploadedImage(data=b"\x89PNG\r\n\x1a\nrest", media_type="image/png")


def image_task(**fields: Any) -> dict[str, Any]:
    return build_image_task(
        ImageGenerationRequest.model_validate({"model": "x/y", "prompt": "p", **fields}), MODEL
    )


def video_task(**fields: Any) -> dict[str, Any]:
    return build_video_task(
        VideoCreateRequest.model_validate({"model": "x/y", "prompt": "p", **fields}), "klingai:5@3"
    )


def test_the_envelope_is_the_gateway_s() -> None:
    task = image_task()
    assert task["taskType"] == "imageInference" and task["includeCost"] is True and task["model"] == MODEL
    assert uuid.UUID(task["taskUUID"]).version == 4
    assert image_task()["taskUUID"] != task["taskUUID"]
    assert (task["width"], task["height"]) == (1024, 1024)  # the default size
    for reserved in ("taskType", "taskUUID", "includeCost", "deliveryMethod"):
        with pytest.raises(GatewayError) as raised:
            image_task(**{reserved: "mine"})
        assert raised.value.param == reserved


@pytest.mark.parametrize(
    ("unified", "native"),
    [
        ({"prompt": "a fox"}, {"positivePrompt": "a fox"}),
        ({"negative_prompt": "blurry"}, {"negativePrompt": "blurry"}),
        ({"size": "768x512"}, {"width": 768, "height": 512}),
        ({"size": "auto"}, {"width": 1024, "height": 1024}),
        ({"num_inference_steps": 30}, {"steps": 30}),
        ({"seed": 42}, {"seed": 42}),
        ({"n": 3}, {"numberResults": 3}),
        ({"response_format": "url"}, {"outputType": "URL"}),
        ({"response_format": "b64_json"}, {"outputType": "base64Data"}),
        ({"output_format": "png"}, {"outputFormat": "PNG"}),
        ({"output_format": "jpeg"}, {"outputFormat": "JPG"}),
        ({"output_format": "webp"}, {"outputFormat": "WEBP"}),
        ({"CFGScale": 7.5, "scheduler": "Euler"}, {"CFGScale": 7.5, "scheduler": "Euler"}),
        ({"strength": 0.2, "extra_params": {"strength": 0.8}}, {"strength": 0.8}),  # extra_params wins
        ({"seedImage": "https://x/y.png"}, {"seedImage": "https://x/y.png"}),
    ],
)
def test_image_generation_rows(unified: dict[str, Any], native: dict[str, Any]) -> None:
    task = image_task(**unified)
    assert {name: task[name] for name in native} == native


@pytest.mark.parametrize("option", ["quality", "background", "style", "moderation"])
def test_openai_only_options_are_refused_naming_the_field(option: str) -> None:
    with pytest.raises(GatewayError) as raised:
        image_task(**{option: "high"})
    assert (raised.value.status, raised.value.param, raised.value.code) == (
        400,
        option,
        "unsupported_parameter",
    )


def test_streaming_is_unsupported() -> None:
    with pytest.raises(GatewayError) as raised:
        image_task(stream=True)
    assert raised.value.code == "unsupported_operation"


def test_an_edit_sends_the_first_image_as_seed_and_the_mask() -> None:
    request = ImageEditRequest.model_validate({"model": "x/y", "prompt": "autumn"})
    request.images = [PNG, UploadedImage(data=b"\xff\xd8\xffother", media_type="image/jpeg")]
    request.mask = PNG
    task = build_edit_task(request, MODEL)
    assert task["seedImage"] == PNG.data_uri() and task["maskImage"] == PNG.data_uri()
    assert task["positivePrompt"] == "autumn"


@pytest.mark.parametrize(
    ("unified", "native"),
    [
        ({"prompt": "waves"}, {"positivePrompt": "waves"}),
        ({}, {"width": 1920, "height": 1080, "deliveryMethod": "async", "taskType": "videoInference"}),
        ({"size": "1280x720"}, {"width": 1280, "height": 720}),
        ({"seconds": "5"}, {"duration": 5}),
        ({"seconds": "2.5"}, {"duration": 2.5}),
        ({"seed": 7}, {"seed": 7}),
        ({"negative_prompt": "rain"}, {"negativePrompt": "rain"}),
        (
            {"input_reference": ImageReference(uri="https://x/first.png")},
            {"inputs": {"frameImages": [{"image": "https://x/first.png", "frame": "first"}]}},
        ),
        ({"fps": 24}, {"fps": 24}),
    ],
)
def test_video_rows(unified: dict[str, Any], native: dict[str, Any]) -> None:
    task = video_task(**unified)
    assert {name: task[name] for name in native} == native
    assert task["includeCost"] is True


@pytest.mark.parametrize("field", ["video_uri", "audio"])
def test_video_fields_runware_does_not_take_are_refused(field: str) -> None:
    with pytest.raises(GatewayError) as raised:
        video_task(**{field: "https://x/v.mp4" if field == "video_uri" else True})
    assert (raised.value.status, raised.value.param) == (400, field)


def test_image_answers_in_every_form() -> None:
    task = image_task(response_format="b64_json", output_format="webp")
    body = {
        "data": [
            {
                "taskUUID": task["taskUUID"],
                "imageBase64Data": "QUJD",
                "seed": 1,
                "cost": 0.001,
                "imageUUID": "i1",
            },
            {
                "taskUUID": task["taskUUID"],
                "imageDataURI": "data:image/webp;base64,REVG",
                "seed": 2,
                "cost": 0.002,
            },
            {"taskUUID": "another task", "imageURL": "https://x/other.webp"},
        ]
    }
    result = parse_image_results(task, body)
    assert [(i.b64_json, i.seed) for i in result.images] == [("QUJD", 1), ("REVG", 2)]
    assert result.images[0].provider_id == "i1"
    assert (result.cost_usd, result.output_format, result.size) == (0.003, "webp", "1024x1024")
    urls = parse_image_results(image_task(), {"data": [{"imageURL": "https://x/a.jpg"}]})
    assert urls.images[0].url == "https://x/a.jpg" and urls.cost_usd is None and urls.output_format == "jpeg"
    with pytest.raises(GatewayError) as raised:
        parse_image_results(image_task(), {"data": []})
    assert (raised.value.status, raised.value.code) == (502, "upstream_invalid_response")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"data": []}, ("queued", 0, None, None)),
        ({"data": [{"status": "processing", "progress": 40}]}, ("in_progress", 40, None, None)),
        (
            {"data": [{"status": "success", "videoURL": "https://x/v.mp4", "cost": 0.5}]},
            ("completed", 100, "https://x/v.mp4", None),
        ),
        ({"errors": [{"code": "inferenceError", "message": "boom"}]}, ("failed", 0, None, "inferenceError")),
        (
            {"data": [{"status": "error", "error": {"code": "timeoutProvider", "message": "late"}}]},
            ("failed", 0, None, "timeoutProvider"),
        ),
    ],
)
def test_video_states(body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    state = parse_video_state("t1", body, "main")
    assert (state.status, state.progress, state.output_url, state.error_code) == expected
    if state.status == "completed":
        assert state.cost_usd == 0.5


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {"errors": [{"code": "invalidWidth", "message": "bad", "parameter": "width"}]},
            (400, "invalidWidth", "size"),
        ),
        (
            401,
            {"errors": [{"code": "invalidApiKey", "message": "no"}]},
            (502, "upstream_authentication_failed", None),
        ),
        (
            402,
            {"errors": [{"code": "insufficientCredits", "message": "pay"}]},
            (402, "insufficientCredits", None),
        ),
        (
            429,
            {"errors": [{"code": "rateLimitExceeded", "message": "slow"}]},
            (429, "rateLimitExceeded", None),
        ),
        (
            500,
            {"errors": [{"code": "internalServerError", "message": "x"}]},
            (502, "internalServerError", None),
        ),
    ],
)
def test_errors(status: int, body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    error = runware_error(status, body, "main")
    assert (error.status, error.code, error.param) == expected
    assert error.key_rejected == (status == 401)
    assert error.transient == (status in (429, 500))
