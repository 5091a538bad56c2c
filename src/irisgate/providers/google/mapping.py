"""Google (Gemini API): the mapping tables, and unified image requests → Imagen `:predict` calls.

Imagen is `POST /v1beta/models/{model}:predict` with `{"instances": [{"prompt"}], "parameters": {…}}`;
its answer holds image bytes only (`predictions[].bytesBase64Encoded`), so irisgate always answers
`b64_json`, as OpenAI's own gpt-image models do. The video side is in `video_mapping.py`.
Field names are the official client's (`google-genai` models.py, `_GenerateImagesConfig_to_mldev`,
`_GenerateVideosConfig_to_mldev`, `_Image_to_mldev`); the values each model takes are in `models.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import gcd
from typing import Any

from irisgate.providers.google.models import IMAGEN_MODELS, ImagenModel
from irisgate.schemas.errors import invalid_request, unsupported_operation
from irisgate.schemas.images import ImageGenerationRequest

# --- mapping tables -------------------------------------------------------------------------------

API_VERSION = "v1beta"

# Imagen's aspect ratios and the pixel size it renders at each `sampleImageSize` (1K is the default)
IMAGEN_PIXELS: dict[str, dict[str, tuple[int, int]]] = {
    "1:1": {"1K": (1024, 1024), "2K": (2048, 2048)},
    "3:4": {"1K": (896, 1280), "2K": (1792, 2560)},
    "4:3": {"1K": (1280, 896), "2K": (2560, 1792)},
    "9:16": {"1K": (768, 1408), "2K": (1536, 2816)},
    "16:9": {"1K": (1408, 768), "2K": (2816, 1536)},
}
DEFAULT_IMAGE_SIZE = "1024x1024"

# unified `output_format` → `parameters.outputOptions.mimeType` (Imagen writes PNG, the default, or JPEG)
IMAGE_MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "jpg": "image/jpeg"}
MIME_FORMATS = {"image/png": "png", "image/jpeg": "jpeg"}

# unified person-generation value → what the official client sends for Imagen (its enum's values)
IMAGEN_PERSON_VALUES = {"dont_allow": "DONT_ALLOW", "allow_adult": "ALLOW_ADULT", "allow_all": "ALLOW_ALL"}

# extra params with a unified (snake_case) name → the Gemini API's; other extras go into `parameters`
RENAMED_EXTRAS = {
    "person_generation": "personGeneration",
    "guidance_scale": "guidanceScale",
    "safety_filter_level": "safetySetting",
    "enhance_prompt": "enhancePrompt",
}

# Gemini API field → the unified field a client sent, to name it in errors (images; videos add theirs)
UNIFIED_PARAM = {
    "prompt": "prompt",
    "sampleCount": "n",
    "aspectRatio": "size",
    "sampleImageSize": "size",
    "resolution": "size",
    "durationSeconds": "seconds",
    "personGeneration": "person_generation",
    "negativePrompt": "negative_prompt",
    "seed": "seed",
    "mimeType": "output_format",
    "compressionQuality": "output_compression",
    "model": "model",
}
VIDEO_PARAM = {**UNIFIED_PARAM, "image": "input_reference", "bytesBase64Encoded": "input_reference"}

# unified fields the Gemini API does not take for Imagen (the official client refuses them in Gemini
# Developer API mode: "only supported in Gemini Enterprise Agent Platform mode")
IMAGEN_UNSUPPORTED = ("negative_prompt", "seed", "num_inference_steps")
OPENAI_OPTIONS_MAPPED = ("output_compression",)

MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", re.ASCII)

# --- shared ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoogleCall:
    """One call to send: the path under the base URL and the JSON body, with what the answer will be."""

    path: str
    body: dict[str, Any]
    size: str | None = None  # the output's pixel size
    seconds: str | None = None  # videos: the duration asked for
    output_format: str | None = None  # images: png | jpeg
    cost_usd: float | None = None  # the estimate from Google's published prices (None: no price known)


def model_path(model: str, method: str) -> str:
    """`/v1beta/models/{model}:{method}`; the model name must be a plain resource id (it goes in a path)."""
    name = model.removeprefix("models/")
    if not MODEL_NAME.fullmatch(name):
        raise invalid_request(
            f"'{model}' is not a Google model name such as imagen-4.0-generate-001", "model"
        )
    return f"/{API_VERSION}/models/{name}:{method}"


def one_of(value: str, allowed: tuple[str, ...], model: str, field: str, what: str | None = None) -> None:
    if value not in allowed:
        listed = ", ".join(allowed)
        raise invalid_request(
            f"Google model '{model}' accepts {what or field} {listed}; got {value!r}", field
        )


def put_extras(body: dict[str, Any], extras: dict[str, Any], reserved: tuple[str, ...]) -> None:
    """Native fields flow into `parameters` (snake_case names the API knows renamed); the envelope
    and the fields the gateway sets stay the gateway's."""
    for name, value in extras.items():
        native = RENAMED_EXTRAS.get(name, name)
        if native in reserved or name in ("instances", "parameters"):
            raise invalid_request(f"'{name}' is set by the gateway and cannot be overridden", name)
        if native != "personGeneration":  # checked and placed by the builders
            body["parameters"][native] = value


