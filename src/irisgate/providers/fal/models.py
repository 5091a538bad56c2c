"""What irisgate knows of the fal endpoints it lists: their input fields, allowed values and prices.

Field names, enums and defaults are those of fal's generated endpoint types in its official JS client
(`@fal-ai/client`, `libs/client/src/types/endpoints.ts`: `FluxDevInput`, `BaseImageToInput`,
`InpaintInput`, `FluxKontextInput`, `KlingVideoV2MasterImageToVideoInput`,
`KlingVideoV15ProTextToVideoInput`); ranges and prices are from each model's page
(`fal.ai/docs/model-api-reference/image-generation-api/flux-dev`, `.../flux-schnell`,
`fal.ai/models/<endpoint id>/llms.txt`). Requests for an endpoint listed here are checked before they
leave, with a 400 that lists the allowed values; other endpoints pass through unchecked, so a model fal
ships tomorrow works today.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FLUX_FORMATS = ("jpeg", "png")
KONTEXT_RATIOS = ("21:9", "16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "9:21")
KLING_DURATIONS = ("5", "10")
KLING_RATIOS = ("16:9", "9:16", "1:1")
MEGAPIXEL = 1024 * 1024  # fal bills 1024x1024 as one megapixel (assumed: see docs/providers/fal.md)


@dataclass(frozen=True)
class FalImageModel:
    """An image endpoint. `size_field`: how it takes a size (`image_size`: a `{width, height}` object,
    `aspect_ratio`: one of `aspect_ratios`, None: the output follows the input image)."""

    edit: bool  # takes an input image (`image_field`), so it serves images.edit, not images.generate
    size_field: str | None = "image_size"
    aspect_ratios: tuple[str, ...] = ()
    output_formats: tuple[str, ...] = FLUX_FORMATS
    max_images: int = 4
    steps: tuple[int, int] | None = None  # the allowed num_inference_steps; None: not taken
    steps_unbounded: bool = False  # takes num_inference_steps, range not published
    negative_prompt: bool = False
    image_field: str | None = None
    mask_field: str | None = None  # where the endpoint takes a mask (required when set)
    usd_per_megapixel: float | None = None  # billed per image, its megapixels rounded up
    usd_per_image: float | None = None

    def takes_steps(self) -> bool:
        return self.steps is not None or self.steps_unbounded

    def cost(self, sizes: list[tuple[int, int] | None]) -> float | None:
        """The published price of these output images (an estimate: fal's answers carry no cost)."""
        if self.usd_per_image is not None:
            return round(self.usd_per_image * len(sizes), 6)
        if self.usd_per_megapixel is None or not sizes or any(size is None for size in sizes):
            return None
        megapixels = sum(math.ceil(w * h / MEGAPIXEL) for w, h in sizes if w and h)  # type: ignore[misc]
        return round(self.usd_per_megapixel * megapixels, 6)


@dataclass(frozen=True)
class FalVideoModel:
    """A video endpoint: fal serves text- and image-to-video as separate endpoints."""

    image_to_video: bool  # takes `image_url` (required); else text-to-video (no input image)
    durations: tuple[str, ...]  # the values of `duration`, as fal takes them (strings)
    default_duration: str
    aspect_ratios: tuple[str, ...] = ()  # () = the endpoint takes no aspect ratio
    default_ratio: str | None = None
    negative_prompt: bool = True
    seed: bool = False  # Kling's endpoints take no seed
    usd_first_5s: float | None = None  # published: a 5 s video, then each additional second
    usd_per_extra_second: float | None = None

    def cost(self, duration: str) -> float | None:
        if self.usd_first_5s is None or self.usd_per_extra_second is None:
            return None
        extra = max(0.0, float(duration) - 5)
        return round(self.usd_first_5s + self.usd_per_extra_second * extra, 6)


IMAGE_MODELS: dict[str, FalImageModel] = {
    "fal-ai/flux/dev": FalImageModel(edit=False, steps=(1, 50), usd_per_megapixel=0.025),
    "fal-ai/flux/schnell": FalImageModel(edit=False, steps=(1, 12)),
    "fal-ai/flux/dev/image-to-image": FalImageModel(
        edit=True, size_field=None, steps_unbounded=True, image_field="image_url"
    ),
    "fal-ai/flux-lora/inpainting": FalImageModel(
        edit=True, steps_unbounded=True, image_field="image_url", mask_field="mask_url"
    ),
    "fal-ai/flux-pro/kontext": FalImageModel(
        edit=True,
        size_field="aspect_ratio",
        aspect_ratios=KONTEXT_RATIOS,
        image_field="image_url",
        usd_per_image=0.04,
    ),
}

VIDEO_MODELS: dict[str, FalVideoModel] = {
    "fal-ai/kling-video/v2.1/standard/image-to-video": FalVideoModel(
        image_to_video=True,
        durations=KLING_DURATIONS,
        default_duration="5",
        usd_first_5s=0.28,
        usd_per_extra_second=0.056,
    ),
    "fal-ai/kling-video/v2.1/master/image-to-video": FalVideoModel(
        image_to_video=True,
        durations=KLING_DURATIONS,
        default_duration="5",
        usd_first_5s=1.40,
        usd_per_extra_second=0.28,
    ),
    "fal-ai/kling-video/v2.1/master/text-to-video": FalVideoModel(
        image_to_video=False,
        durations=KLING_DURATIONS,
        default_duration="5",
        aspect_ratios=KLING_RATIOS,
        default_ratio="16:9",
        usd_first_5s=1.40,
        usd_per_extra_second=0.28,
    ),
}
