"""Uploaded image files: read with a size cap and recognised by their magic bytes, not their name."""

from __future__ import annotations

from starlette.datastructures import UploadFile

from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.schemas.images import UploadedImage

MAX_IMAGE_BYTES = 25 * 1024 * 1024
READ_CHUNK = 1024 * 1024


def sniff_image_type(data: bytes) -> str | None:
    """The media type of PNG, JPEG or WEBP bytes; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def read_image(upload: UploadFile, field: str) -> UploadedImage:
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(READ_CHUNK):
        size += len(chunk)
        if size > MAX_IMAGE_BYTES:
            raise GatewayError(
                413,
                f"'{field}' is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
                code="file_too_large",
                param=field,
                error_type="invalid_request_error",
            )
        chunks.append(chunk)
    data = b"".join(chunks)
    media_type = sniff_image_type(data)
    if media_type is None:
        name = f" ({upload.filename})" if upload.filename else ""
        raise invalid_request(
            f"'{field}'{name} is not a PNG, JPEG or WEBP image", field, code="invalid_image_file"
        )
    return UploadedImage(data=data, media_type=media_type, filename=upload.filename)