# --- images ---------------------------------------------------------------------------------------


def build_image_call(request: ImageGenerationRequest, model: str) -> GoogleCall:
    """The Imagen `:predict` call for a generation (text to image; the Gemini API has no Imagen edits)."""
    if request.stream:
        raise unsupported_operation("image_generation_stream", "google")
    _refuse_unsupported(request, model)
    known = IMAGEN_MODELS.get(model.removeprefix("models/"))
    count = request.n or 1
    if known is not None and count > known.max_images:
        raise invalid_request(
            f"Google model '{model}' makes 1 to {known.max_images} images; got n={count}", "n"
        )
    ratio, tier, pixels = image_size(request.size or DEFAULT_IMAGE_SIZE, known, model)
    parameters: dict[str, Any] = {"sampleCount": count, "aspectRatio": ratio}
    if tier != "1K":  # 1K is the default, and the only size some models (Fast) take
        parameters["sampleImageSize"] = tier
    output_format = _output_options(request, parameters)
    body: dict[str, Any] = {"instances": [{"prompt": request.prompt}], "parameters": parameters}
    extras = dict(request.extras)
    person = extras.get("person_generation", extras.get("personGeneration"))
    put_extras(body, extras, reserved=("sampleCount", "aspectRatio", "sampleImageSize", "outputOptions"))
    if person is not None:
        parameters["personGeneration"] = _imagen_person(person, known, model)
    price = known.usd_per_image if known is not None else None
    return GoogleCall(
        path=model_path(model, "predict"),
        body=body,
        size=f"{pixels[0]}x{pixels[1]}",
        output_format=output_format,
        cost_usd=None if price is None else round(price * count, 6),
    )


def image_size(size: str, known: ImagenModel | None, model: str) -> tuple[str, str, tuple[int, int]]:
    """(aspectRatio, sampleImageSize, pixels) for a `WxH` size: one of Imagen's own pixel sizes, or
    any size of one of its aspect ratios (rendered at the smallest size tier that covers it)."""
    ratios = known.aspect_ratios if known is not None else tuple(IMAGEN_PIXELS)
    tiers = known.image_sizes if known is not None else ("1K", "2K")
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", size)
    width, height = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    for ratio in ratios:
        for tier in tiers:
            if IMAGEN_PIXELS[ratio][tier] == (width, height):
                return ratio, tier, (width, height)
    ratio = _reduced(width, height)
    if ratio in ratios:
        for tier in tiers:
            pixels = IMAGEN_PIXELS[ratio][tier]
            if pixels[0] >= width and pixels[1] >= height:
                return ratio, tier, pixels
    sizes = ", ".join(f"{w}x{h}" for r in ratios for t in tiers for w, h in [IMAGEN_PIXELS[r][t]])
    raise invalid_request(
        f"Google model '{model}' makes images of aspect ratio {', '.join(ratios)} at sizes {sizes} "
        f"(another size of one of those ratios is made at the next size up); got {size!r}",
        "size",
    )


def _reduced(width: int, height: int) -> str:
    if width <= 0 or height <= 0:
        return ""
    divisor = gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


def _refuse_unsupported(request: ImageGenerationRequest, model: str) -> None:
    for option in request.openai_only_options():
        if option not in OPENAI_OPTIONS_MAPPED:
            raise invalid_request(
                f"'{option}' is an OpenAI option that Imagen does not have; send Gemini API fields "
                "(e.g. guidanceScale, safetySetting) as extra params instead",
                option,
                code="unsupported_parameter",
            )
    for name in IMAGEN_UNSUPPORTED:
        if getattr(request, name) is not None:
            raise invalid_request(
                f"'{name}' is not available for Imagen on the Gemini API (only on Vertex AI)",
                name,
                code="unsupported_parameter",
            )


def _output_options(request: ImageGenerationRequest, parameters: dict[str, Any]) -> str:
    """`output_format` → `outputOptions.mimeType`, `output_compression` → its `compressionQuality`."""
    requested = request.output_format
    if requested is not None and requested not in IMAGE_MIME_TYPES:
        raise invalid_request(f"Imagen writes png or jpeg images; got {requested!r}", "output_format")
    mime_type = IMAGE_MIME_TYPES[requested] if requested else None
    if request.output_compression is not None:
        if mime_type != "image/jpeg":
            raise invalid_request(
                "'output_compression' applies to JPEG images: send output_format 'jpeg' with it",
                "output_compression",
            )
        parameters["outputOptions"] = {
            "mimeType": mime_type,
            "compressionQuality": request.output_compression,
        }
    elif mime_type is not None:
        parameters["outputOptions"] = {"mimeType": mime_type}
    return MIME_FORMATS[mime_type] if mime_type else "png"


def _imagen_person(value: Any, known: ImagenModel | None, model: str) -> Any:
    if not isinstance(value, str):
        raise invalid_request(
            "'person_generation' must be a string such as 'allow_adult'", "person_generation"
        )
    lowered = value.lower()
    if known is not None:
        one_of(lowered, known.person_generation, model, "person_generation")
    return IMAGEN_PERSON_VALUES.get(lowered, value)
