"""fal's mapping as pure functions: every table row, the per-endpoint checks, queue URLs, answers and
errors. No HTTP."""

from __future__ import annotations

import pytest

from irisgate.providers.fal import answers, queue
from irisgate.providers.fal.errors import EDIT_PARAM, GENERATION_PARAM, VIDEO_PARAM, fal_error
from irisgate.providers.fal.mapping import (
    IMAGE_FIELDS,
    VIDEO_FIELDS,
    aspect_ratio,
    build_edit_input,
    build_image_input,
    build_video_input,
)
from irisgate.providers.fal.models import IMAGE_MODELS, VIDEO_MODELS
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, UploadedImage
from irisgate.schemas.videos import ImageReference, VideoCreateRequest

from media_helpers import data_uri, image_bytes

NEW = "fal-ai/some-new-model"  # not listed: mapped, never checked
PNG = UploadedImage(image_bytes(8, 8), "image/png")
MASK = UploadedImage(image_bytes(8, 8, color=(255, 255, 255)), "image/png")


def generation(**fields):
    return ImageGenerationRequest.model_validate({"model": "fal/x", "prompt": "a cat", **fields})


def edit(images=(PNG,), mask=None, **fields):
    request = ImageEditRequest.model_validate({"model": "fal/x", "prompt": "a cat", **fields})
    request.images = list(images)
    request.mask = mask
    return request


def video(**fields):
    return VideoCreateRequest.model_validate({"model": "fal/x", "prompt": "a cat", **fields})


def refused(call, param, fragment=""):
    with pytest.raises(GatewayError) as caught:
        call()
    assert (caught.value.status, caught.value.param) == (400, param), caught.value.message
    assert fragment in caught.value.message
    return caught.value


# --- images: each row of the table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unified", "value", "native", "sent"),
    [
        ("n", 3, "num_images", 3),
        ("num_inference_steps", 12, "num_inference_steps", 12),
        ("seed", 7, "seed", 7),
        ("negative_prompt", "blur", "negative_prompt", "blur"),
        ("size", "640x480", "image_size", {"width": 640, "height": 480}),
        ("output_format", "png", "output_format", "png"),
        ("output_format", "jpg", "output_format", "jpeg"),
        ("output_format", "webp", "output_format", "webp"),
        ("response_format", "b64_json", "sync_mode", True),
    ],
)
def test_each_image_row(unified, value, native, sent):
    assert build_image_input(generation(**{unified: value}), NEW) == {"prompt": "a cat", native: sent}


def test_image_table_covers_the_direct_fields():
    assert IMAGE_FIELDS == {
        "prompt": "prompt",
        "n": "num_images",
        "num_inference_steps": "num_inference_steps",
        "seed": "seed",
        "negative_prompt": "negative_prompt",
    }


def test_defaults_send_nothing_fal_would_default_itself():
    assert build_image_input(generation(size="auto", response_format="url"), NEW) == {"prompt": "a cat"}


def test_extras_pass_through_and_win():
    body = build_image_input(
        generation(size="512x512", guidance_scale=4, extra_params={"image_size": "square_hd"}), NEW
    )
    assert body == {"prompt": "a cat", "image_size": "square_hd", "guidance_scale": 4}


def test_edit_puts_the_first_upload_and_the_mask_in_their_fields():
    other = UploadedImage(image_bytes(4, 4), "image/png")
    body = build_edit_input(edit(images=(PNG, other), mask=MASK, strength=0.5), NEW)
    assert body == {
        "prompt": "a cat",
        "image_url": data_uri(PNG.data),
        "mask_url": data_uri(MASK.data),
        "strength": 0.5,
    }


def test_listed_edit_endpoints_use_their_own_size_field():
    assert build_edit_input(edit(size="1920x1080"), "fal-ai/flux-pro/kontext")["aspect_ratio"] == "16:9"
    refused(lambda: build_edit_input(edit(size="1000x1000"), "fal-ai/flux/dev/image-to-image"), "size")
    refused(lambda: build_edit_input(edit(size="1344x768"), "fal-ai/flux-pro/kontext"), "size", "21:9, 16:9")


