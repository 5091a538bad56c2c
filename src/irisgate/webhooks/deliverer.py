"""Every `irisgate serve` process delivers webhooks in the background, from the store.

Each tick it takes the leases of the deliveries that are due (`Store.claim_due_deliveries`: up to
``webhooks.max_in_flight`` at once, the longest due first), sends each (`sender.Sender`), and records
the attempt with the delivery's next state (`Store.record_attempts`, one writer for the process,
batching the attempts that ended together), which gives the lease back. A process that dies
mid-send leaves its leases to run out (``timeout_seconds`` + ``LEASE_MARGIN_SECONDS``), and another
process, or this one restarted, sends those deliveries again:
delivery is at least once; receivers dedupe on ``webhook-id`` (the delivery's id) or the event's id.

Retries: a non-2xx answer (a redirect too), a timeout, a refused connection or a refused address is
tried again after ``retry_backoff_initial`` doubling up to ``retry_backoff_max`` (±20 % jitter; a
``Retry-After`` the receiver sends is honoured within that maximum), until ``give_up_after`` from the
delivery's creation: then it ends ``failed``. The endpoint is disabled, saying why, once its last
``disable_after_failures`` attempts have all failed and the first of them is at least
``disable_after_failing_for`` old; its waiting deliveries then end failed. Test sends never count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets as random_source
import socket
from datetime import datetime, timedelta
from typing import Any

from irisgate.admin.crypto import SecretBox
from irisgate.config.models import WebhooksConfig
from irisgate.schemas.errors import GatewayError
from irisgate.store import Store, utc_now
from irisgate.store.webhooks import (
    DELIVERED,
    FAILED,
    PENDING,
    DueDelivery,
    RecordedAttempt,
    WebhookEndpointRecord,
)
from irisgate.store.webhooks import WebhookAttemptRecord as Attempt
from irisgate.webhooks.sender import Outcome, Sender

log = logging.getLogger("irisgate.webhooks")
TICK_SECONDS = 1.0
LEASE_MARGIN_SECONDS = 10.0
JITTER = 0.2


def secrets_in_force(endpoint: WebhookEndpointRecord, box: SecretBox, now: datetime) -> list[str]:
    """The secrets a send is signed with: the endpoint's, and the one before it for as long as a
    rotation kept it."""
    current = [box.decrypt(endpoint.secret_encrypted)]
    if endpoint.old_secret_encrypted and endpoint.old_secret_until and endpoint.old_secret_until > now:
        current.append(box.decrypt(endpoint.old_secret_encrypted))
    return current


def backoff_seconds(config: WebhooksConfig, attempts: int, retry_after: float | None = None) -> float:
    """How long to wait after the ``attempts``-th failed attempt."""
    delay = min(config.backoff_initial * 2 ** max(attempts - 1, 0), config.backoff_max)
    delay *= random.uniform(1 - JITTER, 1 + JITTER)
    if retry_after is not None:
        delay = max(delay, min(retry_after, config.backoff_max))
    return delay


def next_state(
    config: WebhooksConfig, created_at: datetime, attempts: int, outcome: Outcome, now: datetime
) -> dict[str, Any]:
    """The delivery's fields after its ``attempts``-th attempt came to ``outcome``."""
    changes: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        return {**changes, "status": DELIVERED, "next_attempt_at": None, "ended_at": now}
    retry_at = now + timedelta(seconds=backoff_seconds(config, attempts, outcome.retry_after))
    if retry_at > created_at + timedelta(seconds=config.give_up_seconds):
        return {**changes, "status": FAILED, "next_attempt_at": None, "ended_at": now}
    return {**changes, "status": PENDING, "next_attempt_at": retry_at}


