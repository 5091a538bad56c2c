"""OpenAI's `ImagesResponse` → the unified result (pure functions).

The answer (the SDK's `types/images_response.py` and `types/image.py`): `created`, `data[]` of
`{b64_json?, url?, revised_prompt?}` (GPT image models answer `b64_json` only; DALL·E a `url` unless
`response_format` is `b64_json`), `background`, `output_format`, `quality`, `size`, and for GPT image
models `usage` {`input_tokens`, `input_tokens_details` {`image_tokens`, `text_tokens`},
`output_tokens`, `total_tokens`, `output_tokens_details`?}. Every image and these fields are kept;
`usage` goes to the client as OpenAI sent it, with irisgate's `cost` beside it.

The cost is an estimate from the published prices in `models.py`: tokens times the per-1M prices for
GPT image models (input split into text and image tokens as `input_tokens_details` says, else all
priced as text; cached-input discounts are not known here), and the per-image price times the images
answered for DALL·E (`quality` auto or absent priced as standard, size absent as 1024x1024).
"""

from __future__ import annotations

from typing import Any

from irisgate.providers.openai.models import (
    DALL_E_DEFAULT_QUALITY,
    DALL_E_DEFAULT_SIZE,
    OPENAI_IMAGE_MODELS,
    TokenPrices,
)
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import GeneratedImage, ImagesResult

PER_MILLION = 1_000_000


def parse_images(answer: dict[str, Any], sent: dict[str, Any], model: str) -> ImagesResult:
    """The images and what OpenAI reported of them; `sent` is the wire request (its size, format)."""
    images = [image for item in answer.get("data") or [] if (image := _image(item)) is not None]
    if not images:
        raise GatewayError(502, "OpenAI answered without any image", code="upstream_invalid_response")
    usage = answer.get("usage") if isinstance(answer.get("usage"), dict) else {}
    size = _text(answer.get("size")) or (sent.get("size") if sent.get("size") != "auto" else None)
    return ImagesResult(
        images=images,
        cost_usd=estimate_cost(model, usage, sent, len(images)),
        output_format=_text(answer.get("output_format")) or _text(sent.get("output_format")),
        size=size,
        usage=dict(usage),
        background=_text(answer.get("background")),
        quality=_text(answer.get("quality")),
    )


def _image(item: Any) -> GeneratedImage | None:
    if not isinstance(item, dict):
        return None
    b64, url = _text(item.get("b64_json")), _text(item.get("url"))
    if b64 is None and url is None:
        return None
    return GeneratedImage(url=url, b64_json=b64, revised_prompt=_text(item.get("revised_prompt")))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def estimate_cost(model: str, usage: dict[str, Any], sent: dict[str, Any], count: int) -> float | None:
    """USD for this answer from OpenAI's published prices, or None when the model has none here."""
    known = OPENAI_IMAGE_MODELS.get(model)
    if known is None:
        return None
    if known.token_prices is not None:
        return token_cost(known.token_prices, usage)
    if known.image_prices:
        quality = sent.get("quality")
        quality = DALL_E_DEFAULT_QUALITY if quality in (None, "auto") else quality
        price = known.image_prices.get((str(quality), str(sent.get("size") or DALL_E_DEFAULT_SIZE)))
        return round(price * count, 6) if price is not None else None
    return None


def token_cost(prices: TokenPrices, usage: dict[str, Any]) -> float | None:
    """Input text and image tokens and output tokens at their per-1M prices (None without usage)."""
    input_tokens, output_tokens = _count(usage.get("input_tokens")), _count(usage.get("output_tokens"))
    if input_tokens is None or output_tokens is None:
        return None
    details = usage.get("input_tokens_details")
    details = details if isinstance(details, dict) else {}
    image_tokens = _count(details.get("image_tokens")) or 0
    text_tokens = _count(details.get("text_tokens"))
    if text_tokens is None:
        text_tokens = max(input_tokens - image_tokens, 0)
    dollars = (
        text_tokens * prices.text_input
        + image_tokens * prices.image_input
        + output_tokens * prices.image_output
    ) / PER_MILLION
    return round(dollars, 8)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
