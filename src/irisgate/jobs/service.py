"""The video job lifecycle: create, retrieve (refreshing from the provider), list, delete.

A job record is written before create answers and updated on every retrieve that
sees a change. Each id also carries its provider, key and task id (`ids.py`), so
a job whose record is missing is still served, and its record rebuilt.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from irisgate.clients import Client
from irisgate.dispatch import Dispatcher
from irisgate.jobs.ids import VideoRef, decode_video_id, encode_video_id, not_found
from irisgate.retries import retry_transient
from irisgate.routing import Route, Router
from irisgate.schemas.videos import TERMINAL_STATUSES, VideoCreateRequest, VideoTaskState
from irisgate.store import Store, VideoJobRecord, utc_now

log = logging.getLogger("irisgate.jobs")
UNKNOWN_MODEL = "unknown"
# Tries at a seq no other job has (job_seqs.py): one, but for a rare clash between processes.
SEQ_ATTEMPTS = 8


class VideoJobs:
    def __init__(self, store: Store, router: Router, dispatcher: Dispatcher) -> None:
        self.store = store
        self.router = router
        self.dispatcher = dispatcher

    async def create(self, request: VideoCreateRequest, client: Client | None = None) -> VideoJobRecord:
        """Create upstream (keys, retries and fallbacks as `Dispatcher` does), then record the job."""
        submission, route = await self.dispatcher.run(
            request.model,
            request.fallbacks,
            lambda route: route.provider.create_video(request, route.model, route.key),
        )
        ref = VideoRef(route.provider_name, route.key.id, submission.upstream_id)
        job = VideoJobRecord(
            id=encode_video_id(ref),
            provider=route.provider_name,
            upstream_id=submission.upstream_id,
            key_id=route.key.id,
            key_name=route.key.name,
            model=route.model,
            prompt=request.prompt,
            seconds=submission.seconds,
            size=submission.size,
            status="queued",
            cost_usd=submission.cost_usd,
            client_key_id=client.id if client else None,
        )
        try:
            for _ in range(SEQ_ATTEMPTS):
                if await self.store.insert_job(job):
                    return job
                job = replace(job, id=encode_video_id(ref))  # its seq was taken: take the next one
            log.error("could not record video job %s: its seqs were all taken", job.id)
        except Exception:  # the job exists upstream and its id routes itself: answer anyway
            log.exception("could not record video job %s; it stays reachable by its id", job.id)
        return job

    def route_of(self, video_id: str, job: VideoJobRecord | None = None) -> tuple[VideoRef, Route]:
        ref = decode_video_id(video_id)
        return ref, self.router.key_route(ref.provider, ref.key_id, job.model if job else UNKNOWN_MODEL)

    async def owned(self, video_id: str, client: Client | None) -> VideoJobRecord | None:
        """The job's record, if any; a 404 for a client that may not see it (another client's job)."""
        ref = decode_video_id(video_id)
        job = await self.store.get_job(video_id)
        if client is not None:
            client.require_provider(ref.provider)
            if job is not None and job.client_key_id != client.id:
                raise not_found(video_id)
        return job

    async def retrieve(
        self, video_id: str, client: Client | None = None, *, refresh_completed: bool = False
    ) -> VideoJobRecord:
        """The job's current state; asks the provider unless the job already ended."""
        job = await self.owned(video_id, client)
        if job is not None and job.status in TERMINAL_STATUSES and not refresh_completed:
            return job
        ref, route = self.route_of(video_id, job)
        state = await retry_transient(
            lambda: route.provider.retrieve_video(ref.upstream_id, route.key), route.provider.network
        )
        if job is None:
            job = VideoJobRecord(
                id=video_id,
                provider=ref.provider,
                upstream_id=ref.upstream_id,
                key_id=ref.key_id,
                key_name=route.key.name,
                model=UNKNOWN_MODEL,
                status=state.status,
            )
            job = replace(job, **state_changes(job, state))
            try:
                if not await self.store.insert_job(job):  # only a forged id: it names another job's seq
                    log.warning("did not record video job %s: its seq is another job's", video_id)
            except Exception:  # the provider answered: answer, and try to record it again next time
                log.exception("could not record video job %s", video_id)
            return job
        changes = state_changes(job, state)
        if not changes:  # most polls: the task is still running at the same progress
            return job
        await self.store.update_job(video_id, **changes)
        return replace(job, **changes)

    async def list(
        self, *, limit: int, after: str | None, order: str, client: Client | None = None
    ) -> tuple[list[VideoJobRecord], bool]:
        """The jobs, or with a virtual key only that key's own."""
        client_key_id = client.id if client else None
        return await self.store.list_jobs(limit=limit, after=after, order=order, client_key_id=client_key_id)

    async def delete(self, video_id: str, client: Client | None = None) -> None:
        """Cancel (or delete) upstream where the provider can, then forget the job."""
        job = await self.owned(video_id, client)
        ref, route = self.route_of(video_id, job)
        await retry_transient(
            lambda: route.provider.delete_video(ref.upstream_id, route.key), route.provider.network
        )
        await self.store.delete_job(video_id)


def state_changes(job: VideoJobRecord, state: VideoTaskState) -> dict[str, Any]:
    """The fields of ``job`` that the provider's latest ``state`` changes, with their new values."""
    new = {
        "status": state.status,
        "progress": 100 if state.status == "completed" else state.progress,
        "cost_usd": state.cost_usd if state.cost_usd is not None else job.cost_usd,
        "output_url": state.output_url or job.output_url,
        "error_code": state.error_code,
        "error_message": state.error_message,
    }
    if state.status in TERMINAL_STATUSES and job.completed_at is None:
        new["completed_at"] = utc_now()
    return {name: value for name, value in new.items() if getattr(job, name) != value}
