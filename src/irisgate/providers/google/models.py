"""What irisgate knows of Google's Imagen and Veo models on the Gemini API: the values each accepts
and its published price.

Sources (see `docs/providers/google.md` for each fact):
- the Gemini API's image and video guides (https://ai.google.dev/gemini-api/docs/imagen,
  https://ai.google.dev/gemini-api/docs/video): aspect ratios, resolutions, durations and the
  person-generation values of each mode;
- the official client `google-genai` (models.py, `_GenerateImagesConfig_to_mldev` and
  `_GenerateVideosConfig_to_mldev`): which fields the Gemini API takes at all;
- the Gemini API pricing page (https://ai.google.dev/gemini-api/docs/pricing): USD per image and
  per second of video, used for the `usage.cost` estimate.

Requests for a model listed here are checked before they leave, with a 400 that lists the allowed
values; other models pass through unchecked, so new models work the day they ship.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT_TO_VIDEO = "text-to-video"
IMAGE_TO_VIDEO = "image-to-video"


@dataclass(frozen=True)
class ImagenModel:
    aspect_ratios: tuple[str, ...] = ("1:1", "3:4", "4:3", "9:16", "16:9")
    image_sizes: tuple[str, ...] = ("1K",)  # `sampleImageSize`; 2K only for Standard and Ultra
    max_images: int = 4  # `sampleCount` 1-4
    person_generation: tuple[str, ...] = ("dont_allow", "allow_adult")  # allow_all: Vertex AI only
    usd_per_image: float | None = None


@dataclass(frozen=True)
class VeoModel:
    aspect_ratios: tuple[str, ...] = ("16:9", "9:16")
    resolutions: tuple[str, ...] = ()  # () = the model takes no `resolution` (720p only)
    durations: tuple[int, ...] = (4, 6, 8)
    default_duration: int = 8
    # resolution → the durations it allows, where narrower than `durations`
    resolution_durations: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # resolution → the aspect ratios it allows, where narrower than `aspect_ratios`
    resolution_ratios: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # mode (text-to-video, image-to-video) → allowed `personGeneration` values
    person_generation: dict[str, tuple[str, ...]] = field(default_factory=dict)
    native_audio: bool = False  # generates its soundtrack itself (the Gemini API has no switch)
    # resolution → USD per second of video ("*": every resolution not listed)
    usd_per_second: dict[str, float] = field(default_factory=dict)

    def price_per_second(self, resolution: str | None) -> float | None:
        return self.usd_per_second.get(resolution or "720p", self.usd_per_second.get("*"))


IMAGEN_MODELS: dict[str, ImagenModel] = {
    "imagen-4.0-generate-001": ImagenModel(image_sizes=("1K", "2K"), usd_per_image=0.04),
    "imagen-4.0-ultra-generate-001": ImagenModel(image_sizes=("1K", "2K"), usd_per_image=0.06),
    "imagen-4.0-fast-generate-001": ImagenModel(usd_per_image=0.02),
}

VEO_3_PEOPLE = {TEXT_TO_VIDEO: ("allow_all",), IMAGE_TO_VIDEO: ("allow_adult",)}
VEO_3_1_LONG_ONLY = {"1080p": (8,), "4k": (8,)}

VEO_MODELS: dict[str, VeoModel] = {
    "veo-3.1-generate-preview": VeoModel(
        resolutions=("720p", "1080p", "4k"),
        resolution_durations=VEO_3_1_LONG_ONLY,
        person_generation=VEO_3_PEOPLE,
        native_audio=True,
        usd_per_second={"*": 0.40, "4k": 0.60},
    ),
    "veo-3.1-fast-generate-preview": VeoModel(
        resolutions=("720p", "1080p", "4k"),
        resolution_durations=VEO_3_1_LONG_ONLY,
        person_generation=VEO_3_PEOPLE,
        native_audio=True,
        usd_per_second={"*": 0.15, "4k": 0.35},
    ),
    "veo-3.0-generate-001": VeoModel(
        resolutions=("720p", "1080p"),
        resolution_ratios={"1080p": ("16:9",)},
        person_generation=VEO_3_PEOPLE,
        native_audio=True,
        usd_per_second={"*": 0.40},
    ),
    "veo-3.0-fast-generate-001": VeoModel(
        resolutions=("720p", "1080p"),
        resolution_ratios={"1080p": ("16:9",)},
        person_generation=VEO_3_PEOPLE,
        native_audio=True,
        usd_per_second={"*": 0.15},
    ),
    "veo-2.0-generate-001": VeoModel(
        durations=(5, 6, 8),
        person_generation={
            TEXT_TO_VIDEO: ("allow_all", "allow_adult", "dont_allow"),
            IMAGE_TO_VIDEO: ("allow_adult", "dont_allow"),
        },
        usd_per_second={"*": 0.35},
    ),
}