class Deliverer:
    def __init__(self, store: Store, box: SecretBox, config: WebhooksConfig, sender: Sender) -> None:
        self.store = store
        self.box = box
        self.config = config
        self.sender = sender
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{random_source.token_hex(4)}"
        self._tasks: dict[str, asyncio.Task[None]] = {}  # delivery id → its send
        self._runner: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()  # a slot freed, or a delivery was queued here
        # Attempts made, waiting to be recorded by the one writer (`_record_forever`), with their waiters.
        self._unrecorded: list[tuple[RecordedAttempt, asyncio.Future[WebhookEndpointRecord | None]]] = []
        self._to_record = asyncio.Event()
        self._recorder: asyncio.Task[None] | None = None

    @property
    def disable_rule(self) -> tuple[int, float]:
        return self.config.disable_after_failures, self.config.disable_failing_seconds

    @property
    def lease_seconds(self) -> float:
        return self.config.timeout_seconds + LEASE_MARGIN_SECONDS

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._runner = loop.create_task(self._run(), name="irisgate-webhooks")
        self._recorder = loop.create_task(self._record_forever(), name="irisgate-webhooks-recorder")

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next tick."""
        self._wake.set()

    async def aclose(self) -> None:
        for runner in (self._runner, self._recorder):
            if runner is not None:
                runner.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await runner
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            free = self.config.max_in_flight - len(self._tasks)
            claimed = 0
            self._wake.clear()
            try:
                if free > 0:
                    until = utc_now() + timedelta(seconds=self.lease_seconds)
                    due = await self.store.claim_due_deliveries(self.owner, until, free)
                    claimed = len(due)
                    for item in due:
                        task = loop.create_task(self._deliver(item))
                        self._tasks[item.delivery.id] = task
                        task.add_done_callback(lambda _, key=item.delivery.id: self._done(key))
                if self._tasks and loop.time() - renewed > self.lease_seconds / 3:
                    until = utc_now() + timedelta(seconds=self.lease_seconds)
                    await self.store.renew_delivery_leases(self.owner, list(self._tasks), until)
                    renewed = loop.time()
            except GatewayError as error:  # the store is down: try again on the next tick
                log.warning("delivering webhooks: %s", error.message)
            if free > 0 and claimed == free:  # more may be due: look again at once
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_SECONDS * random.uniform(0.8, 1.2))

    def _done(self, delivery_id: str) -> None:
        full = len(self._tasks) >= self.config.max_in_flight
        self._tasks.pop(delivery_id, None)
        if full:  # more may be waiting for this slot; otherwise the next tick looks
            self._wake.set()

    async def _deliver(self, due: DueDelivery) -> None:
        delivery, endpoint = due.delivery, due.endpoint
        try:
            attempted_at = utc_now()
            try:
                signing = secrets_in_force(endpoint, self.box, attempted_at)
            except GatewayError as error:
                outcome = Outcome(0.0, error=error.message)
            else:
                body = due.event.payload.encode()
                outcome = await self.sender.send(endpoint.url, body, delivery.id, signing)
            attempt = Attempt(
                attempted_at=attempted_at,
                status_code=outcome.status_code,
                error=outcome.error,
                latency_ms=outcome.latency_ms,
            )
            changes = next_state(self.config, delivery.created_at, delivery.attempts + 1, outcome, utc_now())
            rule = None if delivery.test else self.disable_rule
            after = await self._record(RecordedAttempt(delivery.id, attempt, changes, rule))
            if after is None:
                log.warning("webhook delivery %s: lost its lease while sending", delivery.id)
            elif endpoint.enabled and not after.enabled:
                log.warning("webhook endpoint %s %s", endpoint.id, after.disabled_reason)
        except Exception:  # one delivery's trouble never stops the others
            log.exception("delivering webhook %s", delivery.id)
            with contextlib.suppress(Exception):
                await self.store.release_delivery_lease(delivery.id, self.owner)

    async def _record(self, item: RecordedAttempt) -> WebhookEndpointRecord | None:
        recorded: asyncio.Future[WebhookEndpointRecord | None] = asyncio.get_running_loop().create_future()
        self._unrecorded.append((item, recorded))
        self._to_record.set()
        return await recorded

    async def _record_forever(self) -> None:
        """Write the attempts made, a batch per transaction, one transaction at a time: on SQLite,
        dozens of sends ending together would otherwise be dozens of writers waiting on one lock. A
        store that cannot take them is asked again (the sends were made: sending them again would
        be worse), while the leases are renewed."""
        while True:
            await self._to_record.wait()
            self._to_record.clear()
            batch, self._unrecorded = self._unrecorded, []
            if not batch:
                continue
            wait = 0.5
            while True:
                try:
                    results = await self.store.record_attempts(self.owner, [item for item, _ in batch])
                    break
                except GatewayError as error:
                    log.warning("recording webhook attempts: %s", error.message)
                    await asyncio.sleep(wait)
                    wait = min(wait * 2, self.lease_seconds / 3)
            for (_, recorded), result in zip(batch, results, strict=True):
                if not recorded.done():
                    recorded.set_result(result)
