"""Runway's mapping, without HTTP: every row of the seed page's table (unified field → endpoint and
body field), the per-model checks, task objects read back, and its errors (`providers/runway/`)."""

from __future__ import annotations

from typing import Any

import pytest

from irisgate.providers.runway.answers import parse_task
from irisgate.providers.runway.errors import runway_error
from irisgate.providers.runway.mapping import RunwayCall, build_video_call
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import UploadedImage
from irisgate.schemas.videos import ImageReference, VideoCreateRequest

IMAGE = ImageReference(uri="https://x/first.png")


def call(model: str = "gen4.5", **fields: Any) -> RunwayCall:
    return build_video_call(
        VideoCreateRequest.model_validate({"model": "runway/x", "prompt": "p", **fields}), model
    )


def refused(model: str = "gen4.5", **fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        call(model, **fields)
    assert raised.value.status == 400
    return raised.value


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({}, "/v1/text_to_video"),
        ({"input_reference": IMAGE}, "/v1/image_to_video"),
        ({"video_uri": "https://x/v.mp4"}, "/v1/video_to_video"),
    ],
)
def test_the_endpoint_follows_the_inputs(fields: dict[str, Any], path: str) -> None:
    assert call("some_future_model", **fields).path == path  # a model irisgate does not know: unchecked


@pytest.mark.parametrize(
    ("model", "unified", "native"),
    [
        ("gen4.5", {"prompt": "waves"}, {"promptText": "waves", "model": "gen4.5"}),
        ("gen4.5", {}, {"ratio": "1280:720", "duration": 2}),  # the defaults
        ("gen4.5", {"size": "720x1280"}, {"ratio": "720:1280"}),
        ("gen4.5", {"seconds": "7"}, {"duration": 7}),
        ("gen3a_turbo", {"input_reference": IMAGE}, {"duration": 5, "ratio": "1280:768"}),  # its shortest
        ("gen4_turbo", {"input_reference": IMAGE}, {"promptImage": "https://x/first.png"}),
        ("gen4.5", {"seed": 9}, {"seed": 9}),
        ("veo3.1", {"audio": True, "seconds": "8"}, {"audio": True}),
        ("veo3.1", {"negative_prompt": "fog", "seconds": "8"}, {"negativePrompt": "fog"}),
        ("gen4_aleph", {"video_uri": "https://x/v.mp4"}, {"videoUri": "https://x/v.mp4"}),
        (
            "gen4.5",
            {"content_moderation": {"publicFigureThreshold": "low"}},
            {"contentModeration": {"publicFigureThreshold": "low"}},
        ),
        (
            "gen4.5",
            {"reference_images": [{"uri": "https://x/r.png"}]},
            {"referenceImages": [{"uri": "https://x/r.png"}]},
        ),
        ("gen4.5", {"references": [{"type": "image"}]}, {"references": [{"type": "image"}]}),
        ("gen4.5", {"someNativeField": 1}, {"someNativeField": 1}),
    ],
)
def test_rows(model: str, unified: dict[str, Any], native: dict[str, Any]) -> None:
    body = call(model, **unified).body
    assert {name: body[name] for name in native} == native


def test_what_the_call_records_for_the_job() -> None:
    made = call("gen4.5", size="720x1280", seconds="4")
    assert (made.seconds, made.size) == ("4", "720x1280")
    aleph = call("gen4_aleph", video_uri="https://x/v.mp4")
    assert (
        (aleph.seconds, aleph.size) == (None, None)
        and "duration" not in aleph.body
        and "ratio" not in aleph.body
    )


def test_an_uploaded_image_is_a_data_uri_up_to_5_mb() -> None:
    small = ImageReference(
        upload=UploadedImage(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 100, media_type="image/png")
    )
    assert call("gen4_turbo", input_reference=small).body["promptImage"].startswith("data:image/png;base64,")
    large = ImageReference(
        upload=UploadedImage(data=b"\x89PNG\r\n\x1a\n" + b"\0" * (4 * 1024 * 1024), media_type="image/png")
    )
    error = refused("gen4_turbo", input_reference=large)
    assert (error.param, error.code) == ("input_reference", "file_too_large")


