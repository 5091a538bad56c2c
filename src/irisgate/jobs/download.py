"""Stream a finished video from the provider's output URL to the client, never holding the file.

Only the URL the provider returned for that job is fetched (http(s), no provider
credentials). `Range` requests pass through (206/416). A signed URL that has
expired is refreshed once by asking the provider for the task again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from irisgate.jobs.service import VideoJobs
from irisgate.providers.base import MediaStream
from irisgate.providers.retries import retry_transient
from irisgate.schemas.errors import GatewayError
from irisgate.store import VideoJobRecord

PASSED_HEADERS = ("content-type", "content-length", "content-range", "accept-ranges", "etag", "last-modified")
EXPIRED_STATUSES = (401, 403, 404, 410)


def not_ready(job: VideoJobRecord) -> GatewayError:
    detail = f"{job.status} ({job.progress}%)" if job.status == "in_progress" else job.status
    return GatewayError(
        409,
        f"Video {job.id} is not ready to download: its status is {detail}",
        code="video_not_ready",
        headers={"x-should-retry": "false"},
    )


async def stream_video(jobs: VideoJobs, job: VideoJobRecord, range_header: str | None) -> StreamingResponse:
    if job.status != "completed" or not job.output_url:
        raise not_ready(job)
    route = jobs.route_for(job)
    headers = {"Range": range_header} if range_header else {}

    async def open_media(url: str) -> MediaStream:
        upstream = await route.provider.open_media(checked_url(url), route.key, headers)
        if upstream.status == 429 or upstream.status >= 500:  # the media host's trouble: worth a retry
            upstream.release()
            raise GatewayError(
                502,
                f"{route.provider_name} answered HTTP {upstream.status} for the video file",
                code="upstream_error",
                transient=True,
            )
        return upstream

    output_url = job.output_url
    upstream = await retry_transient(lambda: open_media(output_url), route.provider.network)
    if upstream.status in EXPIRED_STATUSES:
        upstream.release()
        job = await jobs.refresh(job)
        if job.status != "completed" or not job.output_url:
            raise not_ready(job)
        output_url = job.output_url
        upstream = await retry_transient(lambda: open_media(output_url), route.provider.network)
    if upstream.status == 416:
        upstream.release()
        raise GatewayError(
            416, f"Range {range_header!r} is outside the video", code="range_not_satisfiable", param="Range"
        )
    if upstream.status not in (200, 206):
        status = upstream.status
        upstream.release()
        raise GatewayError(
            502, f"{route.provider_name} answered HTTP {status} for the video file", code="upstream_error"
        )
    passed = {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}
    passed.setdefault("content-type", "video/mp4")
    return StreamingResponse(relay(upstream), status_code=upstream.status, headers=passed)


async def relay(upstream: MediaStream) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.chunks:
            yield chunk
    finally:
        upstream.release()


def checked_url(url: str) -> str:
    if not url.startswith(("https://", "http://")):
        raise GatewayError(
            502, "The provider returned an output URL irisgate will not fetch", code="upstream_error"
        )
    return url
