"""A generation's JSON body or an edit's form → a checked `Job`, or the 400 OpenAI would answer.

JSON fields must have their JSON types; form fields are text, and numbers and booleans are read
from it (the SDK sends every scalar of a multipart edit as text). Unknown fields, fields the model
does not take, values outside the model's table and missing `prompt` / `image` are refused with
OpenAI's error object naming the `param`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..common.images import image_size, sniff_image
from .errors import (
    ApiError,
    invalid_type,
    invalid_value,
    missing_parameter,
    out_of_range,
    unknown_parameter,
)
from .models import (
    DEFAULT_EDIT_MODEL,
    DEFAULT_MODEL,
    EDIT_PARAMS,
    GENERATE_PARAMS,
    GPT_ONLY,
    MODELS,
    OUTPUT_FORMATS,
    SimModel,
    flexible_size_ok,
)

PNG_LIMIT = 4 * 1024 * 1024
INPUT_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass
class Upload:
    data: bytes
    filename: str | None
    content_type: str | None


@dataclass
class Job:
    """What to make: checked, with OpenAI's defaults filled in."""

    operation: str  # "generation" | "edit"
    model: str
    spec: SimModel
    prompt: str
    n: int
    width: int
    height: int
    output_format: str  # png | jpeg | webp
    quality: str  # as answered: low | medium | high (| xhigh | max) for GPT models, standard | hd for DALL·E
    background: str  # opaque | transparent
    response_format: str  # b64_json | url
    compression: int
    stream: bool
    partial_images: int
    inputs: list[Upload] = field(default_factory=list)

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


def check_generation(body: Any) -> Job:
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return _job("generation", Fields(body, form=False), GENERATE_PARAMS, DEFAULT_MODEL, [])


def check_edit(fields: dict[str, Any], images: list[Upload], masks: list[Upload]) -> Job:
    job = _job("edit", Fields(fields, form=True), EDIT_PARAMS, DEFAULT_EDIT_MODEL, images)
    if not images:
        raise missing_parameter("image")
    if len(images) > job.spec.max_edit_images:
        raise ApiError(
            400,
            f"Invalid 'image': too many images. Expected at most {job.spec.max_edit_images}, "
            f"got {len(images)}.",
            param="image",
            code="invalid_value",
        )
    formats = [_image_format(image, "image") for image in images]
    if not job.spec.gpt:
        size = image_size(images[0].data)
        if formats[0] != "PNG" or size is None or size[0] != size[1] or len(images[0].data) >= PNG_LIMIT:
            raise ApiError(
                400, "Invalid input image - must be a square PNG file less than 4 MB.", param="image"
            )
    if len(masks) > 1:
        raise ApiError(400, "Expected at most one 'mask' file.", param="mask")
    if masks:
        if _image_format(masks[0], "mask") != "PNG" or len(masks[0].data) >= PNG_LIMIT:
            raise ApiError(400, "Invalid mask image - must be a PNG file less than 4 MB.", param="mask")
        if image_size(masks[0].data) != image_size(images[0].data):
            raise ApiError(
                400,
                "Invalid mask image - the mask and the image must have the same dimensions.",
                param="mask",
            )
    return job