@pytest.mark.parametrize(
    ("endpoint", "fields", "param", "fragment"),
    [
        ("fal-ai/flux/dev", {"n": 5}, "n", "1 to 4"),
        ("fal-ai/flux/dev", {"num_inference_steps": 51}, "num_inference_steps", "1 to 50"),
        ("fal-ai/flux/schnell", {"num_inference_steps": 13}, "num_inference_steps", "1 to 12"),
        ("fal-ai/flux/dev", {"output_format": "webp"}, "output_format", "jpeg, png"),
        ("fal-ai/flux/dev", {"negative_prompt": "x"}, "negative_prompt", "does not take"),
        ("fal-ai/flux/dev", {"quality": "hd"}, "quality", "OpenAI option"),
        ("fal-ai/flux-pro/kontext", {}, "model", "images.edit"),
    ],
)
def test_listed_generation_endpoints_are_checked(endpoint, fields, param, fragment):
    refused(lambda: build_image_input(generation(**fields), endpoint), param, fragment)


def test_edit_checks():
    refused(lambda: build_edit_input(edit(images=()), NEW), "image", "required")
    refused(lambda: build_edit_input(edit(), "fal-ai/flux/dev"), "model", "text-to-image")
    refused(lambda: build_edit_input(edit(mask=MASK), "fal-ai/flux-pro/kontext"), "mask", "no mask")
    refused(lambda: build_edit_input(edit(), "fal-ai/flux-lora/inpainting"), "mask", "mask")
    refused(
        lambda: build_edit_input(edit(num_inference_steps=5), "fal-ai/flux-pro/kontext"),
        "num_inference_steps",
    )


def test_streaming_is_unsupported():
    with pytest.raises(GatewayError) as caught:
        build_image_input(generation(stream=True), NEW)
    assert caught.value.code == "unsupported_operation"


# --- videos -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "native", "sent"),
    [
        ({"input_reference": ImageReference(uri="https://x/frame.png")}, "image_url", "https://x/frame.png"),
        ({"input_reference": ImageReference(upload=PNG)}, "image_url", data_uri(PNG.data)),
        ({"seconds": "6"}, "duration", "6"),
        ({"size": "1280x720"}, "aspect_ratio", "16:9"),
        ({"negative_prompt": "blur"}, "negative_prompt", "blur"),
        ({"seed": 9}, "seed", 9),
    ],
)
def test_each_video_row(fields, native, sent):
    call = build_video_input(video(**fields), NEW)
    assert call.body == {"prompt": "a cat", native: sent}
    assert call.cost_usd is None


def test_video_table_names_every_field():
    assert set(VIDEO_FIELDS) == {"prompt", "input_reference", "seconds", "size", "negative_prompt", "seed"}


def test_listed_video_endpoints_check_and_price():
    t2v = build_video_input(
        video(seconds="10", size="720x1280"), "fal-ai/kling-video/v2.1/master/text-to-video"
    )
    assert t2v.body == {"prompt": "a cat", "duration": "10", "aspect_ratio": "9:16"}
    assert (t2v.seconds, t2v.size, t2v.cost_usd) == ("10", "720x1280", pytest.approx(2.80))
    i2v = build_video_input(
        video(input_reference=ImageReference(uri="https://x/f.png")),
        "fal-ai/kling-video/v2.1/standard/image-to-video",
    )
    assert i2v.body == {"prompt": "a cat", "image_url": "https://x/f.png"}
    assert (i2v.seconds, i2v.size, i2v.cost_usd) == ("5", None, pytest.approx(0.28))


