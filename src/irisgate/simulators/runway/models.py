"""The per-model table (data): which endpoint takes which model, with which fields, ratios, durations,
promptImage positions and credit rates. Sources: reference §2.3 (SDK tags v3.22-v5.24).

Credits (simulated, documented): video = rate x seconds, veo3.1* add an audio rate when `audio` is
true (the default); images are flat: gen4_image 5 (720p-class ratios) or 8 (1080p-class),
gen4_image_turbo 2. Failed and cancelled tasks cost 0.
"""

from __future__ import annotations

from dataclasses import dataclass

ENDPOINTS = ("image_to_video", "text_to_video", "video_to_video", "text_to_image")

GEN4_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
VEO_RATIOS = ("1280:720", "720:1280", "1080:1920", "1920:1080")
GEN3A_RATIOS = ("1280:768", "768:1280")
ALEPH_RATIOS = ("1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672", "848:480", "640:480")
IMAGE_RATIOS = (
    "1024:1024", "1080:1080", "1168:880", "1360:768", "1440:1080", "1080:1440", "1808:768", "1920:1080",
    "1080:1920", "2112:912", "1280:720", "720:1280", "720:720", "960:720", "720:960", "1680:720",
)  # fmt: skip
TARGET_ASPECT_RATIOS = ("16:9", "4:3", "3:2", "1:1", "2:3", "3:4", "9:16", "21:9")
VIDEO_OUTPUT_FORMATS = (
    "mp4", "prores", "png_sequence", "hdr10", "hlg", "sdr_rec709_10bit", "hdr_pq_12bit_master", "hdr_prores",
    "hdr_png_sequence", "hdr_exr_sequence",
)  # fmt: skip
PRORES_PROFILES = ("422", "4444", "422 Proxy", "422 LT", "422 HQ", "4444 XQ")
PUBLIC_FIGURE_THRESHOLDS = ("auto", "low")

# Seconds of output for models without a duration field (video_to_video).
V2V_SECONDS = 5
DEFAULT_VIDEO_SIZE = (1280, 720)


