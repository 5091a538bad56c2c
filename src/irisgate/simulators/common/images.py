"""Real image bytes for the simulators (Pillow): format sniffing, pixel size, and cached gradient renders."""

from __future__ import annotations

import hashlib
import io
from functools import lru_cache

from PIL import Image

# outputFormat -> (Pillow format, Content-Type, file extension)
OUTPUT_FORMATS: dict[str, tuple[str, str, str]] = {
    "JPG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
}


def sniff_image(data: bytes) -> str | None:
    """The image format named by the magic bytes: PNG, JPEG, WEBP, BMP, GIF, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"BM"):
        return "BMP"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    return None


def image_size(data: bytes) -> tuple[int, int] | None:
    """Pixel size of encoded image bytes, or None when Pillow cannot read them."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:
        return None


# A small palette keeps the render cache effective: (size, format, quality) has at most 64 variants.
_PALETTE: tuple[tuple[int, int, int], ...] = (
    (230, 57, 70),
    (241, 250, 238),
    (168, 218, 220),
    (69, 123, 157),
    (29, 53, 87),
    (255, 183, 3),
    (251, 133, 0),
    (42, 157, 143),
)


def colours_for(seed: int, prompt: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Two deterministic RGB colours (from a small palette) derived from the seed and the prompt."""
    digest = hashlib.sha256(f"{seed}:{prompt}".encode()).digest()
    first = digest[0] % len(_PALETTE)
    second = (first + 1 + digest[1] % (len(_PALETTE) - 1)) % len(_PALETTE)
    return _PALETTE[first], _PALETTE[second]


@lru_cache(maxsize=256)
def render_image(
    width: int,
    height: int,
    output_format: str,
    quality: int,
    start: tuple[int, int, int],
    end: tuple[int, int, int],
) -> bytes:
    """A widthxheight diagonal-ish gradient from ``start`` to ``end``, encoded as ``output_format``."""
    pil_format = OUTPUT_FORMATS[output_format][0]
    mask = Image.linear_gradient("L").rotate(45, expand=False).resize((width, height))
    size = (width, height)
    img = Image.composite(Image.new("RGB", size, end), Image.new("RGB", size, start), mask)
    buf = io.BytesIO()
    if pil_format == "PNG":
        img.save(buf, "PNG", compress_level=1)
    elif pil_format == "WEBP":
        img.save(buf, "WEBP", quality=quality, method=0)
    else:
        img.save(buf, pil_format, quality=quality)
    return buf.getvalue()
