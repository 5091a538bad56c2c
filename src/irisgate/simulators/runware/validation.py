"""Field checks for Runware tasks (400, camelCase `code`, `parameter` naming the field).

Limits (generic AIRs; the real API is per model): positivePrompt / negativePrompt 2-3000 characters
after stripping; width and height multiples of 64 in 128-2048, given together (default 1024x1024);
numberResults 1-20; steps 1-100; CFGScale 0-30; strength 0-1; outputQuality 20-99; seed 0-2^63-1;
clipSkip 0-2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..common.values import is_int, is_number
from .errors import invalid
from .inputs import ImageRef, check_image_refs
from .media import MediaStore, image_size
from .settings import (
    DEFAULT_DIMENSION,
    DIMENSION_MAX,
    DIMENSION_MIN,
    DIMENSION_STEP,
    NUMBER_RESULTS_MAX,
    PROMPT_MAX_CHARS,
    PROMPT_MIN_CHARS,
    RunwareSimSettings,
)

_UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_AIR = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+$")

OUTPUT_TYPES = ("URL", "base64Data", "dataURI")
IMAGE_OUTPUT_FORMATS = ("JPG", "PNG", "WEBP")
DELIVERY_METHODS = ("sync", "async")
SEED_MAX = 2**63 - 1

# Fields the reference documents for every inference task (imageInference, videoInference); each task
# adds its own (`reject_unknown_fields` refuses any other).
INFERENCE_FIELDS = frozenset(
    {
        "taskType",
        "taskUUID",
        "model",
        "positivePrompt",
        "negativePrompt",
        "width",
        "height",
        "numberResults",
        "outputType",
        "outputFormat",
        "outputQuality",
        "deliveryMethod",
        "includeCost",
        "uploadEndpoint",
        "webhookURL",
        "ttl",
        "seed",
        "steps",
        "CFGScale",
        "scheduler",
        "lora",
        "referenceImages",
        "inputs",
        "providerSettings",
        "safety",
        "settings",
        "acceleration",
        "resolution",
    }
)

IMAGE_INFERENCE_FIELDS = INFERENCE_FIELDS | frozenset(
    {
        "seedImage",
        "maskImage",
        "strength",
        "maskMargin",
        "outpaint",
        "clipSkip",
        "promptWeighting",
        "lycoris",
        "embeddings",
        "controlNet",
        "ipAdapters",
        "refiner",
        "vae",
        "checkNSFW",
        "checkNsfw",
        "acceleratorOptions",
        "advancedFeatures",
        "useCache",
        "puLID",
        "instantID",
        "acePlusPlus",
        "photoMaker",
    }
)


def is_uuid4(value: Any) -> bool:
    return isinstance(value, str) and bool(_UUID4.match(value))


def check_task_uuid(task: dict[str, Any]) -> str:
    value = task.get("taskUUID")
    if value is None:
        raise invalid(
            task,
            "taskUUID",
            "Invalid value for 'taskUUID' parameter. It is required and must be a UUID v4 string.",
            type_="string",
        )
    if not is_uuid4(value):
        raise invalid(
            task,
            "taskUUID",
            f"Invalid value for 'taskUUID' parameter. '{value}' is not a valid UUID v4.",
            type_="string",
        )
    return value


def check_model(task: dict[str, Any], settings: RunwareSimSettings) -> str:
    model = task.get("model")
    if not isinstance(model, str) or not model.strip():
        raise invalid(
            task,
            "model",
            "Invalid value for 'model' parameter. A model AIR identifier (provider:id@version) is required.",
            code="invalidModel",
            type_="string",
        )
    if not _AIR.match(model):
        raise invalid(
            task,
            "model",
            f"Invalid value for 'model' parameter. '{model}' is not a valid AIR "
            "identifier (provider:id@version).",
            code="invalidModel",
            type_="string",
        )
    if settings.known_models is not None and model not in settings.known_models:
        raise invalid(
            task,
            "model",
            f"Invalid value for 'model' parameter. Model '{model}' was not found.",
            code="invalidModel",
            type_="string",
        )
    return model


def check_prompt(task: dict[str, Any], parameter: str, *, required: bool) -> str | None:
    value = task.get(parameter)
    if value is None:
        if required:
            raise invalid(
                task,
                parameter,
                f"Missing required parameter '{parameter}'.",
                code="missingParameter",
                type_="string",
            )
        return None
    if not isinstance(value, str):
        raise invalid(
            task, parameter, f"Invalid value for '{parameter}' parameter. Must be a string.", type_="string"
        )
    length = len(value.strip())
    if not PROMPT_MIN_CHARS <= length <= PROMPT_MAX_CHARS:
        raise invalid(
            task,
            parameter,
            f"Invalid value for '{parameter}' parameter. Length must be between "
            f"{PROMPT_MIN_CHARS} and {PROMPT_MAX_CHARS} characters.",
            type_="string",
        )
    return value


def check_size_pair(task: dict[str, Any], problem: Callable[[Any], str | None]) -> tuple[Any, Any] | None:
    """(width, height) as given, or None when neither is; they must come together, and ``problem`` names
    what is wrong with one value (None when it is fine). Raises `invalidWidth` / `invalidHeight`."""
    width, height = task.get("width"), task.get("height")
    if width is None and height is None:
        return None
    for name, value, other in (("width", width, "height"), ("height", height, "width")):
        code = "invalidWidth" if name == "width" else "invalidHeight"
        if value is None:
            raise invalid(
                task,
                name,
                f"Invalid value for '{name}' parameter. '{name}' and '{other}' must be used together.",
                code=code,
                type_="integer",
            )
        wrong = problem(value)
        if wrong is not None:
            raise invalid(
                task, name, f"Invalid value for '{name}' parameter. {wrong}", code=code, type_="integer"
            )
    return width, height


def _image_dimension_problem(value: Any) -> str | None:
    if is_int(value) and value % DIMENSION_STEP == 0 and DIMENSION_MIN <= value <= DIMENSION_MAX:
        return None
    return f"It must be a multiple of {DIMENSION_STEP} between {DIMENSION_MIN} and {DIMENSION_MAX}."


def check_dimensions(task: dict[str, Any]) -> tuple[int, int] | None:
    """The requested (width, height), or None when neither is given."""
    return check_size_pair(task, _image_dimension_problem)


def check_enum(task: dict[str, Any], parameter: str, allowed: tuple[str, ...], default: str) -> str:
    value = task.get(parameter, default)
    if value not in allowed:
        raise invalid(
            task,
            parameter,
            f"Invalid value for '{parameter}' parameter. Allowed values: {', '.join(allowed)}.",
            type_="string",
        )
    return value


def check_output_types(task: dict[str, Any]) -> list[str]:
    """`outputType` as a list: the string form, or runware 0.5.x's list form."""
    value = task.get("outputType", "URL")
    values = value if isinstance(value, list) and value else [value]
    for item in values:
        if not isinstance(item, str) or item not in OUTPUT_TYPES:
            raise invalid(
                task,
                "outputType",
                f"Invalid value for 'outputType' parameter. Allowed values: {', '.join(OUTPUT_TYPES)}.",
                type_="string",
            )
    return list(dict.fromkeys(values))


