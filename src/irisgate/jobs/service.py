"""The video job lifecycle: create, retrieve (refreshing from the provider), list, delete.

The store is the authority on a job. A create writes the job's record (status ``submitting``, with
its owner) before the provider is asked, so a task the provider may bill always has a record; a
store that cannot take it fails the create with a 503 before anything is sent. A request for a job
is served only from its record, and only to those who may see it (``visible``): an id that matches
no record is a 404, whatever it carries.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any

from irisgate.admin.clients import Client
from irisgate.jobs import outcomes
from irisgate.jobs.ids import is_video_id, new_video_id, not_found
from irisgate.jobs.later import WriteLater
from irisgate.providers.base import VideoPlan
from irisgate.providers.retries import retry_transient
from irisgate.routing.dispatch import Dispatcher
from irisgate.routing.router import Route, Router
from irisgate.schemas.errors import TASK_NOT_FOUND, GatewayError
from irisgate.schemas.videos import TERMINAL_STATUSES, VideoCreateRequest, VideoTaskState
from irisgate.store import Store, VideoJobRecord, utc_now

log = logging.getLogger("irisgate.jobs")
SUBMITTING = "submitting"


class VideoJobs:
    def __init__(self, store: Store, router: Router, dispatcher: Dispatcher) -> None:
        self.store = store
        self.router = router
        self.dispatcher = dispatcher
        self.later = WriteLater(store)

    async def aclose(self) -> None:
        await self.later.aclose()

    # -- create ------------------------------------------------------------------------------------

    async def create(self, request: VideoCreateRequest, client: Client | None = None) -> VideoJobRecord:
        """Create upstream (keys, retries and fallbacks as `Dispatcher` does), each attempt on a
        record of its own written first."""
        job, _ = await self.dispatcher.run(
            request.model, request.fallbacks, lambda route: self._attempt(request, route, client)
        )
        return job

    async def _attempt(
        self, request: VideoCreateRequest, route: Route, client: Client | None
    ) -> VideoJobRecord:
        plan = route.provider.plan_video(request, route.model)  # bad input: a 400, nothing written
        job = submitting_record(request, route, plan, client)
        await self.store.insert_job(job)  # a store that cannot take it: a 503, nothing sent
        try:
            submission = await route.provider.submit_video(plan, route.key)
        except GatewayError as error:
            await self._after_failed_submit(job, error)
            raise
        changes = {"status": "queued", "upstream_id": submission.upstream_id, "cost_usd": submission.cost_usd}
        try:
            await self.store.update_job(job.id, only_if_status=SUBMITTING, **changes)
        except GatewayError:  # the task exists: answer with it, and record it as soon as the store can
            log.warning("video job %s: could not record its task yet; will retry", job.id)
            self.later.update(job.id, changes, only_if_status=SUBMITTING)
        return replace(job, **changes)

    async def _after_failed_submit(self, job: VideoJobRecord, error: GatewayError) -> None:
        """A failed create proves nothing was created (its record goes), or leaves a task that may
        exist and be billed (its record stays, and says so)."""
        try:
            if outcomes.nothing_created(error):
                await self.store.delete_job(job.id)
                return
            changes = outcomes.lost_answer(job, error)
            await self.store.update_job(job.id, **changes)
        except GatewayError:
            log.error("video job %s: could not record the outcome of its create (%s)", job.id, error.message)
            return
        error.message = f"{error.message} The attempt is recorded as video {job.id}" + (
            f"; irisgate keeps asking {job.provider} for its task." if job.upstream_id else "."
        )
        error.headers["x-irisgate-video-id"] = job.id

    # -- read --------------------------------------------------------------------------------------

    async def visible(self, video_id: str, client: Client | None) -> VideoJobRecord:
        """The job's record, if it exists and the caller may see it (the admin and, while no virtual
        key exists, everyone: all jobs; a virtual key: its own); a 404 otherwise."""
        job = await self.store.get_job(video_id) if is_video_id(video_id) else None
        if job is None or (client is not None and job.client_key_id != client.id):
            raise not_found(video_id)
        if client is not None:
            client.require_provider(job.provider)
        return job

    async def retrieve(
        self, video_id: str, client: Client | None = None, *, refresh_completed: bool = False
    ) -> VideoJobRecord:
        """The job's current state; asks the provider unless the job already ended."""
        job = await self.visible(video_id, client)
        if job.status in TERMINAL_STATUSES and not refresh_completed:
            return job
        return await self.refresh(job)

    async def refresh(self, job: VideoJobRecord) -> VideoJobRecord:
        """Ask the provider how the job's task is doing, with the key that created it, and record
        what changed."""
        route = self.route_for(job)
        if job.upstream_id is None:  # the create's answer has not come (yet): no task to ask about
            if job.status == SUBMITTING and self.submission_overdue(job, route):
                return await self._record(job, outcomes.lost_answer(job, None))
            return job
        try:
            state = await retry_transient(
                lambda: route.provider.retrieve_video(job.upstream_id, job.model, route.key),  # type: ignore[arg-type]
                route.provider.network,
            )
        except GatewayError as error:
            if error.code != TASK_NOT_FOUND:
                raise
            if job.status == SUBMITTING and not self.submission_overdue(job, route):
                return job  # the create is still on its way to the provider
            state = outcomes.unknown_task(job)
        return await self._record(job, state_changes(job, state))

    async def _record(self, job: VideoJobRecord, changes: dict[str, Any]) -> VideoJobRecord:
        if not changes:  # most polls: the task is still running at the same progress
            return job
        await self.store.update_job(job.id, **changes)
        return replace(job, **changes)

    def route_for(self, job: VideoJobRecord) -> Route:
        """The provider and the very key that created the job."""
        return self.router.key_route(job.provider, job.key_id, job.model)

    @staticmethod
    def submission_overdue(job: VideoJobRecord, route: Route) -> bool:
        """Whether a create still answering would have given up by now (its timeouts, its retries)."""
        network = route.provider.network
        longest = (network.max_retries + 1) * (network.timeout_seconds + network.retry_backoff_max)
        return utc_now() - job.created_at > timedelta(seconds=longest + outcomes.SUBMIT_GRACE_SECONDS)

    async def list(
        self, *, limit: int, after: str | None, order: str, client: Client | None = None
    ) -> tuple[list[VideoJobRecord], bool]:
        """The jobs, or with a virtual key only that key's own."""
        client_key_id = client.id if client else None
        return await self.store.list_jobs(limit=limit, after=after, order=order, client_key_id=client_key_id)

    # -- delete ------------------------------------------------------------------------------------

    async def delete(self, video_id: str, client: Client | None = None) -> VideoJobRecord:
        """Cancel (or delete) the task upstream where the provider can, then forget the job."""
        job = await self.visible(video_id, client)
        if job.upstream_id is not None:
            route = self.route_for(job)
            try:
                await retry_transient(
                    lambda: route.provider.delete_video(job.upstream_id, job.model, route.key),  # type: ignore[arg-type]
                    route.provider.network,
                )
            except GatewayError as error:
                if error.code != TASK_NOT_FOUND:  # a task the provider forgot needs no cancelling
                    raise
        await self.store.delete_job(job.id)
        return job


def submitting_record(
    request: VideoCreateRequest, route: Route, plan: VideoPlan, client: Client | None
) -> VideoJobRecord:
    now = utc_now()
    return VideoJobRecord(
        id=new_video_id(),
        provider=route.provider_name,
        upstream_id=plan.upstream_id,
        key_id=route.key.id,
        key_name=route.key.name,
        model=route.model,
        prompt=request.prompt,
        seconds=plan.seconds,
        size=plan.size,
        status=SUBMITTING,
        created_at=now,
        updated_at=now,
        client_key_id=client.id if client else None,
    )


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
