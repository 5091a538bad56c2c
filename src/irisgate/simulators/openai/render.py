"""What a job makes: real image bytes of the requested size and format, and a plausible `usage`.

Images are Pillow gradients (`common.images`), one colour pair per image, encoded as the job's
`output_format` (`output_compression` as the JPEG/WEBP quality) with an alpha channel when the
background is transparent. Token counts are simulated, not OpenAI's: about four characters per text
token, a fixed count per input image, and per output image the count OpenAI lists for gpt-image-1
at that quality and size (scaled by pixels for other sizes).
"""

from __future__ import annotations

import io
import math
from typing import Any

from PIL import Image

from ..common.images import colours_for, render_image
from .models import OUTPUT_TOKENS
from .validation import Job

PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPG", "webp": "WEBP"}
MAX_PILLOW_QUALITY = 95  # Pillow's JPEG quality above 95 only grows the file
INPUT_IMAGE_TOKENS = 323


def render(job: Job, index: int) -> bytes:
    """Image number ``index`` of the job."""
    start, end = colours_for(index, job.prompt)
    quality = min(job.compression, MAX_PILLOW_QUALITY)
    data = render_image(job.width, job.height, PILLOW_FORMATS[job.output_format], quality, start, end)
    if job.background == "transparent":
        data = _with_alpha(data, job.output_format, quality)
    return data


def _with_alpha(data: bytes, output_format: str, quality: int) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
    alpha = Image.linear_gradient("L").resize(rgba.size)
    rgba.putalpha(alpha)
    buffer = io.BytesIO()
    rgba.save(buffer, "PNG" if output_format == "png" else "WEBP", quality=quality)
    return buffer.getvalue()


def usage(job: Job) -> dict[str, Any]:
    """The `usage` object of a GPT image model's answer."""
    text_tokens = max(1, math.ceil(len(job.prompt) / 4))
    image_tokens = INPUT_IMAGE_TOKENS * len(job.inputs)
    output_tokens = _output_tokens(job) * job.n
    return {
        "input_tokens": text_tokens + image_tokens,
        "input_tokens_details": {"image_tokens": image_tokens, "text_tokens": text_tokens},
        "output_tokens": output_tokens,
        "total_tokens": text_tokens + image_tokens + output_tokens,
    }


def _output_tokens(job: Job) -> int:
    table = OUTPUT_TOKENS.get(job.quality, OUTPUT_TOKENS["high"])
    if job.size in table:
        return table[job.size]
    return round(table["1024x1024"] * job.width * job.height / (1024 * 1024))
