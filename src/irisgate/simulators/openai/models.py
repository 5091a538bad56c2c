"""The image models the simulator serves, and what each accepts.

From the `openai` SDK's docstrings (generated from OpenAI's API reference): v2.25.0 for gpt-image-1,
gpt-image-1-mini, gpt-image-1.5, dall-e-2 and dall-e-3; v3.60.0 for gpt-image-2 and gpt-image-2.5.
The simulator keeps its own table (not the provider's), so the two can disagree and a test show it.
"""

from __future__ import annotations

from dataclasses import dataclass

GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
GPT_QUALITIES = ("low", "medium", "high", "auto")
OUTPUT_FORMATS = ("png", "jpeg", "webp")

# The parameters of `images.generate` and `images.edit` (the SDK's `image_generate_params.py` and
# `image_edit_params.py`, v3.60.0); anything else is `unknown_parameter`.
GENERATE_PARAMS = frozenset(
    {
        "background", "complexity", "frame_count", "frame_duration_ms", "model", "moderation", "n",
        "output_compression", "output_format", "partial_images", "prompt", "quality", "response_format",
        "safety_identifier", "size", "stream", "style", "svg", "user",
    }
)  # fmt: skip
EDIT_PARAMS = frozenset(
    {
        "background", "complexity", "frame_count", "frame_duration_ms", "image", "input_fidelity", "markup",
        "mask", "model", "n", "output_compression", "output_format", "partial_images", "prompt", "quality",
        "response_format", "safety_identifier", "size", "stream", "svg", "user",
    }
)  # fmt: skip
# "only supported for the GPT image models"
GPT_ONLY = ("background", "moderation", "output_compression", "output_format", "partial_images", "stream")


@dataclass(frozen=True)
class SimModel:
    gpt: bool  # a GPT image model: base64 answers only, usage, the GPT-only options
    sizes: tuple[str, ...]
    flexible: bool = False  # also any WxH, sides multiples of 16, ratio within 3:1, at most 3840x2160
    max_n: int = 10
    qualities: tuple[str, ...] = GPT_QUALITIES
    styles: tuple[str, ...] = ()
    edits: bool = True
    max_edit_images: int = 16
    max_prompt: int = 32000


FLEXIBLE_GPT = SimModel(True, GPT_SIZES, flexible=True)
GPT_2_5 = SimModel(
    True, GPT_SIZES, flexible=True, qualities=("low", "medium", "high", "xhigh", "max", "auto")
)

MODELS: dict[str, SimModel] = {
    "gpt-image-1": SimModel(True, GPT_SIZES),
    "gpt-image-1-mini": SimModel(True, GPT_SIZES),
    "gpt-image-1.5": SimModel(True, GPT_SIZES),
    "chatgpt-image-latest": SimModel(True, GPT_SIZES),
    "gpt-image-2": FLEXIBLE_GPT,
    "gpt-image-2-2026-04-21": FLEXIBLE_GPT,
    "gpt-image-2.5-sunburst": GPT_2_5,
    "gpt-image-2.5-flare": GPT_2_5,
    "dall-e-3": SimModel(
        False,
        ("1024x1024", "1792x1024", "1024x1792"),
        max_n=1,
        qualities=("standard", "hd", "auto"),
        styles=("vivid", "natural"),
        edits=False,
        max_prompt=4000,
    ),
    "dall-e-2": SimModel(
        False, ("256x256", "512x512", "1024x1024"), qualities=("standard", "auto"), max_edit_images=1,
        max_prompt=1000,
    ),
}  # fmt: skip
DEFAULT_MODEL = (
    "dall-e-2"  # "Defaults to `dall-e-2` unless a parameter specific to the GPT image models is used"
)
DEFAULT_EDIT_MODEL = "gpt-image-1.5"  # edit: "Defaults to `gpt-image-1.5`" (v2.25.0)


def flexible_size_ok(width: int, height: int) -> bool:
    return (
        width % 16 == 0
        and height % 16 == 0
        and max(width, height) <= 3 * min(width, height)
        and max(width, height) <= 3840
        and width * height <= 3840 * 2160
    )


# Output image tokens per image, by quality and standard size (for the simulated `usage`; OpenAI's
# image-generation guide gives these counts for gpt-image-1). Other sizes scale by pixel count.
OUTPUT_TOKENS = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
