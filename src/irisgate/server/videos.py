"""`/v1/videos*`: create (JSON or multipart), retrieve, list, download, delete; remix is unsupported."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from irisgate.admin.clients import require_models
from irisgate.jobs.ids import is_video_id, not_found
from irisgate.jobs.service import VideoJobs
from irisgate.media.serving import serve_thumbnail, serve_video
from irisgate.schemas.errors import invalid_request, unsupported_operation
from irisgate.schemas.validation import parse_model
from irisgate.schemas.videos import TERMINAL_STATUSES, ImageReference, VideoCreateRequest
from irisgate.server.forms import decode_loose, int_param, read_json_object, read_multipart
from irisgate.server.observe import CallContext, observed
from irisgate.server.responses import json_response
from irisgate.server.uploads import check_data_uri, read_image
from irisgate.store import VideoJobRecord

POLL_AFTER_MS = "2000"
VARIANTS = ("video", "thumbnail")  # OpenAI's third, `spritesheet`, is a 400
MAX_PAGE = 100


def jobs_of(request: Request) -> VideoJobs:
    return request.app.state.gateway.jobs


def video_object(job: VideoJobRecord) -> dict[str, Any]:
    """The OpenAI `Video` object of a job (plus `usage.cost` when the provider reported one)."""
    body: dict[str, Any] = {
        "id": job.id,
        "object": "video",
        "status": public_status(job.status),
        "progress": job.progress,
        "created_at": int(job.created_at.timestamp()),
        "completed_at": int(job.completed_at.timestamp()) if job.completed_at else None,
        "expires_at": int(job.expires_at.timestamp()) if job.expires_at else None,
        "model": f"{job.provider}/{job.model}",
        "prompt": job.prompt,
        "seconds": job.seconds or "auto",
        "size": job.size or "auto",
        "remixed_from_video_id": None,
        "error": {"code": job.error_code or "failed", "message": job.error_message or ""}
        if job.status == "failed"
        else None,
    }
    if job.cost_usd is not None:
        body["usage"] = {"cost": job.cost_usd}
    return body


def public_status(status: str) -> str:
    """A job recorded before its create answered (``submitting``) is, to clients, queued."""
    return "queued" if status == "submitting" else status


def video_response(job: VideoJobRecord, status: int = 200) -> Response:
    headers = {} if job.status in TERMINAL_STATUSES else {"openai-poll-after-ms": POLL_AFTER_MS}
    return json_response(video_object(job), status, headers)


@observed("/v1/videos")
async def create_video(request: Request, ctx: CallContext) -> Response:
    payload = parse_model(VideoCreateRequest, await create_fields(request))
    require_models(ctx.client, payload.model, payload.fallbacks)
    job = ctx.use_job(await jobs_of(request).create(payload, ctx.client))
    ctx.cost_usd = job.cost_usd
    return video_response(job)


async def create_fields(request: Request) -> dict[str, Any]:
    """The create request as one object, from JSON or from a multipart form (the OpenAI SDK's way)."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await read_multipart(request)
        known = VideoCreateRequest.model_fields
        data = {
            name: (value if name in known and name != "extra_params" else decode_loose(value))
            for name, value in form.fields.items()
        }
        unexpected = sorted(set(form.files) - {"input_reference"})
        if unexpected:
            raise invalid_request(f"Unexpected file field '{unexpected[0]}'", unexpected[0])
        files = form.files.get("input_reference", [])
        if len(files) > 1:
            raise invalid_request("Send one 'input_reference' image", "input_reference")
        if files:
            data["input_reference"] = ImageReference(upload=await read_image(files[0], "input_reference"))
            return data
    else:
        data = await read_json_object(request)
    if "input_reference" in data:
        data["input_reference"] = image_reference(data["input_reference"])
    return data


def image_reference(value: Any) -> ImageReference | None:
    """`input_reference` given as text: a URL, a data URI or a provider asset id, or `{image_url}`."""
    if value is None:
        return None
    if isinstance(value, dict):
        if value.get("file_id"):
            raise invalid_request(
                "'input_reference.file_id' refers to OpenAI's Files API, which irisgate does not have; "
                "upload the image or give its URL as 'input_reference.image_url'",
                "input_reference.file_id",
                code="unsupported_parameter",
            )
        value = value.get("image_url")
    if not isinstance(value, str) or not value.strip():
        raise invalid_request(
            "'input_reference' must be an image file, an image URL, a data URI or {\"image_url\": …}",
            "input_reference",
        )
    value = value.strip()
    if value[:5].lower() == "data:":  # decoded and checked here, not left for the provider to refuse
        return ImageReference(uri=check_data_uri(value, "input_reference"))
    return ImageReference(uri=value)


def video_id_of(request: Request) -> str:
    video_id: str = request.path_params["video_id"]
    return video_id


@observed("/v1/videos/{id}")
async def retrieve_video(request: Request, ctx: CallContext) -> Response:
    job = ctx.use_job(await jobs_of(request).retrieve(video_id_of(request), ctx.client))
    return video_response(job)


@observed("/v1/videos/{id}/content")
async def download_video(request: Request, ctx: CallContext) -> Response:
    """The video (or its thumbnail): the kept copy, else the provider's link (media/serving.py).
    Starlette answers HEAD through this GET route: the headers alone."""
    variant = request.query_params.get("variant", "video")
    if variant not in VARIANTS:
        raise invalid_request(
            f"variant {variant!r} is not available: irisgate serves the video and its thumbnail "
            "(variant=video, variant=thumbnail)",
            "variant",
            code="unsupported_variant",
        )
    gateway = request.app.state.gateway
    job = ctx.use_job(await gateway.jobs.retrieve(video_id_of(request), ctx.client))
    head = request.method == "HEAD"
    if variant == "thumbnail":
        return await serve_thumbnail(gateway.media, job, request.headers.get("range"), head)
    return await serve_video(gateway.jobs, gateway.media, job, request.headers.get("range"), head)


@observed("/v1/videos")
async def list_videos(request: Request, ctx: CallContext) -> Response:
    query = request.query_params
    limit = int_param(query.get("limit"), "limit", 20, 1, MAX_PAGE) or 20
    order = query.get("order", "desc")
    if order not in ("asc", "desc"):
        raise invalid_request(f"'order' must be 'asc' or 'desc', got {order!r}", "order")
    after = query.get("after") or None
    if after is not None and not is_video_id(after):
        raise not_found(after)
    jobs, has_more = await jobs_of(request).list(limit=limit, after=after, order=order, client=ctx.client)
    data = [video_object(job) for job in jobs]
    return json_response(
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }
    )


@observed("/v1/videos/{id}")
async def delete_video(request: Request, ctx: CallContext) -> Response:
    job = ctx.use_job(await jobs_of(request).delete(video_id_of(request), ctx.client))
    return json_response({"id": job.id, "object": "video.deleted", "deleted": True})


@observed("/v1/videos/{id}/remix")
async def remix_video(request: Request, ctx: CallContext) -> Response:
    job = ctx.use_job(await jobs_of(request).visible(video_id_of(request), ctx.client))
    raise unsupported_operation("video_remix", job.provider)


routes = [
    HttpRoute("/v1/videos", create_video, methods=["POST"]),
    HttpRoute("/v1/videos", list_videos, methods=["GET"]),
    HttpRoute("/v1/videos/{video_id}", retrieve_video, methods=["GET"]),
    HttpRoute("/v1/videos/{video_id}", delete_video, methods=["DELETE"]),
    HttpRoute("/v1/videos/{video_id}/content", download_video, methods=["GET", "HEAD"]),
    HttpRoute("/v1/videos/{video_id}/remix", remix_video, methods=["POST"]),
]
