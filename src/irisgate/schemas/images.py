"""The unified, OpenAI-shaped image requests and responses.

Requests accept every field of OpenAI's `images.generate` / `images.edit`, plus
the gateway's own (`negative_prompt`, `num_inference_steps`, `extra_params`);
other fields flow to the provider (see `requests.GenerationRequest`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, StrictBool

from irisgate.schemas.requests import GenerationRequest, Integer

MAX_IMAGES = 20
MAX_SEED = 2**63 - 1  # the widest seed a provider takes (Runware: int64); larger ones cannot be sent
MAX_INT32 = 2**31 - 1
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


class ImageRequestBase(GenerationRequest):
    """Fields shared by generation and edit."""

    num_inference_steps: Integer = Field(default=None, ge=1, le=100)
    seed: Integer = Field(default=None, ge=0, le=MAX_SEED)
    n: Integer = Field(default=None, ge=1, le=MAX_IMAGES)
    response_format: Literal["url", "b64_json"] | None = None
    output_format: Literal["png", "jpeg", "jpg", "webp"] | None = None
    stream: StrictBool | None = None
    user: str | None = None  # metadata: accepted, not forwarded
    safety_identifier: str | None = None  # metadata: accepted, not forwarded

    # OpenAI-only options that a provider may not support; each provider decides (see OPENAI_ONLY_OPTIONS).
    quality: str | None = None
    background: str | None = None
    moderation: str | None = None
    style: str | None = None
    output_compression: Integer = Field(default=None, ge=0, le=100)
    partial_images: Integer = Field(default=None, ge=0, le=3)
    input_fidelity: str | None = None
    complexity: str | None = None
    frame_count: Integer = Field(default=None, ge=1, le=MAX_INT32)
    frame_duration_ms: Integer = Field(default=None, ge=1, le=MAX_INT32)
    svg: dict[str, Any] | None = None

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
    revised_prompt: str | None = None  # OpenAI's `Image.revised_prompt`, for models that rewrite prompts


@dataclass
class ImagesResult:
    """What a provider returns for image generation or edit, before it becomes `ImagesResponse`.

    `usage` holds what the provider reported of its usage (e.g. OpenAI's token counts), shown in the
    answer's `usage` object beside irisgate's `cost`; `background` and `quality` are the values the
    provider says it used (OpenAI's `ImagesResponse` fields).
    """

    images: list[GeneratedImage] = field(default_factory=list)
    cost_usd: float | None = None
    output_format: str | None = None
    size: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    background: str | None = None
    quality: str | None = None

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
            if image.revised_prompt is not None:
                item["revised_prompt"] = image.revised_prompt
            data.append(item)
        body: dict[str, Any] = {"created": created, "data": data}
        if self.output_format:
            body["output_format"] = self.output_format
        if self.size:
            body["size"] = self.size
        if self.background:
            body["background"] = self.background
        if self.quality:
            body["quality"] = self.quality
        usage = dict(self.usage)
        if self.cost_usd is not None:
            usage["cost"] = self.cost_usd
        if usage:
            body["usage"] = usage
        return body