@pytest.mark.parametrize(
    ("model", "fields", "param", "says"),
    [
        ("gen4.5", {"size": "1000x1000"}, "size", "1280x720, 720x1280"),
        ("gen4.5", {"seconds": "11"}, "seconds", "2, 3, 4"),
        ("gen4.5", {"seconds": "2.5"}, "seconds", "whole seconds"),
        ("veo3", {"seconds": "4"}, "seconds", "8"),
        ("gen4_turbo", {}, "input_reference", "image-to-video only"),
        ("gen4_aleph", {}, "video_uri", "video-to-video only"),
        ("gen4_aleph", {"video_uri": "https://x/v.mp4", "seconds": "5"}, "seconds", "source video"),
        ("gen4.5", {"audio": True}, "audio", "does not take"),
        (
            "gen4_turbo",
            {"input_reference": IMAGE, "negative_prompt": "x"},
            "negative_prompt",
            "does not take",
        ),
    ],
)
def test_what_a_known_model_refuses(model: str, fields: dict[str, Any], param: str, says: str) -> None:
    error = refused(model, **fields)
    assert error.param == param and says in error.message


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ({"status": "PENDING", "estimatedCost": {"credits": 10}}, ("queued", 0, None, None, 0.1)),
        ({"status": "THROTTLED"}, ("queued", 0, None, None, None)),
        ({"status": "RUNNING", "progress": 0.42}, ("in_progress", 42, None, None, None)),
        (
            {"status": "SUCCEEDED", "output": ["https://x/v.mp4"], "cost": {"credits": 25}},
            ("completed", 100, "https://x/v.mp4", None, 0.25),
        ),
        (
            {"status": "FAILED", "failure": "unsafe", "failureCode": "SAFETY.INPUT.TEXT"},
            ("failed", 0, None, "SAFETY.INPUT.TEXT", None),
        ),
        ({"status": "CANCELLED", "cost": {"credits": 0}}, ("failed", 0, None, "cancelled", 0.0)),
    ],
)
def test_task_states(task: dict[str, Any], expected: tuple[Any, ...]) -> None:
    state = parse_task("t1", task)
    assert (state.status, state.progress, state.output_url, state.error_code, state.cost_usd) == expected


@pytest.mark.parametrize("task", [{"status": "WEIRD"}, {"status": "SUCCEEDED", "output": []}])
def test_task_objects_that_make_no_sense_are_upstream_errors(task: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as raised:
        parse_task("t1", task)
    assert (raised.value.status, raised.value.code) == (502, "upstream_invalid_response")


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {
                "error": "Validation of body failed",
                "issues": [{"path": ["ratio"], "message": "Invalid option"}],
            },
            (400, "invalid_request", "size"),
        ),
        (
            400,
            {
                "error": "Validation of body failed",
                "issues": [{"path": ["promptText"], "message": "Too big"}],
            },
            (400, "invalid_request", "prompt"),
        ),
        (401, {"error": "Unauthorized"}, (502, "upstream_authentication_failed", None)),
        (403, {"error": "Model variant gen4.5 is not available"}, (403, "upstream_permission_denied", None)),
        (429, {"error": "Daily limit"}, (429, "rate_limit_exceeded", None)),
        (500, {"error": "oops"}, (502, "upstream_error", None)),
    ],
)
def test_errors(status: int, body: dict[str, Any], expected: tuple[Any, ...]) -> None:
    error = runway_error(status, body, "main", {"retry-after": "3"})
    assert (error.status, error.code, error.param) == expected
    assert error.key_rejected == (status == 401)
    if status == 429:
        assert error.headers["retry-after"] == "3" and error.nothing_created
    if status == 500:
        assert error.transient and not error.nothing_created  # the create may have started
