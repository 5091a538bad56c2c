"""Google (Gemini API): unified video requests → Veo `:predictLongRunning` calls (pure functions).

`POST /v1beta/models/{model}:predictLongRunning` with
`{"instances": [{"prompt", "image": {"bytesBase64Encoded", "mimeType"}}], "parameters": {…}}`
(the official client's `_GenerateVideosParameters_to_mldev`, `_GenerateVideosConfig_to_mldev`,
`_Image_to_mldev`). The answer is an operation whose `name` is the job's upstream id.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from irisgate.providers.google.mapping import GoogleCall, model_path, one_of, put_extras
from irisgate.providers.google.models import IMAGE_TO_VIDEO, TEXT_TO_VIDEO, VEO_MODELS, VeoModel
from irisgate.schemas.errors import invalid_request
from irisgate.schemas.videos import VideoCreateRequest

# --- mapping tables -------------------------------------------------------------------------------

# unified `size` → (`parameters.aspectRatio`, `parameters.resolution`)
VIDEO_SIZES: dict[str, tuple[str, str]] = {
    "1280x720": ("16:9", "720p"),
    "720x1280": ("9:16", "720p"),
    "1920x1080": ("16:9", "1080p"),
    "1080x1920": ("9:16", "1080p"),
    "3840x2160": ("16:9", "4k"),
    "2160x3840": ("9:16", "4k"),
}
DEFAULT_VIDEO_SIZE = "1280x720"
# the first frame goes inline: the Gemini API takes no image URL (`gcsUri` is Vertex AI's only)
FIRST_FRAME_TYPES = ("image/png", "image/jpeg", "image/webp")
# native extras that belong to the instance, not to `parameters`
INSTANCE_EXTRAS = {"last_frame": "lastFrame", "lastFrame": "lastFrame", "referenceImages": "referenceImages"}
# parameters the gateway sets from unified fields (and one video per job: no `sampleCount`)
RESERVED_PARAMETERS = (
    "sampleCount",
    "aspectRatio",
    "resolution",
    "durationSeconds",
    "negativePrompt",
    "seed",
)

# --- building -------------------------------------------------------------------------------------


def build_video_call(request: VideoCreateRequest, model: str) -> GoogleCall:
    known = VEO_MODELS.get(model.removeprefix("models/"))
    if request.video_uri is not None:
        raise invalid_request(
            "Google's Veo on the Gemini API does not take 'video_uri' here",
            "video_uri",
            code="unsupported_parameter",
        )
    _check_audio(request, known, model)
    mode = IMAGE_TO_VIDEO if request.input_reference is not None else TEXT_TO_VIDEO
    instance: dict[str, Any] = {"prompt": request.prompt}
    if request.input_reference is not None:
        instance["image"] = first_frame(request)
    size, ratio, resolution = _size(request, known, model)
    parameters: dict[str, Any] = {"aspectRatio": ratio}
    if resolution is not None:
        parameters["resolution"] = resolution
    seconds = _duration(request, known, model, resolution or "720p")
    if seconds is not None:
        parameters["durationSeconds"] = seconds
    if request.negative_prompt is not None:
        parameters["negativePrompt"] = request.negative_prompt
    if request.seed is not None:
        if known is not None:  # the official client refuses `seed` in Gemini Developer API mode
            raise invalid_request(
                f"Google model '{model}' takes no 'seed' on the Gemini API (only on Vertex AI)",
                "seed",
                code="unsupported_parameter",
            )
        parameters["seed"] = request.seed
    body: dict[str, Any] = {"instances": [instance], "parameters": parameters}
    extras = dict(request.extras)
    for name, native in INSTANCE_EXTRAS.items():
        if name in extras:
            instance[native] = extras.pop(name)
    person = extras.get("person_generation", extras.get("personGeneration"))
    put_extras(body, extras, RESERVED_PARAMETERS)
    if person is not None:
        parameters["personGeneration"] = _person(person, known, model, mode)
    price = known.price_per_second(resolution) if known is not None else None
    return GoogleCall(
        path=model_path(model, "predictLongRunning"),
        body=body,
        size=size,
        seconds=None if seconds is None else str(seconds),
        cost_usd=None if price is None or seconds is None else round(price * seconds, 6),
    )


def first_frame(request: VideoCreateRequest) -> dict[str, str]:
    """`input_reference` → `{"bytesBase64Encoded", "mimeType"}`: an upload, or a data URI (forwarded
    as it came, already checked by the server). A URL is refused: the Gemini API takes image bytes."""
    reference = request.input_reference
    assert reference is not None
    if reference.upload is not None:
        data = base64.b64encode(reference.upload.data).decode("ascii")
        return {"bytesBase64Encoded": data, "mimeType": reference.upload.media_type}
    uri = str(reference.uri)
    if uri[:5].lower() != "data:":
        raise invalid_request(
            "Veo on the Gemini API takes the first frame as image bytes, not a URL: upload the image "
            "(a file part) or send it as a data URI",
            "input_reference",
        )
    head, comma, payload = uri.partition(",")
    declared = head[5:].split(";")[0].strip().lower()
    mime_type = declared if declared in FIRST_FRAME_TYPES else _sniffed(payload)
    if not comma or ";base64" not in head.lower() or mime_type is None:
        raise invalid_request(
            "'input_reference' must be a base64 data URI of a PNG, JPEG or WEBP image", "input_reference"
        )
    return {"bytesBase64Encoded": payload, "mimeType": mime_type}


def _sniffed(payload: str) -> str | None:
    try:
        head = base64.b64decode(payload[:16])
    except (binascii.Error, ValueError):
        return None
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "image/webp" if head[:4] == b"RIFF" and head[8:12] == b"WEBP" else None


def allowed_sizes(known: VeoModel) -> list[str]:
    """The unified sizes a model takes (its aspect ratios at its resolutions)."""
    sizes = []
    for size, (ratio, resolution) in VIDEO_SIZES.items():
        if known.resolutions and resolution not in known.resolutions:
            continue
        if not known.resolutions and resolution != "720p":
            continue
        if ratio in known.resolution_ratios.get(resolution, known.aspect_ratios):
            sizes.append(size)
    return sizes


def _size(request: VideoCreateRequest, known: VeoModel | None, model: str) -> tuple[str, str, str | None]:
    """(the size, `aspectRatio`, `resolution` or None when the model takes none)."""
    dimensions = request.dimensions
    size = f"{dimensions[0]}x{dimensions[1]}" if dimensions else DEFAULT_VIDEO_SIZE
    allowed = allowed_sizes(known) if known is not None else list(VIDEO_SIZES)
    if size not in allowed:
        raise invalid_request(
            f"Google model '{model}' accepts size {', '.join(allowed)}; got {size!r}", "size"
        )
    ratio, resolution = VIDEO_SIZES[size]
    return size, ratio, resolution if known is None or known.resolutions else None


def _duration(request: VideoCreateRequest, known: VeoModel | None, model: str, resolution: str) -> int | None:
    seconds = request.seconds_number
    if seconds is None:
        return known.default_duration if known is not None else None
    if not seconds.is_integer():
        raise invalid_request(f"Veo takes whole seconds; got {request.seconds!r}", "seconds")
    duration = int(seconds)
    if known is not None:
        one_of(str(duration), tuple(str(d) for d in known.durations), model, "seconds")
        at_resolution = known.resolution_durations.get(resolution, known.durations)
        if duration not in at_resolution:
            allowed = ", ".join(str(d) for d in at_resolution)
            raise invalid_request(
                f"Google model '{model}' accepts seconds {allowed} at {resolution}; got {duration}", "seconds"
            )
    return duration


def _check_audio(request: VideoCreateRequest, known: VeoModel | None, model: str) -> None:
    """The Gemini API has no audio switch (`generateAudio` is Vertex AI's only): Veo 3 models always
    make their soundtrack, so `audio: true` is what they do anyway and anything else is refused."""
    if request.audio is None or (request.audio and known is not None and known.native_audio):
        return
    what = "always generates audio" if known is not None and known.native_audio else "has no audio switch"
    raise invalid_request(
        f"Google model '{model}' {what} on the Gemini API; leave 'audio' out",
        "audio",
        code="unsupported_parameter",
    )


def _person(value: Any, known: VeoModel | None, model: str, mode: str) -> Any:
    if not isinstance(value, str):
        raise invalid_request(
            "'person_generation' must be a string such as 'allow_adult'", "person_generation"
        )
    lowered = value.lower()
    allowed = known.person_generation.get(mode) if known is not None else None
    if allowed:
        one_of(lowered, allowed, model, "person_generation", f"person_generation (for {mode})")
    return lowered
