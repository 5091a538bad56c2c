"""A unified video request → the Runway endpoint and JSON body (the Runway seed page's table).

Endpoint by inputs: `video_uri` → video_to_video, `input_reference` → image_to_video, else
text_to_video. prompt→promptText, input_reference→promptImage (uploads as a data URI, at most
5 MB), seconds→integer duration, size `WxH`→ratio `W:H` (default 1280x720), seed, audio,
video_uri→videoUri; extra params `references`, `content_moderation`, `reference_images` and any
other native field pass through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from irisgate.providers.runway.models import (
    IMAGE_TO_VIDEO,
    RUNWAY_MODELS,
    TEXT_TO_VIDEO,
    VIDEO_TO_VIDEO,
    RunwayModel,
)
from irisgate.schemas.errors import invalid_request
from irisgate.schemas.videos import VideoCreateRequest

DEFAULT_SIZE = "1280x720"
DEFAULT_SECONDS = 2
DATA_URI_LIMIT = 5 * 1024 * 1024  # Runway's limit for an image data URI (encoded length)
RENAMED_EXTRAS = {"content_moderation": "contentModeration", "reference_images": "referenceImages"}
ENDPOINT_NAMES = {
    TEXT_TO_VIDEO: "text-to-video",
    IMAGE_TO_VIDEO: "image-to-video",
    VIDEO_TO_VIDEO: "video-to-video",
}


@dataclass(frozen=True)
class RunwayCall:
    path: str
    body: dict[str, Any]
    seconds: str | None
    size: str | None


def build_video_call(request: VideoCreateRequest, model: str) -> RunwayCall:
    known = RUNWAY_MODELS.get(model)
    path = (
        VIDEO_TO_VIDEO if request.video_uri else IMAGE_TO_VIDEO if request.input_reference else TEXT_TO_VIDEO
    )
    if known is not None:
        _check_endpoint(known, model, path)
    body: dict[str, Any] = {"model": model, "promptText": request.prompt}
    if request.input_reference is not None:
        body["promptImage"] = _prompt_image(request)
    if request.video_uri is not None:
        body["videoUri"] = request.video_uri
    size = _ratio(request, known, model, path, body)
    seconds = _duration(request, known, model, body)
    _optional_fields(request, known, model, body)
    for name, value in request.extras.items():
        body[RENAMED_EXTRAS.get(name, name)] = value
    return RunwayCall(path, body, seconds, size)


def _check_endpoint(known: RunwayModel, model: str, path: str) -> None:
    if path in known.endpoints:
        return
    modes = ", ".join(ENDPOINT_NAMES[e] for e in known.endpoints)
    needs = {
        IMAGE_TO_VIDEO: ("input_reference", "an input image"),
        VIDEO_TO_VIDEO: ("video_uri", "a source video"),
    }
    if IMAGE_TO_VIDEO in known.endpoints and TEXT_TO_VIDEO not in known.endpoints and path == TEXT_TO_VIDEO:
        field, what = needs[IMAGE_TO_VIDEO]
        raise invalid_request(
            f"Runway model '{model}' does image-to-video only: send {what} as '{field}'", field
        )
    if VIDEO_TO_VIDEO in known.endpoints and path != VIDEO_TO_VIDEO:
        field, what = needs[VIDEO_TO_VIDEO]
        raise invalid_request(
            f"Runway model '{model}' does video-to-video only: send {what} as '{field}'", field
        )
    param = "video_uri" if path == VIDEO_TO_VIDEO else "input_reference"
    raise invalid_request(
        f"Runway model '{model}' does not do {ENDPOINT_NAMES[path]} (it does: {modes})", param
    )


def _prompt_image(request: VideoCreateRequest) -> str:
    reference = request.input_reference
    assert reference is not None
    uri = reference.as_uri()
    if uri.startswith("data:") and len(uri) > DATA_URI_LIMIT:
        raise invalid_request(
            f"'input_reference' is {len(uri) / 1_048_576:.1f} MB as a data URI; Runway accepts at most 5 MB "
            "(send a smaller image, or an HTTPS URL)",
            "input_reference",
            code="file_too_large",
        )
    return uri


def _ratio(
    request: VideoCreateRequest, known: RunwayModel | None, model: str, path: str, body: dict[str, Any]
) -> str | None:
    allowed = known.ratios[path] if known is not None else ()
    if request.size is None and known is not None and known.ratio_optional:
        return None
    dimensions = request.dimensions
    if dimensions is None:
        default = DEFAULT_SIZE.replace("x", ":")
        ratio = default if not allowed or default in allowed else allowed[0]
    else:
        ratio = f"{dimensions[0]}:{dimensions[1]}"
        if allowed and ratio not in allowed:
            sizes = ", ".join(r.replace(":", "x") for r in allowed)
            raise invalid_request(
                f"Runway model '{model}' accepts size {sizes}; got {request.size!r}", "size"
            )
    body["ratio"] = ratio
    return ratio.replace(":", "x")


def _duration(
    request: VideoCreateRequest, known: RunwayModel | None, model: str, body: dict[str, Any]
) -> str | None:
    if known is not None and not known.durations:
        if request.seconds is not None:
            raise invalid_request(
                f"Runway model '{model}' takes the duration of its source video; leave 'seconds' out",
                "seconds",
            )
        return None
    seconds = request.seconds_number
    if seconds is None:
        duration = known.default_duration if known is not None else DEFAULT_SECONDS
    elif not seconds.is_integer():
        raise invalid_request(f"Runway takes whole seconds; got {request.seconds!r}", "seconds")
    else:
        duration = int(seconds)
    if known is not None and duration not in known.durations:
        allowed = ", ".join(str(d) for d in known.durations)
        raise invalid_request(f"Runway model '{model}' accepts seconds {allowed}; got {duration}", "seconds")
    body["duration"] = duration
    return str(duration)


def _optional_fields(
    request: VideoCreateRequest, known: RunwayModel | None, model: str, body: dict[str, Any]
) -> None:
    options = (
        ("seed", "seed", "seed"),
        ("audio", "audio", "audio"),
        ("negative_prompt", "negativePrompt", "negative_prompt"),
    )
    for unified, native, capability in options:
        value = getattr(request, unified)
        if value is None:
            continue
        if known is not None and not getattr(known, capability):
            raise invalid_request(
                f"Runway model '{model}' does not take '{unified}'", unified, code="unsupported_parameter"
            )
        body[native] = value
