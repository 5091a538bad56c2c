"""Image references accepted by Runware: an imageUUID, an http(s) URL, a data URI, or raw base64."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .errors import invalid
from .media import MediaStore, sniff_image

INFERENCE_FORMATS = frozenset({"PNG", "JPEG", "WEBP"})
UPLOAD_FORMATS = frozenset({"PNG", "JPEG", "WEBP", "BMP", "GIF"})

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,(?P<b64>.*)$", re.S
)


@dataclass(frozen=True)
class ImageRef:
    """A resolved reference: where it came from and, when known, its bytes and format."""

    kind: str  # "uuid" | "url" | "dataURI" | "base64"
    data: bytes | None
    image_format: str | None


def _decode_b64(text: str) -> bytes | None:
    cleaned = "".join(text.split())
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        return None


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def resolve_image_ref(
    value: Any,
    *,
    task: dict[str, Any],
    parameter: str,
    media: MediaStore,
    formats: frozenset[str] = INFERENCE_FORMATS,
) -> ImageRef:
    """Check one image reference; raise an `invalidParameter` TaskFailure naming ``parameter``."""
    names = "/".join(sorted(formats))
    if not isinstance(value, str) or not value.strip():
        raise invalid(
            task,
            parameter,
            f"Invalid value for '{parameter}' parameter. Expected an image UUID, "
            "URL, data URI or base64 string.",
            type_="string",
        )
    value = value.strip()
    if _UUID.match(value):
        stored = media.get(value.lower())
        if stored is None:
            raise invalid(
                task,
                parameter,
                f"Invalid value for '{parameter}' parameter. No image found with UUID '{value}'.",
                type_="string",
            )
        return ImageRef("uuid", stored.data, sniff_image(stored.data))
    if _is_http_url(value):
        stored = media.lookup_url(value)
        data = stored.data if stored is not None else None
        return ImageRef("url", data, sniff_image(data) if data else None)
    match = _DATA_URI.match(value)
    if match:
        data = _decode_b64(match.group("b64"))
        kind = "dataURI"
    elif value.startswith("data:"):
        data, kind = None, "dataURI"
    else:
        data = _decode_b64(value)
        kind = "base64"
    image_format = sniff_image(data) if data else None
    if data is None or image_format not in formats:
        raise invalid(
            task,
            parameter,
            f"Invalid value for '{parameter}' parameter. The {kind} value could "
            f"not be decoded as a {names} image.",
            type_="string",
        )
    return ImageRef(kind, data, image_format)


def _refs_in(task: dict[str, Any]) -> list[tuple[str, Any]]:
    """(parameter path, value) of every image reference the simulator checks in an imageInference task."""
    refs: list[tuple[str, Any]] = []
    for key in ("seedImage", "maskImage"):
        if key in task:
            refs.append((key, task[key]))
    references = task.get("referenceImages")
    if isinstance(references, list):
        refs.extend((f"referenceImages[{i}]", ref) for i, ref in enumerate(references))
    inputs = task.get("inputs")
    if isinstance(inputs, dict):
        for key in ("seedImage", "image", "maskImage", "mask"):
            if key in inputs:
                refs.append((f"inputs.{key}", inputs[key]))
        for key in ("images", "referenceImages"):
            items = inputs.get(key)
            if isinstance(items, list):
                for i, item in enumerate(items):
                    ref = item.get("image") if isinstance(item, dict) else item
                    refs.append((f"inputs.{key}[{i}]", ref))
    return refs


def check_image_refs(task: dict[str, Any], media: MediaStore) -> dict[str, ImageRef]:
    """Validate every image input of an imageInference task; returns them keyed by parameter path."""
    resolved = {
        parameter: resolve_image_ref(value, task=task, parameter=parameter, media=media)
        for parameter, value in _refs_in(task)
    }
    has_seed = "seedImage" in resolved or "inputs.seedImage" in resolved or "inputs.image" in resolved
    for mask_key in ("maskImage", "inputs.maskImage", "inputs.mask"):
        if mask_key in resolved and not has_seed:
            raise invalid(
                task,
                "seedImage",
                f"Missing required parameter 'seedImage': '{mask_key}' needs a seed image to apply to.",
                code="missingParameter",
                type_="string",
            )
    return resolved
