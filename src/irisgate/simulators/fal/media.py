"""Output files: CDN-like URLs, real media rendered on first fetch, and how they are served.

URLs look like fal's media CDN (`https://v3.fal.media/files/<bucket>/<id>_<name>.<ext>`): public, no
key needed, served here at `<sim base>/files/<bucket>/<id>_<name>.<ext>`. Images are Pillow renders
of the requested size and format (JPEG by default, PNG when asked); videos are `encode_mp4(w, h,
seconds)` (H.264, yuv420p), plus a streamed `free` box of `video_padding_bytes`. GET and HEAD, with
single `Range` requests (common.byte_ranges); `urls_expired` makes them 404.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from ..common.byte_ranges import RangedMedia, media_response
from ..common.images import colours_for, render_image
from ..mp4 import FREE_BOX_HEADER, encode_mp4

FILES_PREFIX = "/files/"
BUCKETS = ("rabbit", "zebra", "lion", "koala", "panda", "tiger", "monkey", "penguin")
IMAGE_FORMATS = {"jpeg": ("JPG", "image/jpeg", "jpg"), "png": ("PNG", "image/png", "png")}


@dataclass(frozen=True)
class Output:
    """One output file, rendered when first fetched."""

    media_id: str
    bucket: str
    kind: str  # "image" | "video"
    width: int
    height: int
    fmt: str = "jpeg"  # images: jpeg | png
    seconds: float = 0.0
    seed: int = 0
    prompt: str = ""

    @property
    def name(self) -> str:
        ext = "mp4" if self.kind == "video" else IMAGE_FORMATS[self.fmt][2]
        stem = "output" if self.kind == "video" else "image"
        return f"{self.media_id}_{stem}.{ext}"

    @property
    def content_type(self) -> str:
        return "video/mp4" if self.kind == "video" else IMAGE_FORMATS[self.fmt][1]

    def url(self, base_url: str) -> str:
        return f"{base_url.rstrip('/')}{FILES_PREFIX}{self.bucket}/{self.name}"


def new_output(kind: str, width: int, height: int, **more: object) -> Output:
    media_id = secrets.token_urlsafe(15).replace("-", "x").replace("_", "y")
    bucket = BUCKETS[hashlib.sha256(media_id.encode()).digest()[0] % len(BUCKETS)]
    return Output(media_id, bucket, kind, width, height, **more)  # type: ignore[arg-type]


def image_bytes(output: Output) -> bytes:
    start, end = colours_for(output.seed, output.prompt)
    return render_image(output.width, output.height, IMAGE_FORMATS[output.fmt][0], 90, start, end)


async def render(output: Output, padding: int = 0) -> RangedMedia:
    """The output's bytes (encoded off the event loop; both encoders cache by shape)."""
    if output.kind == "image":
        return RangedMedia(await asyncio.to_thread(image_bytes, output), output.content_type)
    data = await asyncio.to_thread(encode_mp4, output.width, output.height, output.seconds)
    return RangedMedia(data, output.content_type, max(padding, FREE_BOX_HEADER) if padding else 0)


async def data_uri(output: Output) -> str:
    """`sync_mode`: the image inline, as fal answers it."""
    data = (await render(output)).data
    return f"data:{output.content_type};base64,{base64.b64encode(data).decode('ascii')}"


def not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


async def serve(request: Request, output: Output | None, expired: bool, padding: int) -> Response:
    """GET/HEAD of an output URL (public: whatever Authorization is sent is ignored)."""
    if output is None or expired or request.path_params["bucket"] != output.bucket:
        return not_found()
    if request.path_params["name"] != output.name:
        return not_found()
    item = await render(output, padding)
    return media_response(request, item, {"etag": f'"{output.media_id}"'})
