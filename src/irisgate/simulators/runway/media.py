"""Output files: signed-looking URLs, real media rendered on first download, and how they are served.

URLs look like CloudFront's: `<sim base>/cdn/<task id>/<uuid>.mp4?_jwt=<token>` (PNG for
text_to_image). Each time a task object is given out its URLs are signed afresh: the token is a JWT
(HS256, signed with the output's own secret) whose payload names the output and when the URL expires:
`urls_expire_after_seconds` after it was issued, as Runway's signed URLs do, so that a task fetched
again gives fresh URLs; by default never (and then the URL is the same every time). A token that is
not the output's, a wrong name, a URL past its expiry, or `urls_expired` (every URL at once) is
answered 403 with an S3/CloudFront-style XML `AccessDenied` body. Videos are `encode_mp4(w, h,
seconds)` (H.264, yuv420p, w x h from the ratio) plus a streamed `free` box of `video_padding_bytes`;
images are Pillow PNGs of the ratio. GET and HEAD, with single `Range` requests (common.byte_ranges).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid
from typing import Any

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


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


NEVER = 4102444800  # 2100-01-01: the expiry of a URL when `urls_expire_after_seconds` is not set
_JWT_HEADER = _b64url(orjson.dumps({"alg": "HS256", "typ": "JWT"}))


def new_plan(kind: str, width: int, height: int, seconds: int) -> OutputPlan:
    """An output with a fresh UUID and its own URL-signing secret."""
    return OutputPlan(str(uuid.uuid4()), secrets.token_hex(32), kind, width, height, seconds)


def sign(plan: OutputPlan, expires_after: float | None, now: float | None = None) -> str:
    """A JWT for the output's URL: its media id, and when the URL stops working (unix seconds)."""
    issued = time.time() if now is None else now
    expires = NEVER if expires_after is None else round(issued + expires_after, 3)
    payload = _b64url(orjson.dumps({"key": plan.media_id, "exp": expires}))
    signed = f"{_JWT_HEADER}.{payload}"
    signature = hmac.new(plan.token.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{_b64url(signature)}"


def verified_claims(plan: OutputPlan, token: str | None) -> dict[str, Any] | None:
    """The claims of a token this output's secret signed, or None."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    signed = f"{parts[0]}.{parts[1]}"
    expected = _b64url(hmac.new(plan.token.encode(), signed.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        claims = orjson.loads(_b64url_decode(parts[1]))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) and claims.get("key") == plan.media_id else None


def url_builder(base_url: str, expires_after: float | None = None) -> UrlFor:
    """Signs each URL it builds, valid for ``expires_after`` seconds from now (None: for good)."""
    base = base_url.rstrip("/")

    def url_for(task: Task, plan: OutputPlan) -> str:
        token = sign(plan, expires_after)
        return f"{base}{OUTPUT_PATH_PREFIX}{task.id}/{plan.media_id}.{EXTENSIONS[plan.kind]}?_jwt={token}"

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
    """GET/HEAD of an output URL: 403 unless the name matches and the `_jwt` is the output's own and
    has not expired (and URLs have not all expired)."""
    name: str = request.path_params["name"]
    if found is None:
        return access_denied()
    task, plan = found
    claims = verified_claims(plan, request.query_params.get("_jwt"))
    if (
        expired
        or claims is None
        or not isinstance(claims.get("exp"), int | float)
        or time.time() >= claims["exp"]
        or request.path_params["task_id"] != task.id
        or name != f"{plan.media_id}.{EXTENSIONS[plan.kind]}"
    ):
        return access_denied()
    item = await render(task, plan, padding)
    return media_response(request, item, {"etag": f'"{plan.media_id}"', "x-cache": "Hit from cloudfront"})
