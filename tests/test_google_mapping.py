"""Google's (Gemini API) mapping, without HTTP: every row of the mapping tables (unified field → wire
field), the per-model checks, predictions and operations read back, and its errors
(`providers/google/`)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from irisgate.config import NetworkConfig
from irisgate.providers.google.answers import operation_name, parse_operation, parse_predictions
from irisgate.providers.google.errors import google_error
from irisgate.providers.google.mapping import VIDEO_PARAM, GoogleCall, build_image_call
from irisgate.providers.google.provider import GoogleProvider
from irisgate.providers.google.video_mapping import build_video_call
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import ImageGenerationRequest, UploadedImage
from irisgate.schemas.videos import ImageReference, VideoCreateRequest

from media_helpers import data_uri, image_bytes

IMAGEN = "imagen-4.0-generate-001"
VEO = "veo-3.1-generate-preview"
PNG = image_bytes(32, 18, "PNG")


def image_call(model: str = IMAGEN, **fields: Any) -> GoogleCall:
    request = ImageGenerationRequest.model_validate({"model": f"google/{model}", "prompt": "a cat", **fields})
    return build_image_call(request, model)


def video_call(model: str = VEO, **fields: Any) -> GoogleCall:
    request = VideoCreateRequest.model_validate({"model": f"google/{model}", "prompt": "waves", **fields})
    return build_video_call(request, model)


def refused(build: Any, model: str, **fields: Any) -> GatewayError:
    with pytest.raises(GatewayError) as raised:
        build(model, **fields)
    assert raised.value.status == 400
    return raised.value


# --- images: the mapping table --------------------------------------------------------------------


def test_an_image_call_is_predict_with_one_instance_and_the_defaults() -> None:
    call = image_call()
    assert call.path == "/v1beta/models/imagen-4.0-generate-001:predict"
    # sampleCount is always sent: Imagen's own default is four (billed) images
    assert call.body == {
        "instances": [{"prompt": "a cat"}],
        "parameters": {"sampleCount": 1, "aspectRatio": "1:1"},
    }
    assert (call.size, call.output_format, call.cost_usd) == ("1024x1024", "png", 0.04)


@pytest.mark.parametrize(
    ("fields", "parameters", "size"),
    [
        ({"n": 3}, {"sampleCount": 3}, "1024x1024"),
        ({"size": "1408x768"}, {"aspectRatio": "16:9"}, "1408x768"),  # Imagen's own pixel sizes
        ({"size": "768x1408"}, {"aspectRatio": "9:16"}, "768x1408"),
        ({"size": "1280x896"}, {"aspectRatio": "4:3"}, "1280x896"),
        ({"size": "896x1280"}, {"aspectRatio": "3:4"}, "896x1280"),
        ({"size": "512x512"}, {"aspectRatio": "1:1"}, "1024x1024"),  # a size of the ratio: the tier above
        ({"size": "1920x1080"}, {"aspectRatio": "16:9", "sampleImageSize": "2K"}, "2816x1536"),
        ({"size": "2048x2048"}, {"aspectRatio": "1:1", "sampleImageSize": "2K"}, "2048x2048"),
        ({"output_format": "jpeg"}, {"outputOptions": {"mimeType": "image/jpeg"}}, "1024x1024"),
        ({"output_format": "png"}, {"outputOptions": {"mimeType": "image/png"}}, "1024x1024"),
        (
            {"output_format": "jpeg", "output_compression": 60},
            {"outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 60}},
            "1024x1024",
        ),
        ({"person_generation": "allow_adult"}, {"personGeneration": "ALLOW_ADULT"}, "1024x1024"),
        ({"person_generation": "DONT_ALLOW"}, {"personGeneration": "DONT_ALLOW"}, "1024x1024"),
        ({"guidance_scale": 9}, {"guidanceScale": 9}, "1024x1024"),
        (
            {"safety_filter_level": "BLOCK_LOW_AND_ABOVE"},
            {"safetySetting": "BLOCK_LOW_AND_ABOVE"},
            "1024x1024",
        ),
        ({"extra_params": {"includeRaiReason": True}}, {"includeRaiReason": True}, "1024x1024"),
    ],
)
def test_image_rows(fields: dict[str, Any], parameters: dict[str, Any], size: str) -> None:
    call = image_call(**fields)
    assert parameters.items() <= call.body["parameters"].items()
    assert call.size == size


def test_response_format_url_is_accepted_and_answered_as_b64() -> None:
    call = image_call(response_format="url")
    assert "response_format" not in str(call.body)
    result = parse_predictions(
        call, {"predictions": [{"bytesBase64Encoded": "iVBO", "mimeType": "image/png"}]}
    )
    assert result.images[0].b64_json == "iVBO" and result.images[0].url is None


def test_image_cost_is_the_published_price_per_image() -> None:
    assert image_call("imagen-4.0-fast-generate-001", n=2).cost_usd == 0.04
    assert image_call("imagen-4.0-ultra-generate-001", n=3).cost_usd == 0.18
    assert image_call("imagen-9-preview").cost_usd is None  # no price known: no cost


# --- images: per-model checks and what Imagen lacks -----------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "param", "says"),
    [
        ("imagen-4.0-fast-generate-001", {"size": "2048x2048"}, "size", "1024x1024, 896x1280"),
        (IMAGEN, {"size": "1536x1024"}, "size", "aspect ratio 1:1, 3:4, 4:3, 9:16, 16:9"),
        (IMAGEN, {"size": "4096x4096"}, "size", "2048x2048"),
        (IMAGEN, {"n": 5}, "n", "1 to 4"),
        (IMAGEN, {"person_generation": "allow_all"}, "person_generation", "dont_allow, allow_adult"),
        (IMAGEN, {"person_generation": 3}, "person_generation", "string"),
        (IMAGEN, {"output_format": "webp"}, "output_format", "png or jpeg"),
        (IMAGEN, {"output_compression": 50}, "output_compression", "jpeg"),
        (IMAGEN, {"extra_params": {"sampleCount": 4}}, "sampleCount", "set by the gateway"),
        ("../secrets", {}, "model", "model name"),
    ],
)
def test_image_checks_name_the_field(model: str, fields: dict[str, Any], param: str, says: str) -> None:
    error = refused(image_call, model, **fields)
    assert error.param == param
    assert says in error.message


@pytest.mark.parametrize("field", [("negative_prompt", "fog"), ("seed", 7), ("num_inference_steps", 30)])
def test_what_the_gemini_api_lacks_for_imagen_is_refused(field: tuple[str, Any]) -> None:
    error = refused(image_call, IMAGEN, **{field[0]: field[1]})
    assert (error.param, error.code) == (field[0], "unsupported_parameter")


def test_openai_only_options_are_refused_and_streaming_is_unsupported() -> None:
    assert refused(image_call, IMAGEN, quality="hd").param == "quality"
    assert refused(image_call, IMAGEN, stream=True).code == "unsupported_operation"


def test_a_model_irisgate_does_not_know_passes_unchecked() -> None:
    call = image_call("imagen-9.0-generate-preview", size="2048x2048", person_generation="allow_all", n=8)
    assert call.path == "/v1beta/models/imagen-9.0-generate-preview:predict"
    assert call.body["parameters"] == {
        "sampleCount": 8,
        "aspectRatio": "1:1",
        "sampleImageSize": "2K",
        "personGeneration": "ALLOW_ALL",
    }


# --- images: answers ------------------------------------------------------------------------------


def test_predictions_become_b64_images_with_the_cost_of_those_returned() -> None:
    call = image_call(n=3, output_format="jpeg")
    body = {
        "predictions": [
            {"bytesBase64Encoded": "AAAA", "mimeType": "image/jpeg"},
            {"raiFilteredReason": "filtered"},
            {"bytesBase64Encoded": "BBBB", "mimeType": "image/jpeg"},
        ]
    }
    result = parse_predictions(call, body)
    assert [image.b64_json for image in result.images] == ["AAAA", "BBBB"]
    assert (result.cost_usd, result.output_format, result.size) == (0.08, "jpeg", "1024x1024")
    assert result.to_response(1)["usage"] == {"cost": 0.08}


@pytest.mark.parametrize("body", [{}, {"predictions": [{"raiFilteredReason": "Unsafe prompt."}]}])
def test_every_image_filtered_is_a_400(body: dict[str, Any]) -> None:
    with pytest.raises(GatewayError) as raised:
        parse_predictions(image_call(), body)
    assert (raised.value.status, raised.value.code, raised.value.param) == (400, "content_filtered", "prompt")


def test_an_answer_without_images_is_an_invalid_response() -> None:
    with pytest.raises(GatewayError) as raised:
        parse_predictions(image_call(), {"predictions": []})
    assert (raised.value.status, raised.value.code) == (502, "upstream_invalid_response")


# --- videos: the mapping table --------------------------------------------------------------------


def test_a_video_call_is_predict_long_running_with_the_defaults() -> None:
    call = video_call()
    assert call.path == "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
    assert call.body == {
        "instances": [{"prompt": "waves"}],
        "parameters": {"aspectRatio": "16:9", "resolution": "720p", "durationSeconds": 8},
    }
    assert (call.size, call.seconds, call.cost_usd) == ("1280x720", "8", 3.2)


@pytest.mark.parametrize(
    ("fields", "parameters"),
    [
        ({"size": "720x1280"}, {"aspectRatio": "9:16", "resolution": "720p"}),
        ({"size": "1920x1080"}, {"aspectRatio": "16:9", "resolution": "1080p"}),
        ({"size": "1080x1920"}, {"aspectRatio": "9:16", "resolution": "1080p"}),
        ({"size": "3840x2160"}, {"aspectRatio": "16:9", "resolution": "4k"}),
        ({"size": "2160x3840"}, {"aspectRatio": "9:16", "resolution": "4k"}),
        ({"seconds": "4"}, {"durationSeconds": 4}),
        ({"seconds": 6}, {"durationSeconds": 6}),
        ({"negative_prompt": "fog"}, {"negativePrompt": "fog"}),
        ({"person_generation": "allow_all"}, {"personGeneration": "allow_all"}),
        ({"enhance_prompt": True}, {"enhancePrompt": True}),
        ({"extra_params": {"someNewField": "x"}}, {"someNewField": "x"}),
    ],
)
def test_video_rows(fields: dict[str, Any], parameters: dict[str, Any]) -> None:
    assert parameters.items() <= video_call(**fields).body["parameters"].items()


def test_an_uploaded_first_frame_goes_inline() -> None:
    reference = ImageReference(upload=UploadedImage(PNG, "image/png", "f.png"))
    call = video_call(input_reference=reference, person_generation="allow_adult")
    instance = call.body["instances"][0]
    assert instance == {
        "prompt": "waves",
        "image": {"bytesBase64Encoded": base64.b64encode(PNG).decode(), "mimeType": "image/png"},
    }
    assert call.body["parameters"]["personGeneration"] == "allow_adult"


def test_a_data_uri_first_frame_is_forwarded_as_it_came() -> None:
    jpeg = image_bytes(20, 20, "JPEG")
    call = video_call(input_reference=ImageReference(uri=data_uri(jpeg, "image/jpeg")))
    assert call.body["instances"][0]["image"] == {
        "bytesBase64Encoded": base64.b64encode(jpeg).decode(),
        "mimeType": "image/jpeg",
    }
    untyped = "data:;base64," + base64.b64encode(PNG).decode()  # the type read from the bytes
    assert video_call(input_reference=ImageReference(uri=untyped)).body["instances"][0]["image"][
        "mimeType"
    ] == ("image/png")


def test_native_instance_fields_go_into_the_instance() -> None:
    frame = {"bytesBase64Encoded": "AAAA", "mimeType": "image/png"}
    call = video_call(last_frame=frame)
    assert call.body["instances"][0]["lastFrame"] == frame
    assert "last_frame" not in call.body["parameters"]


def test_veo_2_takes_no_resolution_and_its_own_durations() -> None:
    call = video_call("veo-2.0-generate-001", seconds="5", size="720x1280")
    assert call.body["parameters"] == {"aspectRatio": "9:16", "durationSeconds": 5}
    assert (call.size, call.seconds, call.cost_usd) == ("720x1280", "5", 1.75)


def test_video_cost_is_the_published_price_per_second() -> None:
    assert video_call(seconds="4").cost_usd == 1.6
    assert video_call(size="3840x2160").cost_usd == 4.8
    assert video_call("veo-3.1-fast-generate-preview", seconds="6").cost_usd == 0.9
    assert video_call("veo-3.0-generate-001", seconds="8").cost_usd == 3.2
    assert video_call("veo-9.0-generate-preview").cost_usd is None


def test_a_video_model_irisgate_does_not_know_passes_unchecked() -> None:
    call = video_call("veo-9.0-generate-preview", seed=42, seconds="5", person_generation="whatever")
    assert call.body["parameters"] == {
        "aspectRatio": "16:9",
        "resolution": "720p",
        "durationSeconds": 5,
        "seed": 42,
        "personGeneration": "whatever",
    }
    assert video_call("veo-9.0-generate-preview").seconds is None  # Google's default: not sent


def test_audio_true_is_what_veo_3_does_anyway() -> None:
    assert "generateAudio" not in str(video_call(audio=True).body)


# --- videos: per-model checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "fields", "param", "says"),
    [
        (
            VEO,
            {"size": "1024x1024"},
            "size",
            "1280x720, 720x1280, 1920x1080, 1080x1920, 3840x2160, 2160x3840",
        ),
        ("veo-3.0-generate-001", {"size": "1080x1920"}, "size", "1280x720, 720x1280, 1920x1080;"),
        ("veo-2.0-generate-001", {"size": "1920x1080"}, "size", "1280x720, 720x1280;"),
        (VEO, {"seconds": "5"}, "seconds", "4, 6, 8"),
        (VEO, {"seconds": "4.5"}, "seconds", "whole seconds"),
        (VEO, {"seconds": "4", "size": "1920x1080"}, "seconds", "8 at 1080p"),
        ("veo-2.0-generate-001", {"seconds": "4"}, "seconds", "5, 6, 8"),
        (VEO, {"seed": 1}, "seed", "Vertex AI"),
        (VEO, {"audio": False}, "audio", "always generates audio"),
        ("veo-2.0-generate-001", {"audio": True}, "audio", "no audio switch"),
        (VEO, {"video_uri": "https://x/v.mp4"}, "video_uri", "video_uri"),
        (VEO, {"input_reference": ImageReference(uri="https://x/a.png")}, "input_reference", "not a URL"),
        (VEO, {"input_reference": ImageReference(uri="data:text/plain,hello")}, "input_reference", "base64"),
        (VEO, {"person_generation": "allow_adult"}, "person_generation", "allow_all"),
        (
            VEO,
            {"person_generation": "allow_all", "input_reference": ImageReference(uri=data_uri(PNG))},
            "person_generation",
            "(for image-to-video) allow_adult",
        ),
        (VEO, {"extra_params": {"sampleCount": 2}}, "sampleCount", "set by the gateway"),
        (VEO, {"extra_params": {"durationSeconds": 4}}, "durationSeconds", "set by the gateway"),
    ],
)
def test_video_checks_name_the_field(model: str, fields: dict[str, Any], param: str, says: str) -> None:
    error = refused(video_call, model, **fields)
    assert error.param == param
    assert says in error.message


# --- videos: operations ---------------------------------------------------------------------------

NAME = "models/veo-3.1-generate-preview/operations/abc123"
RESPONSE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"


def test_the_operation_name_is_the_upstream_id() -> None:
    assert operation_name({"name": NAME}) == NAME
    for bad in ({}, {"name": "../../etc"}, {"name": "models/x/operations/a?b"}):
        with pytest.raises(GatewayError) as raised:
            operation_name(bad)
        assert (raised.value.status, raised.value.transient) == (502, True)


def test_a_running_operation_is_in_progress() -> None:
    assert parse_operation(NAME, {"name": NAME}).status == "in_progress"
    assert parse_operation(NAME, {"name": NAME, "done": False}).progress == 0


def test_a_done_operation_gives_its_video_uri() -> None:
    uri = "https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media"
    body = {
        "name": NAME,
        "done": True,
        "response": {
            "@type": RESPONSE,
            "generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]},
        },
    }
    state = parse_operation(NAME, body)
    assert (state.status, state.progress, state.output_url) == ("completed", 100, uri)


def test_a_failed_operation_reports_googles_code_and_message() -> None:
    state = parse_operation(NAME, {"name": NAME, "done": True, "error": {"code": 13, "message": "boom"}})
    assert (state.status, state.error_code, state.error_message) == ("failed", "internal", "boom")


def test_a_filtered_video_fails_with_the_reason() -> None:
    filtered = {"raiMediaFilteredCount": 1, "raiMediaFilteredReasons": ["Person generation blocked."]}
    body = {"name": NAME, "done": True, "response": {"generateVideoResponse": filtered}}
    state = parse_operation(NAME, body)
    assert (state.status, state.error_code) == ("failed", "content_filtered")
    assert "Person generation blocked." in (state.error_message or "")


def test_a_done_operation_without_a_video_is_an_invalid_answer() -> None:
    for body in (
        {"done": True},
        {"done": True, "response": {"generateVideoResponse": {"generatedSamples": []}}},
    ):
        with pytest.raises(GatewayError) as raised:
            parse_operation(NAME, body)
        assert raised.value.code == "upstream_invalid_response"


# --- errors ---------------------------------------------------------------------------------------

BAD_KEY = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ],
    }
}


def google(status: int, message: str, rpc: str, *details: dict[str, Any]) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": rpc, "details": list(details)}}


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, BAD_KEY),
        (403, google(403, "Method doesn't allow unregistered callers", "PERMISSION_DENIED")),
        (401, google(401, "Request had invalid authentication credentials.", "UNAUTHENTICATED")),
    ],
)
def test_a_refused_key_is_502_and_says_nothing_was_created(status: int, body: dict[str, Any]) -> None:
    error = google_error(status, body, "main")
    assert (error.status, error.code) == (502, "upstream_authentication_failed")
    assert error.key_rejected and error.nothing_created and not error.transient
    assert "'main'" in error.message and error.headers["x-should-retry"] == "false"


def test_a_quota_is_429_with_the_retry_delay_google_asked_for() -> None:
    retry = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "26s"}
    error = google_error(
        429, google(429, "You exceeded your current quota", "RESOURCE_EXHAUSTED", retry), "k"
    )
    assert (error.status, error.code, error.retry_after) == (429, "resource_exhausted", 26.0)
    assert error.headers["retry-after"] == "26"
    assert error.transient and error.nothing_created
    no_detail = google_error(429, google(429, "slow down", "RESOURCE_EXHAUSTED"), "k", {"retry-after": "3"})
    assert (no_detail.retry_after, no_detail.headers["retry-after"]) == (3.0, "3")


@pytest.mark.parametrize(("status", "mapped"), [(500, 502), (502, 502), (503, 503), (504, 504)])
def test_server_errors_are_transient_and_ambiguous(status: int, mapped: int) -> None:
    error = google_error(status, google(status, "Internal error", "INTERNAL"), "k")
    assert (error.status, error.transient, error.nothing_created) == (mapped, True, False)


@pytest.mark.parametrize(
    ("message", "param"),
    [
        ("`durationSeconds` must be one of 4, 6, 8; got 5.", "seconds"),
        ("Unsupported `aspectRatio` value '2:1'.", "size"),
        ("allow_adult for personGeneration is currently not supported.", "person_generation"),
        ("`sampleCount` must be an integer between 1 and 4.", "n"),
        ("Could not generate this image.", None),
    ],
)
def test_invalid_argument_names_the_unified_field(message: str, param: str | None) -> None:
    error = google_error(400, google(400, message, "INVALID_ARGUMENT"), "k")
    assert (error.status, error.code, error.param) == (400, "invalid_argument", param)
    assert message in error.message and not error.transient


def test_a_video_error_about_the_image_names_the_input_reference() -> None:
    body = google(400, "Unable to process input image.", "INVALID_ARGUMENT")
    assert google_error(400, body, "k", param_names=VIDEO_PARAM).param == "input_reference"


def test_a_field_violation_names_the_field_and_an_unknown_model_is_about_model() -> None:
    violation = {
        "@type": "type.googleapis.com/google.rpc.BadRequest",
        "fieldViolations": [{"field": "parameters.resolution", "description": "bad"}],
    }
    assert (
        google_error(400, google(400, "Invalid request", "INVALID_ARGUMENT", violation), "k").param == "size"
    )
    missing = google(404, "models/veo-x is not found for API version v1beta", "NOT_FOUND")
    error = google_error(404, missing, "k")
    assert (error.status, error.code, error.param) == (404, "not_found", "model")


def test_a_body_that_is_not_googles_still_gives_an_error() -> None:
    error = google_error(418, "<html>teapot</html>", "k")
    assert (error.status, error.code) == (400, "upstream_error")


# --- the key goes to Google only ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "keyed"),
    [
        ("http://127.0.0.1:8704/v1beta/files/abc:download?alt=media", True),  # the configured base URL
        ("https://generativelanguage.googleapis.com/v1beta/files/abc:download?alt=media", True),
        ("https://evil.example/v1beta/files/abc:download?alt=media", False),
        ("http://127.0.0.1:9999/v1beta/files/abc:download?alt=media", False),  # another port
        ("http://generativelanguage.googleapis.com/v1beta/files/abc", False),  # not over TLS
    ],
)
def test_a_file_uri_gets_the_key_only_on_googles_host_or_the_base_urls(url: str, keyed: bool) -> None:
    provider = GoogleProvider(NetworkConfig(base_url="http://127.0.0.1:8704"))
    assert provider._keyed(url) is keyed