@pytest.mark.parametrize(
    ("endpoint", "fields", "param", "fragment"),
    [
        ("fal-ai/kling-video/v2.1/master/text-to-video", {"seconds": "8"}, "seconds", "5, 10"),
        ("fal-ai/kling-video/v2.1/master/text-to-video", {"seconds": "5.5"}, "seconds", "5, 10"),
        ("fal-ai/kling-video/v2.1/master/text-to-video", {"size": "1024x768"}, "size", "16:9, 9:16, 1:1"),
        ("fal-ai/kling-video/v2.1/master/text-to-video", {"seed": 1}, "seed", "does not take"),
        (
            "fal-ai/kling-video/v2.1/master/text-to-video",
            {"input_reference": ImageReference(uri="https://x/f.png")},
            "input_reference",
            "text-to-video",
        ),
        ("fal-ai/kling-video/v2.1/standard/image-to-video", {}, "input_reference", "image-to-video"),
        (NEW, {"audio": True}, "audio", "audio"),
        (NEW, {"video_uri": "https://x/v.mp4"}, "video_uri", "video-to-video"),
    ],
)
def test_video_checks(endpoint, fields, param, fragment):
    refused(lambda: build_video_input(video(**fields), endpoint), param, fragment)


def test_i2v_endpoints_take_no_size():
    reference = ImageReference(uri="https://x/f.png")
    refused(
        lambda: build_video_input(
            video(input_reference=reference, size="1280x720"),
            "fal-ai/kling-video/v2.1/standard/image-to-video",
        ),
        "size",
    )


def test_aspect_ratios_are_in_lowest_terms():
    assert [aspect_ratio(*s) for s in ((1920, 1080), (1024, 768), (960, 960), (1080, 1920))] == [
        "16:9",
        "4:3",
        "1:1",
        "9:16",
    ]


def test_every_listed_endpoint_is_priced_or_says_it_is_not():
    assert IMAGE_MODELS["fal-ai/flux/dev"].cost([(1024, 1024), (1200, 1000)]) == pytest.approx(0.075)
    assert IMAGE_MODELS["fal-ai/flux/schnell"].cost([(512, 512)]) is None
    assert VIDEO_MODELS["fal-ai/kling-video/v2.1/master/image-to-video"].cost("10") == pytest.approx(2.80)


# --- queue URLs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "app"),
    [
        ("fal-ai/flux/dev", "fal-ai/flux"),
        ("fal-ai/fast-sdxl", "fal-ai/fast-sdxl"),
        ("fal-ai/kling-video/v2.1/standard/image-to-video", "fal-ai/kling-video"),
        ("workflows/someone/my-flow/run", "workflows/someone/my-flow"),
    ],
)
def test_queue_urls(endpoint, app):
    base = "https://queue.fal.run"
    assert queue.submit_url(base, endpoint) == f"{base}/{endpoint}"
    assert queue.request_url(base, endpoint, "r1") == f"{base}/{app}/requests/r1"
    assert queue.status_url(base, endpoint, "r1") == f"{base}/{app}/requests/r1/status"
    assert queue.status_url(base, endpoint, "r1", logs=True) == f"{base}/{app}/requests/r1/status?logs=1"
    assert queue.cancel_url(base, endpoint, "r1") == f"{base}/{app}/requests/r1/cancel"


def test_an_endpoint_id_without_an_app_is_refused():
    refused(lambda: queue.app_path("fal-ai"), "model", "owner")


# --- answers ----------------------------------------------------------------------------------------


def test_queue_statuses():
    assert answers.running_state("r", {"status": "IN_QUEUE", "queue_position": 3}).status == "queued"
    running = answers.running_state(
        "r",
        {"status": "IN_PROGRESS", "logs": [{"message": "step 1"}, {"message": " 45%|####  | 9/20 [00:02]"}]},
    )
    assert (running.status, running.progress) == ("in_progress", 45)
    assert answers.running_state("r", {"status": "IN_PROGRESS", "logs": None}).progress == 0
    assert answers.progress_from_logs([{"message": "100% done"}]) == 99
    with pytest.raises(GatewayError):
        answers.queue_status({"status": "CANCELLED"})
    assert answers.completed_error(
        {"status": "COMPLETED", "error": "boom", "error_type": "runner_disconnected"}
    ) == (
        "runner_disconnected",
        "boom",
    )
    assert answers.completed_error({"status": "COMPLETED", "logs": None}) is None


def test_submit_answer_needs_a_request_id():
    assert answers.request_id_of({"status": "IN_QUEUE", "request_id": "abc"}) == "abc"
    with pytest.raises(GatewayError) as caught:
        answers.request_id_of({"status": "IN_QUEUE"})
    assert caught.value.transient


