"""What irisgate knows of OpenAI's image models: sizes, counts, qualities, styles, edits and prices.

The limits are those of the official `openai` Python SDK's docstrings, which are generated from
OpenAI's API reference (`src/openai/resources/images.py`):
- v2.25.0 (github.com/openai/openai-python, commit 9b1bb6e): gpt-image-1, gpt-image-1-mini,
  gpt-image-1.5, dall-e-2, dall-e-3 (sizes per model, `n` 1-10 and `n=1` for dall-e-3, qualities,
  `style` for dall-e-3 only, the GPT-only options, edits by GPT image models and dall-e-2 with one
  square PNG under 4 MB, prompts of 1000 / 4000 / 32000 characters);
- v3.60.0 (the SDK the tests use): gpt-image-2 and gpt-image-2.5 (any `WIDTHxHEIGHT` with both sides
  multiples of 16, an aspect ratio between 1:3 and 3:1, at most 3840x2160; `xhigh` and `max`
  quality on 2.5; `input_fidelity` left out on gpt-image-2, only `low` on gpt-image-1-mini).
A request for a model listed here is checked before it is sent, with a 400 that lists the allowed
values; other models (new ones, snapshots not listed) pass through unchecked, and OpenAI's own 400
comes back with its `param`.

Prices (USD, for `usage.cost`, an estimate): per 1M tokens for GPT image models, from OpenAI's model
pages (developers.openai.com/api/docs/models/gpt-image-1: text input $5, image input $10, image
output $40; .../gpt-image-1-mini: $2, $2.50, $8); per image for DALL·E, from openai.com/api/pricing
as it listed them while those models were offered (dall-e-3 standard $0.04 square, $0.08 wide, HD
$0.08 / $0.12; dall-e-2 $0.016 / $0.018 / $0.02 by size). Models without a published price here
get no cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

GPT_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
GPT_QUALITIES = ("low", "medium", "high", "auto")
GPT_2_5_QUALITIES = ("low", "medium", "high", "xhigh", "max", "auto")
FIDELITIES = ("high", "low")
# options "only supported for the GPT image models" (the SDK's docstrings); a DALL·E model refuses them
GPT_ONLY_OPTIONS = (
    "background",
    "moderation",
    "output_format",
    "output_compression",
    "partial_images",
    "input_fidelity",
)
# parameters of one endpoint only (the SDK's `image_generate_params.py` / `image_edit_params.py`)
GENERATION_ONLY_OPTIONS = ("moderation", "style")
EDIT_ONLY_OPTIONS = ("input_fidelity",)
# prefixes of the GPT image models, which always answer base64 and take no `response_format`
GPT_IMAGE_PREFIXES = ("gpt-image", "chatgpt-image")
EDIT_PNG_LIMIT = 4 * 1024 * 1024  # dall-e-2's images and every mask: "a PNG file less than 4MB"


@dataclass(frozen=True)
class FlexibleSizes:
    """Any WIDTHxHEIGHT within these limits (gpt-image-2 and later), besides the listed sizes."""

    multiple: int = 16
    max_ratio: float = 3.0
    max_side: int = 3840
    max_pixels: int = 3840 * 2160

    def problem(self, width: int, height: int) -> str | None:
        """Why this size is refused, or None when it is allowed."""
        if width % self.multiple or height % self.multiple:
            return f"width and height must be multiples of {self.multiple}"
        if max(width, height) > min(width, height) * self.max_ratio:
            return "the aspect ratio must be between 1:3 and 3:1"
        if max(width, height) > self.max_side or width * height > self.max_pixels:
            return "the largest size is 3840x2160"
        return None


@dataclass(frozen=True)
class TokenPrices:
    """USD per 1M tokens."""

    text_input: float
    image_input: float
    image_output: float


@dataclass(frozen=True)
class OpenAIImageModel:
    sizes: tuple[str, ...]
    flexible: FlexibleSizes | None = None
    max_n: int = 10
    qualities: tuple[str, ...] = GPT_QUALITIES
    styles: tuple[str, ...] = ()  # `style`: dall-e-3 only
    fidelities: tuple[str, ...] | None = FIDELITIES  # `input_fidelity` values; None: not checked
    edits: bool = True
    max_edit_images: int = 16
    square_png_edits: bool = False  # dall-e-2: "a square png file less than 4MB"
    max_prompt: int = 32000
    token_prices: TokenPrices | None = None
    # (quality, size) → USD per image
    image_prices: Mapping[tuple[str, str], float] = field(default_factory=dict)


def is_gpt_image(model: str) -> bool:
    return model.startswith(GPT_IMAGE_PREFIXES)


FLEXIBLE = FlexibleSizes()
GPT_IMAGE_2 = OpenAIImageModel(GPT_SIZES, FLEXIBLE, fidelities=())
GPT_IMAGE_2_5 = OpenAIImageModel(GPT_SIZES, FLEXIBLE, qualities=GPT_2_5_QUALITIES, fidelities=None)

OPENAI_IMAGE_MODELS: dict[str, OpenAIImageModel] = {
    "gpt-image-1": OpenAIImageModel(GPT_SIZES, token_prices=TokenPrices(5.0, 10.0, 40.0)),
    "gpt-image-1-mini": OpenAIImageModel(
        GPT_SIZES, fidelities=("low",), token_prices=TokenPrices(2.0, 2.5, 8.0)
    ),
    "gpt-image-1.5": OpenAIImageModel(GPT_SIZES),
    "gpt-image-2": GPT_IMAGE_2,
    "gpt-image-2-2026-04-21": GPT_IMAGE_2,
    "gpt-image-2.5-sunburst": GPT_IMAGE_2_5,
    "gpt-image-2.5-sunburst-2026-09-08": GPT_IMAGE_2_5,
    "gpt-image-2.5-flare": GPT_IMAGE_2_5,
    "gpt-image-2.5-flare-2026-09-08": GPT_IMAGE_2_5,
    "dall-e-3": OpenAIImageModel(
        ("1024x1024", "1792x1024", "1024x1792"),
        max_n=1,
        qualities=("standard", "hd", "auto"),
        styles=("vivid", "natural"),
        edits=False,
        max_prompt=4000,
        image_prices={
            ("standard", "1024x1024"): 0.04,
            ("standard", "1792x1024"): 0.08,
            ("standard", "1024x1792"): 0.08,
            ("hd", "1024x1024"): 0.08,
            ("hd", "1792x1024"): 0.12,
            ("hd", "1024x1792"): 0.12,
        },
    ),
    "dall-e-2": OpenAIImageModel(
        ("256x256", "512x512", "1024x1024"),
        qualities=("standard", "auto"),
        max_edit_images=1,
        square_png_edits=True,
        max_prompt=1000,
        image_prices={
            ("standard", "256x256"): 0.016,
            ("standard", "512x512"): 0.018,
            ("standard", "1024x1024"): 0.02,
        },
    ),
}

# what OpenAI uses when a request leaves them out (the SDK's docstrings: `quality` defaults to
# `auto`, which is `standard` on DALL·E; DALL·E sizes default to 1024x1024)
DALL_E_DEFAULT_QUALITY = "standard"
DALL_E_DEFAULT_SIZE = "1024x1024"
