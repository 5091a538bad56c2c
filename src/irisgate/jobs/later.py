"""Record writes that must not be lost when the store fails at the wrong moment.

A create whose provider accepted the task but whose store then refused the record's update has a
billed task known only to this process: the update is retried in the background, with backoff,
until the store takes it (or the process ends; the record then still says ``submitting``, and is
resolved like any create that never answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from irisgate.schemas.errors import GatewayError
from irisgate.store import Store

log = logging.getLogger("irisgate.jobs")
FIRST_DELAY = 0.5
MAX_DELAY = 30.0


class WriteLater:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._tasks: set[asyncio.Task[None]] = set()

    def update(self, job_id: str, changes: dict[str, Any], only_if_status: str | None = None) -> None:
        task = asyncio.get_running_loop().create_task(self._update(job_id, changes, only_if_status))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _update(self, job_id: str, changes: dict[str, Any], only_if_status: str | None) -> None:
        delay = FIRST_DELAY
        while True:
            await asyncio.sleep(delay)
            try:
                await self.store.update_job(job_id, only_if_status=only_if_status, **changes)
            except GatewayError as error:
                log.warning("video job %s: still cannot record its task (%s)", job_id, error.message)
                delay = min(delay * 2, MAX_DELAY)
                continue
            log.info("video job %s: its task is recorded", job_id)
            return

    async def aclose(self) -> None:
        """Stop retrying: the records still say ``submitting`` and are resolved as creates that never
        answered."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
