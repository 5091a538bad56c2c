"""Output files: signed-looking URLs, real media rendered on first download, and how they are served.

URLs look like CloudFront's: `<sim base>/cdn/<task id>/<uuid>.mp4?_jwt=<opaque>` (PNG for
text_to_image). The `_jwt` must match, as must the name; otherwise, or with `urls_expired`, the answer
is 403 with an S3/CloudFront-style XML `AccessDenied` body. Videos are `encode_mp4(w, h, seconds)`
(H.264, yuv420p, w x h from the ratio) plus a streamed `free` box of `video_padding_bytes`; images are
Pillow PNGs of the ratio. GET and HEAD, with single `Range` requests (common.byte_ranges).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import uuid

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..common.byte_ranges import RangedMedia, media_response
from ..common.images import colours_for, render_image
from ..mp4 import FREE_BOX_HEADER, encode_mp4
from .tasks import OutputPlan, Task, UrlFor
from .uploads import s3_error

OUTPUT_PATH_PREFIX = "/cdn/"
EXTENSIONS = {"video": "mp4", "image": "png"}
CONTENT_TYPES = {"video": "video/mp4", "image": "image/png"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_plan(kind: str, width: int, height: int, seconds: int) -> OutputPlan:
    """An output with a fresh UUID and an opaque JWT-looking token (header.payload.signature)."""
    media_id = str(uuid.uuid4())
    header = _b64url(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
    payload = _b64url(orjson.dumps({"key": media_id, "exp": 4102444800}))
    token = f"{header}.{payload}.{_b64url(secrets.token_bytes(32))}"
    return OutputPlan(media_id, token, kind, width, height, seconds)


def url_builder(base_url: str) -> UrlFor:
    base = base_url.rstrip("/")

    def url_for(task: Task, plan: OutputPlan) -> str:
        return (
            f"{base}{OUTPUT_PATH_PREFIX}{task.id}/{plan.media_id}.{EXTENSIONS[plan.kind]}?_jwt={plan.token}"
        )

    return url_for


def _render_png(plan: OutputPlan, seed: int, prompt: str) -> bytes:
    start, end = colours_for(seed, prompt)
    return render_image(plan.width, plan.height, "PNG", 0, start, end)


async def render(task: Task, plan: OutputPlan, padding: int) -> RangedMedia:
    """The output's bytes (encoded off the event loop; both encoders cache by shape)."""
    if plan.kind == "image":
        data = await asyncio.to_thread(_render_png, plan, task.seed, task.prompt or "")
        return RangedMedia(data, CONTENT_TYPES["image"])
    data = await asyncio.to_thread(encode_mp4, plan.width, plan.height, plan.seconds)
    if padding:
        padding = max(padding, FREE_BOX_HEADER)
    return RangedMedia(data, CONTENT_TYPES["video"], padding)


def access_denied() -> Response:
    body = s3_error("AccessDenied", "Access denied")
    return Response(
        body, status_code=403, media_type="application/xml", headers={"x-cache": "Error from cloudfront"}
    )


async def serve_output(
    request: Request, found: tuple[Task, OutputPlan] | None, expired: bool, padding: int
) -> Response:
    """GET/HEAD of an output URL: 403 unless the name and `_jwt` match (and URLs have not expired)."""
    name: str = request.path_params["name"]
    if found is None:
        return access_denied()
    task, plan = found
    if (
        expired
        or request.path_params["task_id"] != task.id
        or name != f"{plan.media_id}.{EXTENSIONS[plan.kind]}"
        or request.query_params.get("_jwt") != plan.token
    ):
        return access_denied()
    item = await render(task, plan, padding)
    return media_response(request, item, {"etag": f'"{plan.media_id}"', "x-cache": "Hit from cloudfront"})
