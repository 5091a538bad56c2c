"""Unified requests → the input object of a fal endpoint (pure functions; nothing is sent here).

A fal request is the endpoint id (the part of the model after `fal/`) and a JSON input of that
endpoint's own fields; the queue adds nothing to it. The tables below are the contract
(`docs/providers/fal.md` cites each row); endpoints listed in `models.py` are checked first, others
get the same mapping unchecked. Extra fields (top level, or inside `extra_params`) pass through last,
under their own names, so any field an endpoint documents can be set.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from irisgate.providers.fal.models import IMAGE_MODELS, VIDEO_MODELS, FalImageModel, FalVideoModel
from irisgate.schemas.errors import invalid_request, unsupported_operation
from irisgate.schemas.images import ImageEditRequest, ImageRequestBase
from irisgate.schemas.videos import VideoCreateRequest

# --- mapping tables -------------------------------------------------------------------------------

# unified field → fal input field, copied when the client set it (images)
IMAGE_FIELDS = {
    "prompt": "prompt",
    "n": "num_images",
    "num_inference_steps": "num_inference_steps",
    "seed": "seed",
    "negative_prompt": "negative_prompt",
}
OUTPUT_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
# response_format b64_json → `sync_mode: true`: fal answers the images as data URIs
SYNC_MODE = {"b64_json": True}
DEFAULT_SIZE_FIELD = "image_size"  # `{"width": W, "height": H}` (fal's `ImageSize`)
DEFAULT_IMAGE_FIELD = "image_url"  # edits: the first uploaded image, as a data URI
DEFAULT_MASK_FIELD = "mask_url"

# unified field → fal input field (videos); `size` becomes `aspect_ratio` W:H in lowest terms
VIDEO_FIELDS = {
    "prompt": "prompt",
    "input_reference": "image_url",
    "seconds": "duration",
    "size": "aspect_ratio",
    "negative_prompt": "negative_prompt",
    "seed": "seed",
}

PROVIDER = "fal"


@dataclass(frozen=True)
class FalCall:
    """One queue submission: the endpoint, its input, and what the job record says of it."""

    endpoint: str
    body: dict[str, Any]
    seconds: str | None = None
    size: str | None = None
    cost_usd: float | None = None  # the published price of what was asked (fal reports none)


# --- images ---------------------------------------------------------------------------------------


def build_image_input(request: ImageRequestBase, endpoint: str) -> dict[str, Any]:
    """The input of a text-to-image endpoint."""
    known = IMAGE_MODELS.get(endpoint)
    if known is not None and known.edit:
        raise invalid_request(
            f"fal endpoint '{endpoint}' edits an input image: call images.edit with it, or generate with "
            "a text-to-image endpoint such as fal-ai/flux/dev",
            "model",
        )
    return _with_extras(_image_body(request, endpoint, known), request.extras)


def build_edit_input(request: ImageEditRequest, endpoint: str) -> dict[str, Any]:
    """The input of an image-to-image endpoint: the first upload in its image field (a data URI), the
    mask in its mask field where it takes one."""
    if not request.images:
        raise invalid_request(
            "'image' is required: upload at least one image", "image", code="missing_required_parameter"
        )
    known = IMAGE_MODELS.get(endpoint)
    if known is not None and not known.edit:
        raise invalid_request(
            f"fal endpoint '{endpoint}' is text-to-image and takes no input image: edit with an "
            "image-to-image endpoint such as fal-ai/flux/dev/image-to-image or fal-ai/flux-pro/kontext",
            "model",
        )
    body = _image_body(request, endpoint, known)
    image_field = (known.image_field if known else None) or DEFAULT_IMAGE_FIELD
    body = {"prompt": body.pop("prompt"), image_field: request.images[0].data_uri(), **body}
    mask_field = known.mask_field if known is not None else DEFAULT_MASK_FIELD
    if request.mask is not None:
        if mask_field is None:
            raise invalid_request(
                f"fal endpoint '{endpoint}' takes no mask (inpaint with fal-ai/flux-lora/inpainting)",
                "mask",
                code="unsupported_parameter",
            )
        body[mask_field] = request.mask.data_uri()
    elif known is not None and mask_field is not None:
        raise invalid_request(
            f"fal endpoint '{endpoint}' inpaints: upload the 'mask' too", "mask", "missing_required_parameter"
        )
    return _with_extras(body, request.extras)


def _image_body(request: ImageRequestBase, endpoint: str, known: FalImageModel | None) -> dict[str, Any]:
    if request.stream:
        raise unsupported_operation("image_generation_stream", PROVIDER)
    for option in request.openai_only_options():
        raise invalid_request(
            f"'{option}' is an OpenAI option that fal does not support; send the endpoint's own fields "
            "(e.g. guidance_scale, enable_safety_checker) as extra params instead",
            option,
            code="unsupported_parameter",
        )
    body: dict[str, Any] = {}
    for unified, native in IMAGE_FIELDS.items():
        value = getattr(request, unified)
        if value is not None:
            body[native] = value
    if known is not None:
        _check_image_fields(request, endpoint, known)
    _image_size(request, endpoint, known, body)
    if request.output_format is not None:
        fmt = OUTPUT_FORMATS[request.output_format]
        if known is not None and fmt not in known.output_formats:
            allowed = ", ".join(known.output_formats)
            raise invalid_request(
                f"fal endpoint '{endpoint}' accepts output_format {allowed}; got {request.output_format!r}",
                "output_format",
            )
        body["output_format"] = fmt
    if request.response_format in SYNC_MODE:
        body["sync_mode"] = SYNC_MODE[request.response_format]
    return body


def _check_image_fields(request: ImageRequestBase, endpoint: str, known: FalImageModel) -> None:
    if request.n is not None and request.n > known.max_images:
        raise invalid_request(
            f"fal endpoint '{endpoint}' makes 1 to {known.max_images} images; got n={request.n}", "n"
        )
    steps = request.num_inference_steps
    if steps is not None and not known.takes_steps():
        raise invalid_request(
            f"fal endpoint '{endpoint}' does not take 'num_inference_steps'",
            "num_inference_steps",
            code="unsupported_parameter",
        )
    if steps is not None and known.steps is not None and not known.steps[0] <= steps <= known.steps[1]:
        low, high = known.steps
        raise invalid_request(
            f"fal endpoint '{endpoint}' accepts num_inference_steps {low} to {high}; got {steps}",
            "num_inference_steps",
        )
    if request.negative_prompt is not None and not known.negative_prompt:
        raise invalid_request(
            f"fal endpoint '{endpoint}' does not take 'negative_prompt'",
            "negative_prompt",
            code="unsupported_parameter",
        )


def _image_size(
    request: ImageRequestBase, endpoint: str, known: FalImageModel | None, body: dict[str, Any]
) -> None:
    dimensions = request.dimensions
    if dimensions is None:
        return  # absent or "auto": the endpoint's default
    field = known.size_field if known is not None else DEFAULT_SIZE_FIELD
    if field is None:
        raise invalid_request(
            f"fal endpoint '{endpoint}' makes images the size of the input image; leave 'size' out",
            "size",
            code="unsupported_parameter",
        )
    if field == "aspect_ratio":
        assert known is not None
        body[field] = checked_ratio(dimensions, known.aspect_ratios, endpoint, request.size)
        return
    width, height = dimensions
    body[field] = {"width": width, "height": height}


def checked_ratio(
    dimensions: tuple[int, int], allowed: tuple[str, ...], endpoint: str, size: str | None
) -> str:
    """`1920x1080` → `16:9`, refused with a 400 listing `allowed` unless it is one of them."""
    ratio = aspect_ratio(*dimensions)
    if allowed and ratio not in allowed:
        raise invalid_request(
            f"fal endpoint '{endpoint}' accepts sizes of aspect ratio {', '.join(allowed)} "
            f"(e.g. 1280x720 for 16:9); got {size!r} ({ratio})",
            "size",
        )
    return ratio


def aspect_ratio(width: int, height: int) -> str:
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


# --- video ----------------------------------------------------------------------------------------


def build_video_input(request: VideoCreateRequest, endpoint: str) -> FalCall:
    """The input of a text- or image-to-video endpoint (fal serves each as its own endpoint id)."""
    for field, what in (("video_uri", "video-to-video"), ("audio", "an 'audio' switch")):
        if getattr(request, field) is not None:
            raise invalid_request(
                f"fal video endpoints take no {what} through '{field}'; send the endpoint's own fields "
                "as extra params",
                field,
                code="unsupported_parameter",
            )
    known = VIDEO_MODELS.get(endpoint)
    body: dict[str, Any] = {"prompt": request.prompt}
    _input_image(request, endpoint, known, body)
    seconds = _duration(request, endpoint, known, body)
    size = _video_ratio(request, endpoint, known, body)
    for unified in ("negative_prompt", "seed"):
        value = getattr(request, unified)
        if value is None:
            continue
        if known is not None and not getattr(known, unified):
            raise invalid_request(
                f"fal endpoint '{endpoint}' does not take '{unified}'", unified, code="unsupported_parameter"
            )
        body[VIDEO_FIELDS[unified]] = value
    body = _with_extras(body, request.extras)
    cost = known.cost(str(body.get("duration", seconds))) if known is not None and seconds else None
    return FalCall(endpoint, body, seconds, size, cost)


def _input_image(
    request: VideoCreateRequest, endpoint: str, known: FalVideoModel | None, body: dict[str, Any]
) -> None:
    reference = request.input_reference
    if known is not None and known.image_to_video and reference is None:
        raise invalid_request(
            f"fal endpoint '{endpoint}' is image-to-video: send the first frame as 'input_reference'",
            "input_reference",
            code="missing_required_parameter",
        )
    if known is not None and not known.image_to_video and reference is not None:
        raise invalid_request(
            f"fal endpoint '{endpoint}' is text-to-video and takes no input image: use its image-to-video "
            "endpoint (e.g. fal-ai/kling-video/v2.1/master/image-to-video)",
            "input_reference",
            code="unsupported_parameter",
        )
    if reference is not None:
        body[VIDEO_FIELDS["input_reference"]] = reference.as_uri()


def _duration(
    request: VideoCreateRequest, endpoint: str, known: FalVideoModel | None, body: dict[str, Any]
) -> str | None:
    if request.seconds is None:
        return known.default_duration if known is not None else None
    if known is None:
        body[VIDEO_FIELDS["seconds"]] = request.seconds  # as the client wrote it
        return request.seconds
    seconds = request.seconds_number
    duration = str(int(seconds)) if seconds is not None and seconds.is_integer() else request.seconds
    if duration not in known.durations:
        allowed = ", ".join(known.durations)
        raise invalid_request(
            f"fal endpoint '{endpoint}' accepts seconds {allowed}; got {request.seconds!r}", "seconds"
        )
    body[VIDEO_FIELDS["seconds"]] = duration  # fal's enum is of strings: "5", "10"
    return duration


def _video_ratio(
    request: VideoCreateRequest, endpoint: str, known: FalVideoModel | None, body: dict[str, Any]
) -> str | None:
    dimensions = request.dimensions
    if dimensions is None:
        return None
    if known is not None and not known.aspect_ratios:
        raise invalid_request(
            f"fal endpoint '{endpoint}' makes videos shaped like the input image; leave 'size' out",
            "size",
            code="unsupported_parameter",
        )
    allowed = known.aspect_ratios if known is not None else ()
    body[VIDEO_FIELDS["size"]] = checked_ratio(dimensions, allowed, endpoint, request.size)
    return f"{dimensions[0]}x{dimensions[1]}"


def _with_extras(body: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """Endpoint-native fields flow in last, under their own names (and win)."""
    body.update(extras)
    return body
