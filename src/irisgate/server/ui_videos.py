"""Videos: the jobs list (polled by htmx while a job runs or its media is being kept; each kept video
shows its thumbnail) and a job page that plays, downloads, cancels.

Both pages refresh the running jobs they show through `VideoJobs.refresh` (with the key that created
each job), as `GET /v1/videos/{id}` does.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.jobs.ids import is_video_id, not_found
from irisgate.jobs.service import VideoJobs
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.videos import TERMINAL_STATUSES
from irisgate.server.ui import checked_form, is_htmx, page, render, see_other
from irisgate.server.videos import video_object
from irisgate.store import VideoJobRecord
from irisgate.store.media import PENDING

log = logging.getLogger("irisgate.ui")
PAGE_SIZE = 50
NOTICES = {"cancelled": "The video job was cancelled and deleted."}


@dataclass(frozen=True)
class JobRow:
    job: VideoJobRecord
    video: dict[str, Any]

    @property
    def active(self) -> bool:
        return self.job.status not in TERMINAL_STATUSES

    @property
    def changing(self) -> bool:
        """Running, or completed with its copy (and thumbnail) still to be kept: worth a refresh."""
        return self.active or (self.job.status == "completed" and self.job.media_state == PENDING)


def jobs_of(request: Request) -> VideoJobs:
    return request.app.state.gateway.jobs


async def refreshed(jobs: VideoJobs, job: VideoJobRecord) -> VideoJobRecord:
    """The job as the provider sees it now; the stored state if the provider cannot say."""
    if job.status in TERMINAL_STATUSES:
        return job
    try:
        return await jobs.refresh(job)
    except GatewayError as error:
        log.info("could not refresh video job %s: %s", job.id, error.message)
        return job


@page
async def videos_page(request: Request) -> Response:
    provider = request.query_params.get("provider") or None
    after = request.query_params.get("after") or None
    if after is not None and not is_video_id(after):
        raise not_found(after)
    jobs = jobs_of(request)
    page_jobs, has_more = await jobs.store.list_jobs(limit=PAGE_SIZE, after=after, provider=provider)
    current = await asyncio.gather(*(refreshed(jobs, job) for job in page_jobs))
    rows = [JobRow(job, video_object(job)) for job in current]
    context = {
        "section": "videos",
        "rows": rows,
        "any_active": any(row.changing for row in rows),
        "has_more": has_more,
        "provider": provider or "",
        "after": after or "",
        "notice": NOTICES.get(request.query_params.get("done", "")),
    }
    return render(request, "_videos_table.html" if is_htmx(request) else "videos.html", context)


@page
async def video_page(request: Request) -> Response:
    job = await jobs_of(request).retrieve(request.path_params["video_id"])
    return render_job(request, job)


def render_job(request: Request, job: VideoJobRecord, error: GatewayError | None = None) -> Response:
    row = JobRow(job, video_object(job))
    template = "_video_status.html" if is_htmx(request) and error is None else "video.html"
    context = {"section": "videos", "row": row, "error": error}
    return render(request, template, context, status=error.status if error else 200)


@page
async def cancel_video(request: Request) -> Response:
    video_id = request.path_params["video_id"]
    await checked_form(request)
    jobs = jobs_of(request)
    try:
        await jobs.delete(video_id)
    except GatewayError as error:  # e.g. Runware cannot cancel a task: show why, on the job page
        return render_job(request, await jobs.visible(video_id, None), error)
    return see_other("/videos?done=cancelled")


routes = [
    Route("/videos", videos_page, methods=["GET"]),
    Route("/videos/{video_id}", video_page, methods=["GET"]),
    Route("/videos/{video_id}/cancel", cancel_video, methods=["POST"]),
]