def check_range(
    task: dict[str, Any], parameter: str, low: float, high: float, *, integer: bool
) -> float | int | None:
    value = task.get(parameter)
    if value is None:
        return None
    kind = "integer" if integer else "number"
    ok = is_int(value) if integer else is_number(value)
    if not ok or not low <= value <= high:
        raise invalid(
            task,
            parameter,
            f"Invalid value for '{parameter}' parameter. Must be a {kind} between {low:g} and {high:g}.",
            type_="integer" if integer else "float",
        )
    return value


def check_bool(task: dict[str, Any], parameter: str) -> bool:
    value = task.get(parameter, False)
    if not isinstance(value, bool):
        raise invalid(
            task, parameter, f"Invalid value for '{parameter}' parameter. Must be a boolean.", type_="boolean"
        )
    return value


def check_known_fields(task: dict[str, Any], allowed: frozenset[str]) -> None:
    for key in task:
        if key not in allowed:
            raise invalid(
                task, key, f"Unsupported parameter '{key}' for this model.", code="unsupportedParameter"
            )


def check_task_head(task: dict[str, Any], settings: RunwareSimSettings, fields: frozenset[str]) -> str:
    """The first checks of every inference task: unknown fields (when refused), then the model AIR."""
    if settings.reject_unknown_fields:
        check_known_fields(task, fields)
    return check_model(task, settings)


