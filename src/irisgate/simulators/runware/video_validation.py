"""Field checks for `videoInference` (400, camelCase `code`, `parameter` naming the field).

- `deliveryMethod` is required and must be "async" (reference §1.6: video models allow one value):
  absent -> `missingParameter`, any other value -> `invalidParameter`.
- `positivePrompt` 2-3000 characters, required unless frame images are given; `negativePrompt` too.
- `duration` (seconds) and `width` x `height` per model (video_models; the generic rule for AIRs not in
  the table); width and height go together (`invalidWidth` / `invalidHeight`).
- `fps` integer 1-60 (default 12, the simulator's frame rate); `numberResults` 1-20; `outputType`
  "URL" only; `outputFormat` MP4 (default) | WEBM | MOV; `outputQuality` 20-99; `seed` 0-2^63-1;
  `steps` 1-100; `CFGScale` 0-30; `providerSettings` an object.
- Frame images, either the legacy flat `frameImages:[{inputImage, frame?}]` or the nested
  `inputs.frameImages:[{image, frame?}]` (not both); `frame` is "first" | "last" | an integer >= 0.
  Models in `settings.flat_frames_rejected_models` refuse the flat form with `unsupportedParameter`.
  Each image is checked like `seedImage` (known imageUUID, http(s) URL, data URI, raw base64).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..common.values import is_int, is_number
from .errors import invalid
from .inputs import ImageRef, resolve_image_ref
from .media import MediaStore
from .settings import NUMBER_RESULTS_MAX, RunwareSimSettings
from .validation import (
    INFERENCE_FIELDS,
    SEED_MAX,
    check_bool,
    check_enum,
    check_prompts,
    check_range,
    check_size_pair,
    check_task_head,
)
from .video_encoding import VIDEO_FORMATS
from .video_models import VideoModel, generic_dimension_ok, video_model

DEFAULT_VIDEO_FPS = 12
FPS_MAX = 60

VIDEO_INFERENCE_FIELDS = INFERENCE_FIELDS | frozenset(
    {
        "duration",
        "fps",
        "routing",
        "speech",
        "frameImages",
        "referenceVideos",
        "inputAudios",
    }
)


@dataclass(frozen=True)
class FrameImage:
    parameter: str  # e.g. "frameImages[0].inputImage" or "inputs.frameImages[1].image"
    ref: ImageRef
    frame: str | int  # "first" | "last" | frame index


@dataclass(frozen=True)
class VideoRequest:
    """A validated videoInference task, reduced to what the simulator needs to answer it."""

    task_uuid: str
    model: str
    prompt: str
    duration: float
    width: int
    height: int
    fps: int
    number_results: int
    output_format: str
    include_cost: bool
    check_nsfw: bool
    seed: int | None
    frames: tuple[FrameImage, ...]


def _check_delivery(task: dict[str, Any]) -> None:
    value = task.get("deliveryMethod")
    if value is None:
        raise invalid(
            task,
            "deliveryMethod",
            "Missing required parameter 'deliveryMethod'. Video inference only supports 'async'.",
            code="missingParameter",
            type_="string",
        )
    if value != "async":
        raise invalid(
            task,
            "deliveryMethod",
            "Invalid value for 'deliveryMethod' parameter. Allowed values: async.",
            type_="string",
        )


def _frame_entries(task: dict[str, Any], settings: RunwareSimSettings, model: str) -> list[tuple[str, Any]]:
    """(parameter prefix, entry) of every frame image, in either shape; shape errors raise."""
    flat = task.get("frameImages")
    inputs = task.get("inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise invalid(
            task, "inputs", "Invalid value for 'inputs' parameter. Must be an object.", type_="object"
        )
    nested = inputs.get("frameImages") if isinstance(inputs, dict) else None
    if flat is not None and model in settings.flat_frames_rejected_models:
        raise invalid(
            task,
            "frameImages",
            f"Unsupported parameter 'frameImages' for model '{model}'. Use 'inputs.frameImages' instead.",
            code="unsupportedParameter",
            type_="array",
        )
    if flat is not None and nested is not None:
        raise invalid(
            task,
            "frameImages",
            "Invalid value for 'frameImages' parameter. Use either 'frameImages' or 'inputs.frameImages', "
            "not both.",
            type_="array",
        )
    entries: list[tuple[str, Any]] = []
    for parameter, value in (("frameImages", flat), ("inputs.frameImages", nested)):
        if value is None:
            continue
        if not isinstance(value, list) or not value:
            raise invalid(
                task,
                parameter,
                f"Invalid value for '{parameter}' parameter. Must be a non-empty array of objects.",
                type_="array",
            )
        entries.extend((f"{parameter}[{i}]", entry) for i, entry in enumerate(value))
    return entries


def _check_frame(task: dict[str, Any], parameter: str, entry: dict[str, Any]) -> str | int:
    frame = entry.get("frame", "first")
    ok = frame in ("first", "last") or (is_int(frame) and frame >= 0)
    if not ok:
        raise invalid(
            task,
            f"{parameter}.frame",
            f"Invalid value for '{parameter}.frame' parameter. Allowed values: first, last, or a "
            "frame index (integer >= 0).",
            type_="string",
        )
    return frame


def _check_frames(
    task: dict[str, Any], settings: RunwareSimSettings, media: MediaStore, model: str
) -> tuple[FrameImage, ...]:
    frames: list[FrameImage] = []
    for prefix, entry in _frame_entries(task, settings, model):
        key = "inputImage" if prefix.startswith("frameImages") else "image"
        if not isinstance(entry, dict):
            raise invalid(
                task, prefix, f"Invalid value for '{prefix}' parameter. Must be an object.", type_="object"
            )
        parameter = f"{prefix}.{key}"
        if entry.get(key) is None:
            raise invalid(
                task, parameter, f"Missing required parameter '{parameter}'.", code="missingParameter"
            )
        ref = resolve_image_ref(entry[key], task=task, parameter=parameter, media=media)
        if ref.data is not None and ref.image_format is None:  # e.g. the UUID of a video
            raise invalid(
                task,
                parameter,
                f"Invalid value for '{parameter}' parameter. The referenced media is not an image.",
                type_="string",
            )
        frames.append(FrameImage(parameter, ref, _check_frame(task, prefix, entry)))
    return tuple(frames)


def _check_reference_images(task: dict[str, Any], media: MediaStore) -> None:
    inputs = task.get("inputs") if isinstance(task.get("inputs"), dict) else {}
    for parameter, value in (
        ("referenceImages", task.get("referenceImages")),
        ("inputs.referenceImages", inputs.get("referenceImages")),
    ):
        if isinstance(value, list):
            for i, item in enumerate(value):
                ref = item.get("image") if isinstance(item, dict) else item
                resolve_image_ref(ref, task=task, parameter=f"{parameter}[{i}]", media=media)


def _check_duration(task: dict[str, Any], spec: VideoModel) -> float:
    value = task.get("duration")
    if value is None:
        return float(spec.default_duration)
    if not is_number(value) or not spec.allows_duration(value):
        raise invalid(
            task,
            "duration",
            f"Invalid value for 'duration' parameter. Model '{spec.name}' supports durations "
            f"(seconds): {spec.duration_rule()}.",
            type_="float",
        )
    return float(value)


def _check_size(task: dict[str, Any], spec: VideoModel) -> tuple[int, int]:
    size = check_size_pair(task, lambda value: None if is_int(value) else "Must be an integer.")
    if size is None:
        return spec.default_size
    width, height = size
    if spec.allows_size(width, height):
        return width, height
    if spec.sizes is None:
        bad = "height" if generic_dimension_ok(width) else "width"
    else:
        bad = "height" if any(w == width for w, _ in spec.sizes) else "width"
    raise invalid(
        task,
        bad,
        f"Invalid value for '{bad}' parameter. Model '{spec.name}' supports width x height: "
        f"{spec.size_rule()}.",
        code="invalidWidth" if bad == "width" else "invalidHeight",
        type_="integer",
    )


def _check_output_type(task: dict[str, Any]) -> None:
    value = task.get("outputType", "URL")
    values = value if isinstance(value, list) and value else [value]
    if any(v != "URL" for v in values):
        raise invalid(
            task,
            "outputType",
            "Invalid value for 'outputType' parameter. Allowed values for video: URL.",
            type_="string",
        )


def _wants_nsfw_check(task: dict[str, Any]) -> bool:
    safety = task.get("safety")
    return isinstance(safety, dict) and safety.get("checkContent") is True


def validate_video_inference(
    task: dict[str, Any], settings: RunwareSimSettings, media: MediaStore
) -> VideoRequest:
    """Check a videoInference task; raise TaskFailure (400) on the first problem."""
    model = check_task_head(task, settings, VIDEO_INFERENCE_FIELDS)
    spec = video_model(model)
    _check_delivery(task)
    frames = _check_frames(task, settings, media, model)
    prompt = check_prompts(task, required=not frames)
    duration = _check_duration(task, spec)
    width, height = _check_size(task, spec)
    fps = check_range(task, "fps", 1, FPS_MAX, integer=True) or DEFAULT_VIDEO_FPS
    _check_output_type(task)
    output_format = check_enum(task, "outputFormat", tuple(VIDEO_FORMATS), "MP4")
    number_results = check_range(task, "numberResults", 1, NUMBER_RESULTS_MAX, integer=True) or 1
    check_range(task, "steps", 1, 100, integer=True)
    check_range(task, "CFGScale", 0, 30, integer=False)
    check_range(task, "outputQuality", 20, 99, integer=True)
    seed = check_range(task, "seed", 0, SEED_MAX, integer=True)
    include_cost = check_bool(task, "includeCost")
    provider_settings = task.get("providerSettings")
    if provider_settings is not None and not isinstance(provider_settings, dict):
        raise invalid(
            task,
            "providerSettings",
            "Invalid value for 'providerSettings' parameter. Must be an object keyed by provider.",
            type_="object",
        )
    _check_reference_images(task, media)
    return VideoRequest(
        task_uuid=task["taskUUID"],
        model=model,
        prompt=prompt,
        duration=duration,
        width=width,
        height=height,
        fps=int(fps),
        number_results=int(number_results),
        output_format=output_format,
        include_cost=include_cost,
        check_nsfw=_wants_nsfw_check(task),
        seed=None if seed is None else int(seed),
        frames=frames,
    )
