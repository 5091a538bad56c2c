"""Uploaded images (file parts, data URIs): size-capped and recognised by their magic bytes."""

from __future__ import annotations

import binascii
import re

from starlette.datastructures import UploadFile

from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.schemas.images import UploadedImage

MAX_IMAGE_BYTES = 25 * 1024 * 1024
READ_CHUNK = 1024 * 1024
DATA_URI_HEAD = re.compile(r"data:([\w.+-]+/[\w.+-]+)?((?:;[\w.+-]+=[\w.+-]+)*);base64,", re.ASCII)
DECODE_SLICE = 4 * 1024 * 1024  # base64 characters decoded at a time: a multiple of 4


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
        if not chunks:
            check_image(chunk, field, upload.filename)  # refuse a non-image before reading the rest
        size += len(chunk)
        if size > MAX_IMAGE_BYTES:
            raise too_large(field)
        chunks.append(chunk)
    data = b"".join(chunks)
    media_type = check_image(data, field, upload.filename)
    return UploadedImage(data=data, media_type=media_type, filename=upload.filename)


def check_data_uri(uri: str, field: str) -> str:
    """A ``data:<type>;base64,<bytes>`` image, checked as an uploaded file is (a PNG, JPEG or WEBP
    within the size limit, and valid base64), and given back as it came, to be forwarded: it is
    decoded a slice at a time and never whole, so a large one is not held twice (or four times, as
    a decoded copy and its re-encoding would)."""
    head = DATA_URI_HEAD.match(uri)
    if head is None:
        raise invalid_request(
            f"'{field}' is not a valid data URI: expected data:image/<type>;base64,<data>", field
        )
    if (len(uri) - head.end()) * 3 // 4 > MAX_IMAGE_BYTES:
        raise too_large(field)
    if any(character.isspace() for character in uri[head.end() : head.end() + 80]) or uri[-1].isspace():
        uri = "".join(uri.split())  # base64 broken into lines: rare, and worth one copy
    if len(uri) == head.end():
        check_image(b"", field, None)  # no data: not an image
    for offset in range(head.end(), len(uri), DECODE_SLICE):
        try:
            decoded = binascii.a2b_base64(uri[offset : offset + DECODE_SLICE], strict_mode=True)
        except binascii.Error:
            raise invalid_request(
                f"'{field}' is not a valid data URI: its data is not base64", field
            ) from None
        if offset == head.end():
            check_image(decoded, field, None)
    return uri


def check_image(data: bytes, field: str, filename: str | None) -> str:
    media_type = sniff_image_type(data)
    if media_type is None:
        name = f" ({filename})" if filename else ""
        message = f"'{field}'{name} is not a PNG, JPEG or WEBP image"
        raise invalid_request(message, field, code="invalid_image_file")
    return media_type


def too_large(field: str) -> GatewayError:
    return GatewayError(
        413,
        f"'{field}' is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB",
        code="file_too_large",
        param=field,
        error_type="invalid_request_error",
    )
