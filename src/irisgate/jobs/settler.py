"""Every `irisgate serve` process settles video jobs in the background, whether or not a client asks.

It takes the leases of the jobs that are due (`Store.claim_due_jobs`: the longest due first, up to
``settlement.max_polls_in_flight`` at once), asks each provider about each (`polling.Poller`, the
path a client's retrieve takes too) and records the answer with when to ask next. The leases of the
jobs it is still asking about are renewed; a process that dies leaves its leases to run out, and
another process takes its jobs over. Nothing is kept in memory that a restart would lose: what is
due is in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from irisgate.jobs.polling import Poller
from irisgate.schemas.errors import GatewayError

log = logging.getLogger("irisgate.jobs")
TICK_SECONDS = 1.0  # how often the store is asked what is due


class Settler:
    def __init__(self, poller: Poller) -> None:
        self.poller = poller
        self.store = poller.store
        self.capacity = poller.settings.max_polls_in_flight
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._freed = asyncio.Event()  # a task ended: there is room to take another job
        self.polls = 0  # answers recorded by this process's settler

    def start(self) -> None:
        self._runner = asyncio.get_running_loop().create_task(self._run(), name="irisgate-settler")

    async def aclose(self) -> None:
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        while True:
            free = self.capacity - len(self._tasks)
            claimed = 0
            self._freed.clear()
            try:
                if free > 0:
                    due = await self.store.claim_due_jobs(self.poller.owner, self.poller.lease_until(), free)
                    claimed = len(due)
                    for job in due:
                        task = loop.create_task(self._settle(job))
                        self._tasks.add(task)
                        task.add_done_callback(self._done)
                if loop.time() - renewed > self.poller.settings.lease_seconds / 3:
                    await self.store.renew_leases(
                        self.poller.owner, self.poller.leased, self.poller.lease_until()
                    )
                    renewed = loop.time()
            except GatewayError as error:  # the store is down: try again on the next tick
                log.warning("settling video jobs: %s", error.message)
            tick = TICK_SECONDS * random.uniform(0.8, 1.2)
            if free == 0 or claimed == free:  # more may be due: look again as soon as a slot frees
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), tick)
            else:  # nothing else is due now
                await asyncio.sleep(tick)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._freed.set()

    async def _settle(self, job: object) -> None:
        try:
            await self.poller.ask(job, raising=False)  # type: ignore[arg-type]
            self.polls += 1
        except Exception:  # one job's trouble never stops the others
            log.exception("settling video job %s", getattr(job, "id", "?"))
            with contextlib.suppress(Exception):
                await self.store.release_lease(job.id, self.poller.owner)  # type: ignore[attr-defined]