def check_prompts(task: dict[str, Any], *, required: bool) -> str:
    """`positivePrompt` ("" when absent and not ``required``), then `negativePrompt`."""
    prompt = check_prompt(task, "positivePrompt", required=required) or ""
    check_prompt(task, "negativePrompt", required=False)
    return prompt


@dataclass(frozen=True)
class ImageRequest:
    """A validated imageInference task, reduced to what the simulator needs to answer it."""

    task_uuid: str
    model: str
    prompt: str
    width: int
    height: int
    number_results: int
    output_types: list[str]
    output_format: str
    output_quality: int
    delivery: str
    include_cost: bool
    check_nsfw: bool
    seed: int | None
    images: dict[str, ImageRef]


def _wants_nsfw_check(task: dict[str, Any]) -> bool:
    safety = task.get("safety")
    if isinstance(safety, dict) and safety.get("checkContent") is True:
        return True
    return task.get("checkNSFW") is True or task.get("checkNsfw") is True


def _has_seed_image(task: dict[str, Any]) -> bool:
    inputs = task.get("inputs")
    nested = isinstance(inputs, dict) and ("seedImage" in inputs or "image" in inputs)
    return "seedImage" in task or nested


def _seed_image_size(images: dict[str, ImageRef]) -> tuple[int, int] | None:
    """Output size when width/height are absent: the seed image's, snapped to the allowed grid."""
    for key in ("seedImage", "inputs.seedImage", "inputs.image"):
        ref = images.get(key)
        if ref is not None and ref.data is not None:
            size = image_size(ref.data)
            if size:
                snap = [
                    min(DIMENSION_MAX, max(DIMENSION_MIN, v // DIMENSION_STEP * DIMENSION_STEP)) for v in size
                ]
                return snap[0], snap[1]
    return None


def validate_image_inference(
    task: dict[str, Any], settings: RunwareSimSettings, media: MediaStore
) -> ImageRequest:
    """Check an imageInference task in the order the real API reports problems; raise TaskFailure."""
    model = check_task_head(task, settings, IMAGE_INFERENCE_FIELDS)
    prompt = check_prompts(task, required=not _has_seed_image(task))
    dimensions = check_dimensions(task)
    output_types = check_output_types(task)
    output_format = check_enum(task, "outputFormat", IMAGE_OUTPUT_FORMATS, "JPG")
    delivery = check_enum(task, "deliveryMethod", DELIVERY_METHODS, "sync")
    number_results = check_range(task, "numberResults", 1, NUMBER_RESULTS_MAX, integer=True) or 1
    check_range(task, "steps", 1, 100, integer=True)
    check_range(task, "CFGScale", 0, 30, integer=False)
    check_range(task, "strength", 0, 1, integer=False)
    check_range(task, "clipSkip", 0, 2, integer=True)
    quality = check_range(task, "outputQuality", 20, 99, integer=True) or 95
    seed = check_range(task, "seed", 0, SEED_MAX, integer=True)
    include_cost = check_bool(task, "includeCost")
    images = check_image_refs(task, media)
    width, height = dimensions or _seed_image_size(images) or (DEFAULT_DIMENSION, DEFAULT_DIMENSION)
    return ImageRequest(
        task_uuid=task["taskUUID"],
        model=model,
        prompt=prompt,
        width=width,
        height=height,
        number_results=int(number_results),
        output_types=output_types,
        output_format=output_format,
        output_quality=int(quality),
        delivery=delivery,
        include_cost=include_cost,
        check_nsfw=_wants_nsfw_check(task),
        seed=None if seed is None else int(seed),
        images=images,
    )
