"""Small real images for tests, and a decoder to check what came back."""

from __future__ import annotations

import base64
import io

from PIL import Image


def image_bytes(
    width: int = 64, height: int = 64, fmt: str = "PNG", color: tuple[int, int, int] = (200, 30, 90)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format=fmt)
    return buffer.getvalue()


def decode_image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def decode_b64_image(b64: str) -> Image.Image:
    return decode_image(base64.b64decode(b64))


def data_uri(data: bytes, media_type: str = "image/png") -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"