@dataclass(frozen=True)
class Duration:
    """The `duration` rule: an enum (`choices`) or an integer range; `default` when omitted."""

    default: int
    choices: tuple[int, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    required: bool = False


@dataclass(frozen=True)
class Variant:
    """One (model, endpoint) member of the endpoint's discriminated union."""

    model: str
    endpoint: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    ratios: tuple[str, ...] | None  # None: a free-form string (aleph2)
    default_ratio: str
    duration: Duration | None = None
    positions: tuple[str, ...] = ()  # allowed promptImage positions (image_to_video only)
    last_only_ok: bool = True  # an array promptImage may hold just a `last` frame
    credits_per_second: int = 0
    audio_credits_per_second: int = 0
    flat_credits: tuple[int, int] | None = None  # images: (720p-class, 1080p-class)
    min_reference_images: int = 0

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(("model", *self.required, *self.optional))

    @property
    def output_kind(self) -> str:
        return "image" if self.endpoint == "text_to_image" else "video"


_NATIVE = ("seed", "contentModeration")
_GEN4_RANGE = Duration(default=10, minimum=2, maximum=10)
_VEO31 = Duration(default=8, choices=(4, 6, 8))
_VEO3 = Duration(default=8, choices=(8,), required=True)

_VARIANTS = (
    # image_to_video
    Variant("gen4_turbo", "image_to_video", ("promptImage", "ratio"), ("promptText", "duration", *_NATIVE),
            GEN4_RATIOS, "1280:720", _GEN4_RANGE, ("first",), credits_per_second=5),
    Variant("gen4.5", "image_to_video", ("promptImage", "promptText", "ratio", "duration"),
            (*_NATIVE, "outputFormat", "proresProfile"), GEN4_RATIOS, "1280:720",
            Duration(default=5, minimum=2, maximum=10, required=True), ("first",), credits_per_second=12),
    Variant("gen3a_turbo", "image_to_video", ("promptImage", "promptText"), ("ratio", "duration", *_NATIVE),
            GEN3A_RATIOS, "1280:768", Duration(default=10, choices=(5, 10)), ("first", "last"),
            credits_per_second=5),
    Variant("veo3", "image_to_video", ("promptImage", "ratio", "duration"), ("promptText",),
            VEO_RATIOS, "1280:720", _VEO3, ("first",), credits_per_second=40),
    Variant("veo3.1", "image_to_video", ("promptImage", "ratio"),
            ("promptText", "duration", "audio", "negativePrompt", "seed"), VEO_RATIOS, "1280:720", _VEO31,
            ("first", "last"), last_only_ok=False, credits_per_second=20, audio_credits_per_second=20),
    Variant("veo3.1_fast", "image_to_video", ("promptImage", "ratio"),
            ("promptText", "duration", "audio", "negativePrompt", "seed"), VEO_RATIOS, "1280:720", _VEO31,
            ("first", "last"), last_only_ok=False, credits_per_second=10, audio_credits_per_second=5),
    # text_to_video
    Variant("gen4.5", "text_to_video", ("promptText", "ratio", "duration"),
            (*_NATIVE, "outputFormat", "proresProfile"), ("1280:720", "720:1280"), "1280:720",
            Duration(default=5, minimum=2, maximum=10, required=True), credits_per_second=12),
    Variant("veo3", "text_to_video", ("promptText", "ratio", "duration"), (), VEO_RATIOS, "1280:720", _VEO3,
            credits_per_second=40),
    Variant("veo3.1", "text_to_video", ("promptText", "ratio"),
            ("duration", "audio", "negativePrompt", "seed"), VEO_RATIOS, "1280:720", _VEO31,
            credits_per_second=20, audio_credits_per_second=20),
    Variant("veo3.1_fast", "text_to_video", ("promptText", "ratio"),
            ("duration", "audio", "negativePrompt", "seed"), VEO_RATIOS, "1280:720", _VEO31,
            credits_per_second=10, audio_credits_per_second=5),
    # video_to_video
    Variant("gen4_aleph", "video_to_video", ("promptText", "videoUri"), ("ratio", "references", *_NATIVE),
            ALEPH_RATIOS, "1280:720", credits_per_second=15),
    Variant("aleph2", "video_to_video", ("videoUri",),
            ("promptText", "keyframes", "ratio", "targetAspectRatio", "outputFormat", "proresProfile",
             *_NATIVE), None, "1280:720", credits_per_second=15),
    # text_to_image
    Variant("gen4_image", "text_to_image", ("promptText", "ratio"), ("referenceImages", *_NATIVE),
            IMAGE_RATIOS, "1920:1080", flat_credits=(5, 8)),
    Variant("gen4_image_turbo", "text_to_image", ("promptText", "ratio", "referenceImages"), _NATIVE,
            IMAGE_RATIOS, "1920:1080", flat_credits=(2, 2), min_reference_images=1),
)  # fmt: skip

VARIANTS: dict[tuple[str, str], Variant] = {(v.endpoint, v.model): v for v in _VARIANTS}


def find_variant(endpoint: str, model: str, removed: set[str]) -> Variant | None:
    """The variant for ``model`` on ``endpoint``, unless it is unknown there or removed (knob)."""
    if model in removed:
        return None
    return VARIANTS.get((endpoint, model))


def output_size(variant: Variant, ratio: str | None) -> tuple[int, int]:
    """Pixel size of the output: the `W:H` ratio itself (made even), else the model default."""
    text = ratio if isinstance(ratio, str) else variant.default_ratio
    width_text, _, height_text = text.partition(":")
    try:
        width, height = int(width_text), int(height_text)
    except ValueError:
        return DEFAULT_VIDEO_SIZE
    if not (64 <= width <= 4096 and 64 <= height <= 4096):  # aleph2's free-form ratio may be "16:9"
        return DEFAULT_VIDEO_SIZE
    return width - width % 2, height - height % 2


def output_seconds(variant: Variant, body: dict) -> int:
    if variant.duration is None:
        return V2V_SECONDS
    duration = body.get("duration")
    return duration if isinstance(duration, int) else variant.duration.default


def credits_for(variant: Variant, body: dict) -> int:
    """The task's estimated (and, on success, final) cost in credits."""
    if variant.flat_credits is not None:
        width, height = output_size(variant, body.get("ratio"))
        return variant.flat_credits[0] if min(width, height) <= 720 else variant.flat_credits[1]
    seconds = output_seconds(variant, body)
    rate = variant.credits_per_second
    if variant.audio_credits_per_second and body.get("audio", True) is not False:
        rate += variant.audio_credits_per_second
    return rate * seconds
