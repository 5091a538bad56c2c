"""A unified image request → OpenAI's wire request (pure functions; nothing is sent here).

irisgate's unified API is OpenAI's own shape, so the fields keep their names. What the official
`openai` SDK sends (`src/openai/resources/images.py`, v3.60.0) is the contract:
- `images.generate`: `POST /images/generations`, a JSON body of the given fields;
- `images.edit`: `POST /images/edits`, multipart/form-data: `image` for one file, `image[]` once per
  file for several (`extract_files` paths `["image"]`, `["image", "<array>"]`), `mask`, and every
  other field as a text part (numbers as text, nested objects as `a[b]`, the SDK's bracket format).
Each request is checked against the model's table (`checks.py`) before it is built into a call.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from irisgate.providers.http import FilePart
from irisgate.providers.openai.checks import check_body, check_uploads
from irisgate.providers.openai.models import is_gpt_image
from irisgate.schemas.errors import invalid_request, unsupported_operation
from irisgate.schemas.images import ImageEditRequest, ImageRequestBase, UploadedImage

# --- mapping tables -------------------------------------------------------------------------------

# unified field → OpenAI field (the same names: OpenAI's own shape), sent when the client set them
FORWARDED_FIELDS = {
    "prompt": "prompt",
    "n": "n",
    "quality": "quality",
    "style": "style",
    "background": "background",
    "moderation": "moderation",
    "output_compression": "output_compression",
    "input_fidelity": "input_fidelity",
    "partial_images": "partial_images",
    "user": "user",
    "safety_identifier": "safety_identifier",
    "complexity": "complexity",
    "frame_count": "frame_count",
    "frame_duration_ms": "frame_duration_ms",
    "svg": "svg",
}
# `size` → `size`, written WIDTHxHEIGHT (or `auto`) whatever the spacing or case the client used
# `output_format` → `output_format`; irisgate's `jpg` is OpenAI's `jpeg`
OUTPUT_FORMATS = {"png": "png", "jpeg": "jpeg", "jpg": "jpeg", "webp": "webp"}
# `response_format` → `response_format` for DALL·E; GPT image models take none and answer b64_json
GPT_IMAGE_RESPONSE_FORMAT = "b64_json"
# irisgate's own fields that OpenAI has no name for: refused with a 400, never dropped in silence
REFUSED_FIELDS = ("negative_prompt", "num_inference_steps", "seed")
# fields the gateway alone writes: extra params may not set them
RESERVED_FIELDS = ("model", "stream", "image", "image[]", "mask")

GENERATIONS_PATH = "/images/generations"
EDITS_PATH = "/images/edits"


@dataclass(frozen=True)
class EditCall:
    """An edit as it is sent: the checked fields (`body`), then as multipart text parts and files."""

    body: dict[str, Any]
    fields: list[tuple[str, str]]
    files: list[FilePart]


# --- builders -------------------------------------------------------------------------------------


def build_generation_body(request: ImageRequestBase, model: str) -> dict[str, Any]:
    """The JSON body of `POST /images/generations`, checked against the model's table."""
    if request.stream:
        raise unsupported_operation("image_generation_stream", "openai")
    body = _common_fields(request, model)
    check_body(body, model)
    return body


def build_edit_call(request: ImageEditRequest, model: str) -> EditCall:
    """The multipart form of `POST /images/edits`, checked against the model's table."""
    if request.stream:
        raise unsupported_operation("image_edit_stream", "openai")
    if not request.images:
        raise invalid_request(
            "'image' is required: upload at least one image", "image", code="missing_required_parameter"
        )
    body = _common_fields(request, model)
    check_body(body, model, edit=True)
    check_uploads(request.images, request.mask, model)
    return EditCall(body, list(form_fields(body)), edit_files(request.images, request.mask))


def _common_fields(request: ImageRequestBase, model: str) -> dict[str, Any]:
    for name in REFUSED_FIELDS:
        if getattr(request, name) is not None:
            raise invalid_request(
                f"'{name}' is an irisgate field that OpenAI's image API does not have",
                name,
                code="unsupported_parameter",
            )
    body: dict[str, Any] = {"model": model}
    for unified, wire in FORWARDED_FIELDS.items():
        value = getattr(request, unified)
        if value is not None:
            body[wire] = value
    if request.size is not None:
        dimensions = request.dimensions
        body["size"] = f"{dimensions[0]}x{dimensions[1]}" if dimensions else "auto"
    if request.output_format is not None:
        body["output_format"] = OUTPUT_FORMATS[request.output_format]
    _response_format(request, model, body)
    for name, value in request.extras.items():
        if name in RESERVED_FIELDS:
            raise invalid_request(f"'{name}' is set by the gateway and cannot be overridden", name)
        body[name] = value  # OpenAI's own fields irisgate does not declare flow through as they are
    return body


def _response_format(request: ImageRequestBase, model: str, body: dict[str, Any]) -> None:
    """GPT image models refuse `response_format` (always base64): b64_json is what they answer
    anyway, so it is left out; `url` cannot be had from them and is refused here."""
    if request.response_format is None:
        return
    if not is_gpt_image(model):
        body["response_format"] = request.response_format
    elif request.response_format != GPT_IMAGE_RESPONSE_FORMAT:
        raise invalid_request(
            f"OpenAI's GPT image models ('{model}') answer b64_json only; leave 'response_format' out "
            "or send b64_json",
            "response_format",
        )


def form_fields(body: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The body as multipart text parts, as the openai SDK writes them (`_base_client.py`
    `_serialize_multipartform`, `_qs.py` with `array_format="brackets"`): text as it is, booleans
    `true`/`false`, numbers as `str()` writes them, objects as `name[key]`, arrays as `name[]`
    repeated; nulls left out."""
    for name, value in body.items():
        yield from _parts(name, value)


def _parts(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, str):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _parts(f"{name}[{key}]", item)
    elif isinstance(value, list):
        for item in value:
            yield from _parts(f"{name}[]", item)
    elif isinstance(value, bool):
        yield name, "true" if value else "false"
    else:
        yield name, str(value)


def edit_files(images: Sequence[UploadedImage], mask: UploadedImage | None) -> list[FilePart]:
    """`image` for one file, `image[]` for each of several; then `mask`. Each part keeps the client's
    file name (else one made up with the right extension) and the media type its bytes showed."""
    name = "image" if len(images) == 1 else "image[]"
    files = [_file(name, image, f"image_{index}") for index, image in enumerate(images, 1)]
    if mask is not None:
        files.append(_file("mask", mask, "mask"))
    return files


def _file(name: str, upload: UploadedImage, stem: str) -> FilePart:
    extension = upload.media_type.rpartition("/")[2].replace("jpeg", "jpg")
    filename = upload.filename or f"{stem}.{extension}"
    return FilePart(name, upload.data, filename, upload.media_type)
