"""The unified, OpenAI-shaped image requests and responses.

Requests accept every field of OpenAI's `images.generate` / `images.edit`, plus
the gateway's own (`negative_prompt`, `num_inference_steps`, `extra_params`).
Any other top-level field is kept in `extras` and flows to the provider as a
native field; `extra_params` entries win over top-level ones of the same name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")
MAX_SIDE = 16384
MAX_IMAGES = 20
OPENAI_ONLY_OPTIONS = (
    "quality",
    "background",
    "moderation",
    "style",
    "output_compression",
    "partial_images",
    "input_fidelity",
    "complexity",
    "frame_count",
    "frame_duration_ms",
    "svg",
)


def parse_size(size: str) -> tuple[int, int] | None:
    """`"1024x768"` → (1024, 768); `"auto"` → None (the provider's default). Raises ValueError otherwise."""
    if size.strip().lower() == "auto":
        return None
    match = SIZE_PATTERN.match(size)
    if not match:
        raise ValueError(f"expected WIDTHxHEIGHT such as 1024x1024, got {size!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise ValueError(f"width and height must be between 1 and {MAX_SIDE}, got {size!r}")
    return width, height


class ImageRequestBase(BaseModel):
    """Fields shared by generation and edit."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=False)

    model: str = Field(min_length=1)
    prompt: str = Field(min_length=1, max_length=32000)
    negative_prompt: str | None = None
    size: str | None = None
    num_inference_steps: int | None = Field(default=None, ge=1, le=100)
    seed: int | None = Field(default=None, ge=0)
    n: int | None = Field(default=None, ge=1, le=MAX_IMAGES)
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "jpg", "webp"] | None = None
    stream: StrictBool | None = None
    extra_params: dict[str, Any] | None = None
    user: str | None = None  # metadata: accepted, not forwarded
    safety_identifier: str | None = None  # metadata: accepted, not forwarded

    # OpenAI-only options that a provider may not support; each provider decides (see OPENAI_ONLY_OPTIONS).
    quality: str | None = None
    background: str | None = None
    moderation: str | None = None
    style: str | None = None
    output_compression: int | None = None
    partial_images: int | None = None
    input_fidelity: str | None = None
    complexity: str | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    svg: dict[str, Any] | None = None

    @field_validator("size")
    @classmethod
    def _check_size(cls, value: str | None) -> str | None:
        if value is not None:
            parse_size(value)
        return value

    @property
    def dimensions(self) -> tuple[int, int] | None:
        return parse_size(self.size) if self.size else None

    @property
    def extras(self) -> dict[str, Any]:
        """Provider-native fields: unknown top-level fields, then `extra_params` on top."""
        merged = dict(self.model_extra or {})
        merged.update(self.extra_params or {})
        return merged

    def openai_only_options(self) -> list[str]:
        """The OpenAI options the client set that have no generic meaning across providers."""
        return [name for name in OPENAI_ONLY_OPTIONS if getattr(self, name) is not None]


class ImageGenerationRequest(ImageRequestBase):
    """`POST /v1/images/generations` (JSON)."""


@dataclass(frozen=True)
class UploadedImage:
    """A file part of a multipart request, already read and sniffed."""

    data: bytes
    media_type: str
    filename: str | None = None

    def data_uri(self) -> str:
        import base64

        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


class ImageEditRequest(ImageRequestBase):
    """`POST /v1/images/edits` (multipart). `images` and `mask` are set by the server from file parts."""

    images: list[UploadedImage] = Field(default_factory=list, exclude=True)
    mask: UploadedImage | None = Field(default=None, exclude=True)


@dataclass
class GeneratedImage:
    url: str | None = None
    b64_json: str | None = None
    seed: int | None = None
    provider_id: str | None = None


@dataclass
class ImagesResult:
    """What a provider returns for image generation or edit, before it becomes `ImagesResponse`."""

    images: list[GeneratedImage] = field(default_factory=list)
    cost_usd: float | None = None
    output_format: str | None = None
    size: str | None = None

    def to_response(self, created: int) -> dict[str, Any]:
        data = []
        for image in self.images:
            item: dict[str, Any] = {}
            if image.url is not None:
                item["url"] = image.url
            if image.b64_json is not None:
                item["b64_json"] = image.b64_json
            if image.seed is not None:
                item["seed"] = image.seed
            if image.provider_id is not None:
                item["id"] = image.provider_id
            data.append(item)
        body: dict[str, Any] = {"created": created, "data": data}
        if self.output_format:
            body["output_format"] = self.output_format
        if self.size:
            body["size"] = self.size
        if self.cost_usd is not None:
            body["usage"] = {"cost": self.cost_usd}
        return body
