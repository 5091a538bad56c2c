"""Checks of `:predict` (Imagen) and `:predictLongRunning` (Veo) bodies: a 400 INVALID_ARGUMENT whose
message names the field, as the Gemini API's do (the wording is the simulator's own)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from ..common.images import sniff_image
from ..common.values import is_int
from .errors import ApiError, invalid
from .models import IMAGEN_PEOPLE, IMAGEN_PIXELS, IMAGEN_RATIOS, VIDEO_PIXELS, Imagen, Veo

IMAGE_MIME_TYPES = {"image/png": "PNG", "image/jpeg": "JPG"}
FRAME_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class ImageJob:
    prompt: str
    count: int
    width: int
    height: int
    output_format: str  # PNG | JPG
    quality: int


@dataclass(frozen=True)
class VideoJob:
    prompt: str
    width: int
    height: int
    seconds: int


def _envelope(body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(body, dict):
        raise invalid("Invalid JSON payload received. Expected an object.")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1 or not isinstance(instances[0], dict):
        raise invalid("`instances` must be a list of exactly one instance.")
    parameters = body.get("parameters", {})
    if not isinstance(parameters, dict):
        raise invalid("`parameters` must be an object.")
    return instances[0], parameters


def _choice(parameters: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = parameters.get(name, default)
    if value not in allowed:
        quoted = ", ".join(f"'{a}'" for a in allowed)
        raise invalid(f"Unsupported `{name}` value {value!r}; supported values are {quoted}.")
    return str(value)


def _prompt(instance: dict[str, Any], required: bool) -> str:
    prompt = instance.get("prompt")
    if prompt is None and not required:
        return ""
    if not isinstance(prompt, str) or not prompt.strip():
        raise invalid("`instances[0].prompt` is required and must be a non-empty string.")
    return prompt


def check_predict(spec: Imagen, body: Any) -> ImageJob:
    instance, parameters = _envelope(body)
    prompt = _prompt(instance, required=True)
    count = parameters.get("sampleCount", 4)  # Imagen's default: four images
    if not is_int(count) or not 1 <= count <= spec.max_images:
        raise invalid(f"`sampleCount` must be an integer between 1 and {spec.max_images}; got {count!r}.")
    ratio = _choice(parameters, "aspectRatio", IMAGEN_RATIOS, "1:1")
    tier = _choice(parameters, "sampleImageSize", spec.sizes, "1K")
    person = parameters.get("personGeneration")
    if person is not None and (not isinstance(person, str) or person.lower() not in IMAGEN_PEOPLE):
        raise invalid(f"Unsupported `personGeneration` value {person!r}.")
    for name in ("negativePrompt", "seed"):
        if name in parameters:
            raise invalid(f"`{name}` isn't supported by this model on the Gemini API.")
    options = parameters.get("outputOptions", {})
    if not isinstance(options, dict):
        raise invalid("`outputOptions` must be an object.")
    mime_type = options.get("mimeType", "image/png")
    if mime_type not in IMAGE_MIME_TYPES:
        raise invalid(f"Unsupported `outputOptions.mimeType` {mime_type!r}; use 'image/png' or 'image/jpeg'.")
    quality = options.get("compressionQuality", 75)
    if not is_int(quality) or not 0 <= quality <= 100:
        raise invalid("`outputOptions.compressionQuality` must be an integer between 0 and 100.")
    width, height = IMAGEN_PIXELS[ratio][tier]
    return ImageJob(prompt, count, width, height, IMAGE_MIME_TYPES[mime_type], max(1, quality))


def check_long_running(spec: Veo, body: Any) -> VideoJob:
    instance, parameters = _envelope(body)
    image = instance.get("image")
    prompt = _prompt(instance, required=image is None)
    if image is not None:
        _check_image(image)
    if "sampleCount" in parameters and parameters["sampleCount"] != 1:
        raise invalid("`sampleCount` must be 1 for this model.")
    ratio = _choice(parameters, "aspectRatio", ("16:9", "9:16"), "16:9")
    if spec.takes_resolution:
        resolution = _choice(parameters, "resolution", spec.resolutions, "720p")
    elif "resolution" in parameters:
        raise invalid("`resolution` isn't supported by this model.")
    else:
        resolution = "720p"
    if resolution in spec.wide_only and ratio != "16:9":
        raise invalid(f"`aspectRatio` must be '16:9' at `resolution` {resolution!r}.")
    seconds = parameters.get("durationSeconds", spec.default_duration)
    if not is_int(seconds) or seconds not in spec.durations:
        allowed = ", ".join(str(d) for d in spec.durations)
        raise invalid(f"`durationSeconds` must be one of {allowed}; got {seconds!r}.")
    if resolution in spec.long_only and seconds != spec.durations[-1]:
        raise invalid(f"`durationSeconds` must be {spec.durations[-1]} at `resolution` {resolution!r}.")
    person = parameters.get("personGeneration")
    allowed_people = spec.people_image if image is not None else spec.people_text
    if person is not None and person not in allowed_people:
        raise invalid(f"{person} for `personGeneration` is currently not supported.")
    if "negativePrompt" in parameters and not isinstance(parameters["negativePrompt"], str):
        raise invalid("`negativePrompt` must be a string.")
    width, height = VIDEO_PIXELS[(ratio, resolution)]
    return VideoJob(prompt, width, height, seconds)


def _check_image(image: Any) -> None:
    if not isinstance(image, dict):
        raise invalid("`instances[0].image` must be an object.")
    if "gcsUri" in image:
        raise invalid(
            "`instances[0].image.gcsUri` isn't supported by the Gemini API; send `bytesBase64Encoded`."
        )
    data, mime_type = image.get("bytesBase64Encoded"), image.get("mimeType")
    if not isinstance(data, str) or not data:
        raise invalid("`instances[0].image.bytesBase64Encoded` is required.")
    if mime_type not in FRAME_TYPES:
        raise invalid(f"Unsupported `instances[0].image.mimeType` {mime_type!r}.")
    try:
        decoded = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("`instances[0].image.bytesBase64Encoded` is not valid base64.") from None
    if sniff_image(decoded) != FRAME_TYPES[mime_type]:
        raise ApiError(400, "Unable to process input image: it does not match its `mimeType`.")
