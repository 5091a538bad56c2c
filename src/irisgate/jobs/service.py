"""The video job lifecycle: create, retrieve (refreshing from the provider), list, delete (with its
kept media, through ``deleted_hooks``).

The store is the authority on a job. A create writes the job's record (status ``submitting``, with
its owner) before the provider is asked, so a task the provider may bill always has a record; a
store that cannot take it fails the create with a 503 before anything is sent. A request for a job
is served only from its record, and only to those who may see it (``visible``): an id that matches
no record is a 404, whatever it carries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from irisgate.admin.clients import Client
from irisgate.jobs import cadence, outcomes
from irisgate.jobs.ids import is_video_id, new_video_id, not_found
from irisgate.jobs.later import WriteLater
from irisgate.jobs.polling import SUBMITTING, Poller
from irisgate.providers.base import VideoPlan
from irisgate.providers.retries import retry_transient
from irisgate.routing.dispatch import Dispatcher
from irisgate.routing.router import Route
from irisgate.schemas.errors import TASK_NOT_FOUND, GatewayError
from irisgate.schemas.videos import TERMINAL_STATUSES, VideoCreateRequest
from irisgate.store import Store, StoreUnavailable, VideoJobRecord, utc_now

log = logging.getLogger("irisgate.jobs")
RELEASED = {"lease_owner": None, "lease_until": None}


class VideoJobs:
    def __init__(self, store: Store, dispatcher: Dispatcher, poller: Poller) -> None:
        self.store = store
        self.dispatcher = dispatcher
        self.poller = poller
        self.later = WriteLater(store)
        # Run once a job is deleted, with its record as it was then (media/keeper.py removes its media);
        # a hook's failure is logged, never the delete's.
        self.deleted_hooks: list[Callable[[VideoJobRecord], Awaitable[None]]] = []

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
        job = submitting_record(request, route, plan, client, self.poller.owner)
        await self.store.insert_job(job)  # a store that cannot take it: a 503, nothing sent
        try:
            submission = await route.provider.submit_video(plan, route.key)
        except GatewayError as error:
            await self._after_failed_submit(job, error)
            raise
        changes = {
            "status": "queued",
            "upstream_id": submission.upstream_id,
            "cost_usd": submission.cost_usd,
            "next_poll_at": cadence.next_poll(job.provider, 0),
        }
        try:  # whatever else touched the record meanwhile, the create's answer is the truth
            await self.store.record_job(job.id, {**changes, **RELEASED}, only_if_status=SUBMITTING)
        except GatewayError:  # the task exists: answer with it, and record it as soon as the store can
            log.warning("video job %s: could not record its task yet; will retry", job.id)
            self.later.update(job.id, {**changes, **RELEASED}, only_if_status=SUBMITTING)
        return replace(job, **changes, lease_owner=None, lease_until=None)

    async def _after_failed_submit(self, job: VideoJobRecord, error: GatewayError) -> None:
        """A failed create proves nothing was created (its record goes), or leaves a task that may
        exist and be billed (its record stays, and says so)."""
        try:
            if outcomes.nothing_created(error):
                await self.store.delete_job(job.id)
                return
            changes = outcomes.lost_answer(job, error)
            if job.upstream_id is not None:  # irisgate named the task: look for it from now on
                changes["next_poll_at"] = cadence.next_poll(job.provider, 0)
            else:
                changes["next_poll_at"] = None
            await self.store.record_job(job.id, {**changes, **RELEASED}, only_if_status=SUBMITTING)
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
        what changed: on the settler's path (`polling.py`), so it is never asked twice at once. A
        job another process is asking about right now is as that process records it."""
        if job.status in TERMINAL_STATUSES:
            return await self.poller.refresh_ended(job)
        try:
            claimed = await self.store.claim_job(job.id, self.poller.owner, self.poller.lease_until())
        except StoreUnavailable:  # no lease to be had (a full disk): answer from the provider alone
            return await self.poller.peek(job)
        if claimed is None:
            return await self.store.get_job(job.id) or job
        return await self.poller.ask(claimed)

    def route_for(self, job: VideoJobRecord) -> Route:
        """The provider and the very key that created the job."""
        return self.poller.route_for(job)

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
        deleted = await self.store.remove_job(job.id) or job
        for hook in self.deleted_hooks:
            try:
                await hook(deleted)
            except Exception:
                log.exception("after deleting video job %s", job.id)
        return job


def submitting_record(
    request: VideoCreateRequest, route: Route, plan: VideoPlan, client: Client | None, owner: str
) -> VideoJobRecord:
    """The record of a create about to be sent: this process holds it while the create may take
    (its timeouts and retries); if the process dies meanwhile, the settler resolves it when due."""
    now = utc_now()
    network = route.provider.network
    longest = (network.max_retries + 1) * (network.timeout_seconds + network.retry_backoff_max)
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
        lease_owner=owner,
        lease_until=now + timedelta(seconds=longest),
        next_poll_at=now + timedelta(seconds=longest + outcomes.SUBMIT_GRACE_SECONDS),
    )
