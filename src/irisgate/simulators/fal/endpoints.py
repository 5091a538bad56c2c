"""The endpoints the simulator serves, their input checks (pydantic-shaped 422 issues) and output shapes.

From fal's endpoint types (`@fal-ai/client` `types/endpoints.ts`) and model pages: FLUX.1 [dev] and
[schnell] (text-to-image, `image_size` preset or `{width, height}`, `num_images` 1-4, steps 1-50 /
1-12, `output_format` jpeg|png), FLUX.1 [dev] image-to-image, FLUX LoRA inpainting (`mask_url`),
FLUX.1 Kontext [pro] (`aspect_ratio`), Kling 2.1 image-to-video and text-to-video (`duration` "5" |
"10", `aspect_ratio` 16:9 | 9:16 | 1:1). Fields an endpoint does not define are ignored, as fal's
input models do.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..common.images import image_size
from ..common.values import is_int
from .errors import issue

Check = Callable[[str, Any], dict[str, Any] | None]

IMAGE_SIZES = {  # fal's image_size presets
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
DEFAULT_IMAGE_SIZE = "landscape_4_3"
MAX_SIDE = 14142  # fal's documented maximum image side
VIDEO_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960)}


def literal(*allowed: str) -> Check:
    def check(name: str, value: Any) -> dict[str, Any] | None:
        if value in allowed:
            return None
        expected = (
            " or ".join(f"'{a}'" for a in allowed)
            if len(allowed) < 3
            else (", ".join(f"'{a}'" for a in allowed[:-1]) + f" or '{allowed[-1]}'")
        )
        return issue(name, f"Input should be {expected}", "literal_error", {"expected": expected})

    return check


def integer(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> dict[str, Any] | None:
        if not is_int(value):
            return issue(name, "Input should be a valid integer", "int_type")
        if value < low:
            return issue(
                name, f"Input should be greater than or equal to {low}", "greater_than_equal", {"ge": low}
            )
        if value > high:
            return issue(
                name, f"Input should be less than or equal to {high}", "less_than_equal", {"le": high}
            )
        return None

    return check


def text(name: str, value: Any) -> dict[str, Any] | None:
    return None if isinstance(value, str) else issue(name, "Input should be a valid string", "string_type")


def boolean(name: str, value: Any) -> dict[str, Any] | None:
    return None if isinstance(value, bool) else issue(name, "Input should be a valid boolean", "bool_type")


def image_input(name: str, value: Any) -> dict[str, Any] | None:
    """An http(s) URL, or a data URI holding an image fal can load."""
    if not isinstance(value, str):
        return issue(name, "Input should be a valid string", "string_type")
    if value.startswith(("http://", "https://")):
        return None
    if value.startswith("data:") and decode_data_uri(value) is not None:
        return None
    return issue(
        name,
        "Failed to load the image. Please ensure the image file is not corrupted and is in a "
        "supported format.",
        "image_load_error",
    )


def size_input(name: str, value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        return literal(*IMAGE_SIZES)(name, value)
    if isinstance(value, dict) and set(value) <= {"width", "height"}:
        for side in ("width", "height"):
            if side in value and (not is_int(value[side]) or not 1 <= value[side] <= MAX_SIDE):
                return issue(f"{name}.{side}", f"Input should be an integer from 1 to {MAX_SIDE}", "int_type")
        return None
    return issue(name, "Input should be a valid ImageSize or one of the presets", "union_tag_invalid")


def decode_data_uri(uri: str) -> bytes | None:
    header, comma, payload = uri.partition(",")
    if not comma or ";base64" not in header:
        return None
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class Endpoint:
    kind: str  # "image" | "video"
    checks: dict[str, Check] = field(default_factory=dict)
    required: tuple[str, ...] = ("prompt",)
    size: str = "image_size"  # how the output size is chosen: image_size | aspect_ratio | input | video

    def validate(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        issues = [issue(name, "Field required", "missing") for name in self.required if name not in body]
        for name, check in self.checks.items():
            if name in body and (found := check(name, body[name])) is not None:
                issues.append(found)
        return issues


def _flux(steps: int, **more: Check) -> dict[str, Check]:
    return {
        "prompt": text,
        "image_size": size_input,
        "num_images": integer(1, 4),
        "num_inference_steps": integer(1, steps),
        "output_format": literal("jpeg", "png"),
        "seed": integer(0, 2**63 - 1),
        "sync_mode": boolean,
        **more,
    }


KLING = {"prompt": text, "duration": literal("5", "10"), "negative_prompt": text}

ENDPOINTS: dict[str, Endpoint] = {
    "fal-ai/flux/dev": Endpoint("image", _flux(50)),
    "fal-ai/flux/schnell": Endpoint("image", _flux(12)),
    "fal-ai/flux/dev/image-to-image": Endpoint(
        "image", _flux(50, image_url=image_input), ("prompt", "image_url"), size="input"
    ),
    "fal-ai/flux-lora/inpainting": Endpoint(
        "image", _flux(50, image_url=image_input, mask_url=image_input), ("prompt", "image_url", "mask_url")
    ),
    "fal-ai/flux-pro/kontext": Endpoint(
        "image",
        {
            **_flux(50, image_url=image_input),
            "aspect_ratio": literal("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21"),
        },
        ("prompt", "image_url"),
        size="aspect_ratio",
    ),
    "fal-ai/kling-video/v2.1/standard/image-to-video": Endpoint(
        "video", {**KLING, "image_url": image_input}, ("prompt", "image_url"), size="video"
    ),
    "fal-ai/kling-video/v2.1/master/image-to-video": Endpoint(
        "video", {**KLING, "image_url": image_input}, ("prompt", "image_url"), size="video"
    ),
    "fal-ai/kling-video/v2.1/master/text-to-video": Endpoint(
        "video", {**KLING, "aspect_ratio": literal("16:9", "9:16", "1:1")}, size="video"
    ),
}


def endpoint_for(endpoint_id: str, strict: bool) -> Endpoint | None:
    """The listed endpoint, else (unless strict) a generic one guessed from the id."""
    known = ENDPOINTS.get(endpoint_id)
    if known is not None or strict:
        return known
    if "video" in endpoint_id:
        return Endpoint("video", {"prompt": text, "image_url": image_input}, size="video")
    return Endpoint("image", {"prompt": text, "image_url": image_input, "image_size": size_input})


def image_output_size(endpoint: Endpoint, body: dict[str, Any]) -> tuple[int, int]:
    """The pixel size of the images a request makes."""
    if endpoint.size == "aspect_ratio":
        return ratio_size(str(body.get("aspect_ratio") or "1:1"), 1024)
    if endpoint.size == "input" or ("image_size" not in body and "image_url" in body):
        found = input_image_size(body.get("image_url"))
        if found is not None:
            return found
    size = body.get("image_size", DEFAULT_IMAGE_SIZE)
    if isinstance(size, dict):
        return int(size.get("width", 512)), int(size.get("height", 512))
    return IMAGE_SIZES.get(str(size), IMAGE_SIZES[DEFAULT_IMAGE_SIZE])


def video_output(body: dict[str, Any]) -> tuple[int, int, float]:
    """(width, height, seconds) of the video a request makes: the aspect ratio asked, else the shape
    of the input image; the duration asked (default 5 s)."""
    ratio = body.get("aspect_ratio")
    if ratio not in VIDEO_SIZES:
        found = input_image_size(body.get("image_url"))
        ratio = "16:9" if found is None or found[0] > found[1] else "9:16" if found[0] < found[1] else "1:1"
    duration = body.get("duration", "5")
    try:
        seconds = float(str(duration).removesuffix("s"))
    except ValueError:
        seconds = 5.0
    width, height = VIDEO_SIZES[ratio]
    return width, height, max(1.0, min(seconds, 20.0))


def ratio_size(ratio: str, long_side: int) -> tuple[int, int]:
    first, _, second = ratio.partition(":")
    try:
        w, h = float(first), float(second)
    except ValueError:
        return long_side, long_side
    if w >= h:
        return long_side, max(16, round(long_side * h / w / 16) * 16)
    return max(16, round(long_side * w / h / 16) * 16), long_side


def input_image_size(value: Any) -> tuple[int, int] | None:
    if not isinstance(value, str) or not value.startswith("data:"):
        return None
    data = decode_data_uri(value)
    return image_size(data) if data is not None else None
