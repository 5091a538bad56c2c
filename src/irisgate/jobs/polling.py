"""Asking a provider how a video job is doing: the one path a client's retrieve and the settler share.

Whoever asks takes the job's lease in the store first (`Store.claim_job`, `claim_due_jobs`): a job
whose lease is held, by another process or by this one, is not asked about again until the answer
is recorded with the lease given back (or the lease runs out), so no job is ever asked about twice
at once. The answer is recorded with when to ask next (`cadence.py`). A provider that cannot be
reached is asked again later; past ``settlement.give_up_after`` the job ends failed, saying why. A
task the provider does not know ends its job failed.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import replace
from datetime import timedelta
from typing import Any

from irisgate.config.models import SettlementConfig
from irisgate.jobs import cadence, outcomes
from irisgate.providers.retries import retry_transient
from irisgate.routing.router import Route, Router
from irisgate.schemas.errors import TASK_NOT_FOUND, GatewayError
from irisgate.schemas.videos import TERMINAL_STATUSES, VideoTaskState
from irisgate.store import Store, VideoJobRecord, utc_now

log = logging.getLogger("irisgate.jobs")
SUBMITTING = "submitting"


def new_owner() -> str:
    """This process's name on the leases it holds."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class Poller:
    def __init__(self, store: Store, router: Router, settings: SettlementConfig) -> None:
        self.store = store
        self.router = router
        self.settings = settings
        self.owner = new_owner()
        self._asking: set[str] = set()  # the jobs this process holds the lease of, asking about them

    @property
    def leased(self) -> list[str]:
        """The jobs this process is asking about now (their leases are renewed: settler.py)."""
        return list(self._asking)

    def lease_until(self) -> Any:
        return utc_now() + timedelta(seconds=self.settings.lease_seconds)

    def route_for(self, job: VideoJobRecord) -> Route:
        """The provider and the very key that created the job."""
        return self.router.key_route(job.provider, job.key_id, job.model)

    async def ask(self, job: VideoJobRecord, *, raising: bool = True) -> VideoJobRecord:
        """Ask about a job whose lease this process has just taken, and record the answer (which
        gives the lease back). With ``raising``, a failure to get an answer is raised once recorded."""
        self._asking.add(job.id)
        try:
            return await self._ask(job)
        except GatewayError:
            if raising:
                raise
            return job
        finally:
            self._asking.discard(job.id)

    async def _ask(self, job: VideoJobRecord) -> VideoJobRecord:
        try:
            route = self.route_for(job)
            if job.upstream_id is None:  # the create's answer has not come (yet): no task to ask about
                changes = self._unanswered_create(job, route)
            else:
                changes = await self._ask_provider(job, route)
        except GatewayError as error:
            recorded = await self._record(job, self._unreachable(job, error))
            if recorded.status in TERMINAL_STATUSES:  # given up: the job's end is the answer
                return recorded
            raise
        return await self._record(job, changes)

    async def _ask_provider(self, job: VideoJobRecord, route: Route) -> dict[str, Any]:
        assert job.upstream_id is not None
        upstream_id = job.upstream_id
        try:
            state = await retry_transient(
                lambda: route.provider.retrieve_video(upstream_id, job.model, route.key),
                route.provider.network,
            )
        except GatewayError as error:
            if error.code != TASK_NOT_FOUND:
                raise
            if job.status == SUBMITTING and not submission_overdue(job, route):
                return {"next_poll_at": cadence.next_poll(job.provider, job.polls)}  # still on its way
            state = outcomes.unknown_task(job)
        return state_changes(job, state)

    def _unanswered_create(self, job: VideoJobRecord, route: Route) -> dict[str, Any]:
        if job.status == SUBMITTING and submission_overdue(job, route):
            return outcomes.lost_answer(job, None)
        return {"next_poll_at": cadence.next_poll(job.provider, job.polls)}

    def _unreachable(self, job: VideoJobRecord, error: GatewayError) -> dict[str, Any]:
        """The record of a poll that got no answer: try again later, or, past the limit, end."""
        since = job.unreachable_since or utc_now()
        if (utc_now() - since).total_seconds() > self.settings.give_up_seconds:
            return outcomes.unreachable(job, since, error)
        return {"unreachable_since": since, "next_poll_at": cadence.after_failure(since, error.retry_after)}

    async def _record(self, job: VideoJobRecord, changes: dict[str, Any]) -> VideoJobRecord:
        changes = {"polls": job.polls + 1, **changes}
        if changes.get("status") in TERMINAL_STATUSES:
            changes["next_poll_at"] = None
            if changes["status"] == "completed":  # keep its media (jobs/media) before the link expires
                changes.update(media_state="pending", media_next_attempt_at=utc_now())
        elif "next_poll_at" not in changes:
            changes["next_poll_at"] = cadence.next_poll(job.provider, job.polls + 1)
        if "unreachable_since" not in changes:
            changes["unreachable_since"] = None
        recorded = await self.store.record_job(job.id, changes, lease_of=self.owner)
        if recorded is None:  # the lease ran out and another process took the job: its answer stands
            log.warning("video job %s: lost its lease while asking; the answer is not recorded", job.id)
            return replace(
                job, **{k: v for k, v in changes.items() if k in VideoJobRecord.__dataclass_fields__}
            )
        return recorded

    async def peek(self, job: VideoJobRecord) -> VideoJobRecord:
        """The job as the provider sees it now, recorded nowhere: for a retrieve while the store
        cannot be written (the settler records it once it can)."""
        if job.upstream_id is None:
            return job
        route = self.route_for(job)
        upstream_id = job.upstream_id
        state = await retry_transient(
            lambda: route.provider.retrieve_video(upstream_id, job.model, route.key), route.provider.network
        )
        return replace(job, **state_changes(job, state))

    async def refresh_ended(self, job: VideoJobRecord) -> VideoJobRecord:
        """Ask again about a job that ended (a completed video whose link expired): no lease, as
        ended jobs are not settled."""
        route = self.route_for(job)
        assert job.upstream_id is not None
        upstream_id = job.upstream_id
        state = await retry_transient(
            lambda: route.provider.retrieve_video(upstream_id, job.model, route.key), route.provider.network
        )
        changes = {k: v for k, v in state_changes(job, state).items() if k in ("output_url", "cost_usd")}
        if changes:
            await self.store.update_job(job.id, **changes)
        return replace(job, **changes)


def submission_overdue(job: VideoJobRecord, route: Route) -> bool:
    """Whether a create still answering would have given up by now (its timeouts, its retries)."""
    network = route.provider.network
    longest = (network.max_retries + 1) * (network.timeout_seconds + network.retry_backoff_max)
    return utc_now() - job.created_at > timedelta(seconds=longest + outcomes.SUBMIT_GRACE_SECONDS)


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
