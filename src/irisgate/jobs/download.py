"""A finished video from the provider's output URL, streamed, never holding the file: to a client
(while no kept copy exists, see media/serving.py) and to the media keeper (media/keeper.py).

Only the URL the provider returned for that job is fetched (http(s), through the provider's
`open_media`, with its key where its host needs one). `Range` requests pass through (206/416). A
signed URL that has expired is refreshed once by asking the provider for the task again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.responses import Response, StreamingResponse

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


async def open_output(
    jobs: VideoJobs, job: VideoJobRecord, headers: Mapping[str, str]
) -> tuple[VideoJobRecord, MediaStream]:
    """The provider's output of a completed job, opened (its status as the media host answered: the
    caller checks it). A link that answers as expired is refreshed once, by asking the provider for
    the task again; the job as it is then is returned with the stream."""
    if job.status != "completed" or not job.output_url:
        raise not_ready(job)
    route = jobs.route_for(job)

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
    return job, upstream


async def stream_video(
    jobs: VideoJobs, job: VideoJobRecord, range_header: str | None, *, head: bool = False
) -> Response:
    """The provider's file, streamed as it comes (``head``: its headers only)."""
    job, upstream = await open_output(jobs, job, {"Range": range_header} if range_header else {})
    provider = job.provider
    if upstream.status == 416:
        upstream.release()
        raise GatewayError(
            416, f"Range {range_header!r} is outside the video", code="range_not_satisfiable", param="Range"
        )
    if upstream.status not in (200, 206):
        status = upstream.status
        upstream.release()
        raise GatewayError(
            502, f"{provider} answered HTTP {status} for the video file", code="upstream_error"
        )
    passed = {name: upstream.headers[name] for name in PASSED_HEADERS if name in upstream.headers}
    passed.setdefault("content-type", "video/mp4")
    if head:
        upstream.release()
        return Response(b"", status_code=upstream.status, headers=passed)
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
