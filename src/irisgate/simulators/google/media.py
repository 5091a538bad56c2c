"""Real media for the simulated Gemini API: Imagen's PNG/JPEG bytes (returned inline, base64) and
Veo's H.264 MP4s (served at the file URI with the key, GET and HEAD, single `Range` requests)."""

from __future__ import annotations

import asyncio
import base64

from starlette.requests import Request
from starlette.responses import Response

from ..common.byte_ranges import RangedMedia, media_response
from ..common.images import OUTPUT_FORMATS, colours_for, render_image
from ..mp4 import FREE_BOX_HEADER, encode_mp4
from .operations import Operation
from .validation import ImageJob


def image_predictions(job: ImageJob, seed: int) -> list[dict[str, str]]:
    """`predictions`: one `{"bytesBase64Encoded", "mimeType"}` per image, each of its own colours."""
    out = []
    for index in range(job.count):
        start, end = colours_for(seed + index, job.prompt)
        data = render_image(job.width, job.height, job.output_format, job.quality, start, end)
        out.append(
            {
                "bytesBase64Encoded": base64.b64encode(data).decode("ascii"),
                "mimeType": OUTPUT_FORMATS[job.output_format][1],
            }
        )
    return out


async def video_response(request: Request, operation: Operation, padding: int) -> Response:
    data = await asyncio.to_thread(encode_mp4, operation.width, operation.height, operation.seconds)
    item = RangedMedia(data, "video/mp4", max(padding, FREE_BOX_HEADER) if padding else 0)
    return media_response(request, item, {"etag": f'"{operation.file_id}"'})
