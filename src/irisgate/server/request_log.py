"""A batched, non-blocking request-log writer.

Request handlers call ``record()`` (synchronous, O(1): the record is appended to a buffer); a
background task writes the buffer to the store in batches of up to ``MAX_BATCH`` records, one
transaction each, when a batch is full or ``flush_interval`` has passed. So no request waits for its
record to be written, and the database sees one insert per batch instead of one per request.
When the store is down the buffer keeps up to ``max_pending`` records (the oldest are dropped and
counted) and the failed batch is retried with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence
from typing import Protocol

from irisgate.store.errors import StoreUnavailable
from irisgate.store.records import RequestLogRecord

logger = logging.getLogger(__name__)

MAX_RETRY_DELAY = 30.0
MAX_BATCH = 50


class RequestLogSink(Protocol):
    async def insert_request_logs(self, records: Sequence[RequestLogRecord]) -> None: ...


class RequestLogWriter:
    def __init__(
        self,
        store: RequestLogSink,
        *,
        flush_interval: float = 0.5,
        max_batch: int = MAX_BATCH,
        max_pending: int = 50_000,
    ) -> None:
        if flush_interval <= 0 or max_batch < 1 or max_pending < max_batch:
            raise ValueError("need flush_interval > 0, max_batch >= 1 and max_pending >= max_batch")
        self._store = store
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._max_pending = max_pending
        self._buffer: deque[RequestLogRecord] = deque()
        self._wake = asyncio.Event()  # a full batch, or closing
        self._stop = asyncio.Event()  # closing
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._closed = False
        self._failures = 0
        self._written = 0
        self._dropped = 0

    @property
    def written(self) -> int:
        """Records written to the store so far."""
        return self._written

    @property
    def dropped(self) -> int:
        """Records lost: buffer overflow, or still unwritable when the writer closed."""
        return self._dropped

    @property
    def pending(self) -> int:
        """Records waiting in the buffer."""
        return len(self._buffer)

    def record(self, rec: RequestLogRecord) -> None:
        """Queue one record. Never blocks and never awaits."""
        if self._closed:
            self._dropped += 1
            return
        if len(self._buffer) >= self._max_pending:
            self._buffer.popleft()
            self._dropped += 1
        self._buffer.append(rec)
        if len(self._buffer) >= self._max_batch:
            self._wake.set()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="irisgate-request-log-writer")

    async def aclose(self) -> None:
        """Stop the background task and write everything still buffered (one attempt)."""
        if self._closed:
            return
        self._closing = True
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._closed = True
        if not await self._flush_all() and self._buffer:
            lost = len(self._buffer)
            self._buffer.clear()
            self._dropped += lost
            logger.error("request log: %d records could not be written before shutdown", lost)

    async def flush(self) -> bool:
        """Write everything buffered now; ``False`` if a batch failed (it stays buffered)."""
        return await self._flush_all()

    async def _run(self) -> None:
        while not self._closing:
            if self._failures:
                # Wait out the back-off even if the buffer fills: no hammering a dead database.
                delay = min(self._flush_interval * 2 ** min(self._failures, 16), MAX_RETRY_DELAY)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=delay)
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._flush_interval)
            self._wake.clear()
            if self._closing:
                break
            await self._flush_all()

    async def _flush_all(self) -> bool:
        """Write the buffer in batches of ``max_batch``."""
        while self._buffer:
            count = min(self._max_batch, len(self._buffer))
            batch = [self._buffer.popleft() for _ in range(count)]
            try:
                await self._store.insert_request_logs(batch)
            except StoreUnavailable as error:  # the database's trouble: keep the batch, retry later
                self._requeue(batch)
                self._failures += 1
                # The class name and the driver's short message only; parameters are hidden by the engine.
                logger.warning(
                    "request log: writing %d records failed (%s: %s); will retry",
                    count,
                    type(error).__name__,
                    str(error).splitlines()[0][:300] if str(error) else "",
                )
                return False
            except Exception:  # a record the database refuses: write the others, drop that one
                logger.exception(
                    "request log: a batch of %d records was refused; writing them one by one", count
                )
                if not await self._write_one_by_one(batch):
                    return False
                continue
            self._written += count
            self._failures = 0
        return True

    async def _write_one_by_one(self, batch: list[RequestLogRecord]) -> bool:
        for index, record in enumerate(batch):
            try:
                await self._store.insert_request_logs([record])
            except StoreUnavailable:
                self._requeue(batch[index:])
                self._failures += 1
                return False
            except Exception:
                self._dropped += 1
                logger.exception("request log: record %s was refused; dropped", record.request_id)
                continue
            self._written += 1
        self._failures = 0
        return True

    def _requeue(self, batch: list[RequestLogRecord]) -> None:
        """Put a failed batch back in front, then trim to ``max_pending`` dropping the oldest."""
        self._buffer.extendleft(reversed(batch))
        while len(self._buffer) > self._max_pending:
            self._buffer.popleft()
            self._dropped += 1
