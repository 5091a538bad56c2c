"""Per-model checks of an OpenAI wire request, before anything is sent (pure functions).

Each refusal is a 400 that names the field and lists what the model accepts (the tables in
`models.py`); a model irisgate does not know is not checked here, and OpenAI answers for it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

from irisgate.providers.openai.models import (
    EDIT_ONLY_OPTIONS,
    EDIT_PNG_LIMIT,
    GENERATION_ONLY_OPTIONS,
    GPT_ONLY_OPTIONS,
    OPENAI_IMAGE_MODELS,
    OpenAIImageModel,
    is_gpt_image,
)
from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.schemas.images import UploadedImage
from irisgate.schemas.requests import parse_size


def check_body(body: dict[str, Any], model: str, *, edit: bool = False) -> None:
    """The fields of a generation (or of an edit's form) against what the endpoint and `model` accept."""
    for option in GENERATION_ONLY_OPTIONS if edit else EDIT_ONLY_OPTIONS:
        if option in body:
            endpoint = "/images/edits" if edit else "/images/generations"
            raise invalid_request(
                f"OpenAI's {endpoint} has no '{option}' parameter", option, code="unsupported_parameter"
            )
    known = OPENAI_IMAGE_MODELS.get(model)
    if known is None:
        return
    if edit and not known.edits:
        editors = ", ".join(name for name, spec in OPENAI_IMAGE_MODELS.items() if spec.edits)
        raise invalid_request(
            f"OpenAI's '{model}' does not edit images; the models that do: {editors}",
            "model",
            code="unsupported_operation",
        )
    _check_prompt(body.get("prompt"), known, model)
    _check_size(body.get("size"), known, model)
    _check_n(body.get("n"), known, model)
    _check_choice(body, "quality", known.qualities, model)
    _check_choice(body, "style", known.styles, model)
    if known.fidelities is not None:
        _check_choice(body, "input_fidelity", known.fidelities, model)
    if not is_gpt_image(model):
        for option in GPT_ONLY_OPTIONS:
            if option in body:
                raise _unsupported(model, option, "it is only supported for the GPT image models")


def check_uploads(images: Sequence[UploadedImage], mask: UploadedImage | None, model: str) -> None:
    """An edit's files: how many, and the PNG rules OpenAI documents for masks and dall-e-2."""
    if mask is not None and (mask.media_type != "image/png" or len(mask.data) >= EDIT_PNG_LIMIT):
        raise invalid_request("OpenAI takes the 'mask' as a PNG file of less than 4 MB", "mask")
    known = OPENAI_IMAGE_MODELS.get(model)
    if known is None:
        return
    if len(images) > known.max_edit_images:
        many = "one image" if known.max_edit_images == 1 else f"up to {known.max_edit_images} images"
        raise invalid_request(f"OpenAI's '{model}' edits {many}; got {len(images)}", "image")
    if known.square_png_edits:
        for image in images:
            size = png_size(image.data) if image.media_type == "image/png" else None
            if size is None or size[0] != size[1] or len(image.data) >= EDIT_PNG_LIMIT:
                raise invalid_request(
                    f"OpenAI's '{model}' edits a square PNG file of less than 4 MB", "image"
                )


def png_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's IHDR chunk (bytes 16-24), without decoding the image."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _check_prompt(prompt: Any, known: OpenAIImageModel, model: str) -> None:
    if isinstance(prompt, str) and len(prompt) > known.max_prompt:
        raise invalid_request(
            f"OpenAI's '{model}' takes prompts of at most {known.max_prompt} characters; got {len(prompt)}",
            "prompt",
        )


def _check_size(size: Any, known: OpenAIImageModel, model: str) -> None:
    if not isinstance(size, str) or size in known.sizes:
        return
    allowed = ", ".join(known.sizes)
    try:
        dimensions = parse_size(size)
    except ValueError:
        dimensions = None
    if known.flexible is not None and dimensions is not None:
        problem = known.flexible.problem(*dimensions)
        if problem is None:
            return
        raise invalid_request(
            f"OpenAI's '{model}' accepts size {allowed}, or WIDTHxHEIGHT where {problem}; got {size!r}",
            "size",
        )
    raise invalid_request(f"OpenAI's '{model}' accepts size {allowed}; got {size!r}", "size")


def _check_n(n: Any, known: OpenAIImageModel, model: str) -> None:
    if isinstance(n, int) and not 1 <= n <= known.max_n:
        allowed = "only n=1" if known.max_n == 1 else f"n from 1 to {known.max_n}"
        raise invalid_request(f"OpenAI's '{model}' accepts {allowed}; got {n}", "n")


def _check_choice(body: dict[str, Any], name: str, allowed: tuple[str, ...], model: str) -> None:
    if name not in body:
        return
    if not allowed:
        raise _unsupported(model, name, "OpenAI documents it for other models only")
    if body[name] not in allowed:
        raise invalid_request(
            f"OpenAI's '{model}' accepts {name} {', '.join(allowed)}; got {body[name]!r}", name
        )


def _unsupported(model: str, name: str, why: str) -> GatewayError:
    return invalid_request(
        f"OpenAI's '{model}' does not take '{name}': {why}", name, code="unsupported_parameter"
    )