class Fields:
    """Typed reads of a request's fields (JSON values, or form text read as numbers and booleans)."""

    def __init__(self, data: dict[str, Any], *, form: bool) -> None:
        self.data = data
        self.form = form

    def text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise invalid_type(name, "a string", value)
        return value

    def choice(self, name: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(name)
        if value is not None and value not in allowed:
            raise invalid_value(name, value, allowed)
        return value

    def integer(self, name: str, low: int, high: int) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if self.form and isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid_type(name, "an integer", value)
        if not low <= value <= high:
            raise out_of_range(name, value, low, high)
        return value

    def boolean(self, name: str) -> bool:
        value = self.data.get(name)
        if self.form and value in ("true", "false"):
            return value == "true"
        if value is None:
            return False
        if not isinstance(value, bool):
            raise invalid_type(name, "a boolean", value)
        return value


def _job(operation: str, fields: Fields, known: frozenset[str], default: str, inputs: list[Upload]) -> Job:
    for name in fields.data:
        if name not in known:
            raise unknown_parameter(name)
    prompt = fields.text("prompt")
    if not prompt:
        raise missing_parameter("prompt")
    model = fields.choice("model", tuple(MODELS)) or default
    spec = MODELS[model]
    if operation == "edit" and not spec.edits:
        edit_models = tuple(name for name, item in MODELS.items() if item.edits)
        raise invalid_value("model", model, edit_models)
    _refuse_unsupported(fields, spec)
    if len(prompt) > spec.max_prompt:
        raise ApiError(
            400,
            f"Invalid 'prompt': string too long. Expected a string with maximum length {spec.max_prompt}, "
            f"but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    n = fields.integer("n", 1, 10) or 1
    if n > spec.max_n:
        raise ApiError(
            400, f"You must provide n={spec.max_n} for this model.", param="n", code="invalid_value"
        )
    width, height = _size(fields, spec)
    quality = fields.choice("quality", spec.qualities) or "auto"
    output_format = fields.choice("output_format", OUTPUT_FORMATS) or "png"
    background = fields.choice("background", ("transparent", "opaque", "auto")) or "auto"
    if background == "transparent" and output_format == "jpeg":
        raise ApiError(400, "Transparent background requires output_format png or webp.", param="background")
    fields.choice("moderation", ("low", "auto"))
    if spec.styles:
        fields.choice("style", spec.styles)
    fields.choice("input_fidelity", ("high", "low"))
    default_format = "b64_json" if spec.gpt else "url"
    return Job(
        operation=operation,
        model=model,
        spec=spec,
        prompt=prompt,
        n=n,
        width=width,
        height=height,
        output_format=output_format if spec.gpt else "png",
        quality=_answered_quality(quality, spec),
        background="transparent" if background == "transparent" else "opaque",
        response_format=fields.choice("response_format", ("url", "b64_json")) or default_format,
        compression=_default(fields.integer("output_compression", 0, 100), 100),
        stream=fields.boolean("stream"),
        partial_images=fields.integer("partial_images", 0, 3) or 0,
        inputs=inputs,
    )


def _refuse_unsupported(fields: Fields, spec: SimModel) -> None:
    """GPT image models take no `response_format` or `style`; DALL·E models none of the GPT options,
    and only dall-e-3 a `style`."""
    refused = ("response_format", "style") if spec.gpt else GPT_ONLY if spec.styles else (*GPT_ONLY, "style")
    for name in refused:
        if name in fields.data:
            raise unknown_parameter(name)


def _size(fields: Fields, spec: SimModel) -> tuple[int, int]:
    size = fields.text("size") or ("auto" if spec.gpt else "1024x1024")
    if size == "auto" and "auto" in spec.sizes:
        return 1024, 1024
    if size in spec.sizes:
        width, _, height = size.partition("x")
        return int(width), int(height)
    width_text, x, height_text = size.partition("x")
    if spec.flexible and x and width_text.isdigit() and height_text.isdigit():
        width, height = int(width_text), int(height_text)
        if flexible_size_ok(width, height):
            return width, height
    raise invalid_value("size", size, spec.sizes)


def _default(value: int | None, default: int) -> int:
    return default if value is None else value


def _answered_quality(quality: str, spec: SimModel) -> str:
    if quality != "auto":
        return quality
    return "medium" if spec.gpt else "standard"


def _image_format(upload: Upload, param: str) -> str:
    kind = sniff_image(upload.data)
    if kind not in INPUT_TYPES:
        shown = upload.content_type or "application/octet-stream"
        raise ApiError(
            400,
            f"Invalid file '{param}': unsupported mimetype ('{shown}'). Supported file formats are "
            "'image/jpeg', 'image/png', and 'image/webp'.",
            param=param,
            code="invalid_image_format",
        )
    return kind