def test_image_results():
    result = {
        "images": [
            {
                "url": "https://v3.fal.media/files/a.png",
                "width": 1024,
                "height": 768,
                "content_type": "image/png",
            },
            {
                "url": "https://v3.fal.media/files/b.png",
                "width": 1024,
                "height": 768,
                "content_type": "image/png",
            },
        ],
        "seed": 5,
        "has_nsfw_concepts": [False, False],
    }
    parsed = answers.images_result(result, IMAGE_MODELS["fal-ai/flux/dev"], b64=False)
    assert [i.url for i in parsed.images] == [
        "https://v3.fal.media/files/a.png",
        "https://v3.fal.media/files/b.png",
    ]
    assert (parsed.size, parsed.output_format, parsed.images[0].seed) == ("1024x768", "png", 5)
    assert parsed.cost_usd == pytest.approx(0.05)
    inline = answers.images_result({"images": [{"url": "data:image/jpeg;base64,QUJD"}]}, None, b64=True)
    assert (inline.images[0].b64_json, inline.images[0].url, inline.output_format) == ("QUJD", None, "jpeg")
    with pytest.raises(GatewayError):
        answers.images_result({"images": []}, None, b64=False)


def test_video_result():
    state = answers.video_state("r", {"video": {"url": "https://v3.fal.media/files/v.mp4"}}, 0.28)
    assert (state.status, state.progress, state.output_url, state.cost_usd) == (
        "completed",
        100,
        "https://v3.fal.media/files/v.mp4",
        0.28,
    )
    with pytest.raises(GatewayError):
        answers.video_state("r", {"images": []})


# --- errors -----------------------------------------------------------------------------------------


def test_a_422_detail_names_the_unified_field():
    body = {
        "detail": [
            {"loc": ["body", "duration"], "msg": "Input should be '5' or '10'", "type": "literal_error"}
        ]
    }
    error = fal_error(422, body, "main", VIDEO_PARAM)
    assert (error.status, error.param, error.code) == (400, "seconds", "literal_error")
    assert error.message == "Input should be '5' or '10' (field: duration)"
    assert not error.transient


@pytest.mark.parametrize(
    ("field", "names", "param"),
    [
        ("image_size", GENERATION_PARAM, "size"),
        ("num_images", GENERATION_PARAM, "n"),
        ("sync_mode", GENERATION_PARAM, "response_format"),
        ("image_url", EDIT_PARAM, "image"),
        ("mask_url", EDIT_PARAM, "mask"),
        ("image_url", VIDEO_PARAM, "input_reference"),
        ("aspect_ratio", VIDEO_PARAM, "size"),
        ("guidance_scale", GENERATION_PARAM, "guidance_scale"),  # an extra: named as the client sent it
    ],
)
def test_fal_fields_map_back(field, names, param):
    body = {"detail": [{"loc": ["body", field], "msg": "bad", "type": "value_error"}]}
    assert fal_error(422, body, "main", names).param == param


def test_a_refused_key():
    error = fal_error(401, {"detail": "No user found for Key ID and Secret"}, "main")
    assert (error.status, error.code) == (502, "upstream_authentication_failed")
    assert error.key_rejected and error.nothing_created
    assert "'main'" in error.message


def test_429_and_5xx():
    limited = fal_error(429, {"detail": "slow down"}, "main", headers={"retry-after": "3"})
    assert (limited.status, limited.headers["retry-after"], limited.retry_after) == (429, "3", 3.0)
    assert limited.transient and limited.nothing_created
    failed = fal_error(
        503, {"detail": "No runner", "error_type": "runner_scheduling_failure"}, "main", headers={}
    )
    assert (failed.status, failed.code, failed.message) == (503, "runner_scheduling_failure", "No runner")
    assert failed.transient and not failed.nothing_created  # a create's 5xx is ambiguous
    final = fal_error(500, {"detail": "x"}, "main", headers={"x-fal-retryable": "false"})
    assert (final.status, final.transient) == (502, False)
    assert fal_error(500, None, "main").message == "fal request failed with HTTP 500"
