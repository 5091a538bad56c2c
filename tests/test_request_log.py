"""The batched request-log writer (irisgate.request_log) against a real SQLite store."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from irisgate.server.request_log import RequestLogWriter
from irisgate.store import RequestLogRecord, Store
from irisgate.store.database import Database
from irisgate.store.errors import StoreUnavailable
from irisgate.store.tables import request_logs

HANG_GUARD = 30  # seconds; only stops a broken test from hanging, never asserted on


class CountingStore(Store):
    """A real store that counts insert transactions, can be made unavailable, and signals each write."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self.batches: list[int] = []
        self.failures_left = 0
        self.attempts = 0
        self.inserted = asyncio.Event()

    async def insert_request_logs(self, rows: Sequence[Any]) -> None:
        self.attempts += 1
        if self.failures_left:
            self.failures_left -= 1
            raise StoreUnavailable("its disk is full")
        await super().insert_request_logs(rows)
        self.batches.append(len(rows))
        self.inserted.set()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[CountingStore]:
    opened = await CountingStore.open(f"sqlite:///{tmp_path}/logs.db")
    assert isinstance(opened, CountingStore)
    await opened.migrate()
    try:
        yield opened
    finally:
        await opened.close()


def rec(n: int) -> RequestLogRecord:
    return RequestLogRecord(
        request_id=f"req-{n}", method="POST", route="/v1/videos", status_code=200, latency_ms=1.0
    )


async def stored_ids(store: Store) -> list[str]:
    query = sa.select(request_logs.c.request_id).order_by(request_logs.c.id)
    return await store.run(lambda conn: list(conn.execute(query).scalars()))


async def wait_until_written(writer: RequestLogWriter, store: CountingStore, count: int) -> None:
    async def wait() -> None:
        while writer.written < count:
            store.inserted.clear()
            await store.inserted.wait()

    await asyncio.wait_for(wait(), HANG_GUARD)


def test_record_is_synchronous() -> None:
    assert not inspect.iscoroutinefunction(RequestLogWriter.record)
    assert not inspect.isasyncgenfunction(RequestLogWriter.record)


async def test_records_reach_the_store_after_aclose(store: CountingStore) -> None:
    writer = RequestLogWriter(store, flush_interval=3600)
    await writer.start()
    for n in range(1234):
        assert writer.record(rec(n)) is None
    await writer.aclose()
    assert await stored_ids(store) == [f"req-{n}" for n in range(1234)]
    assert (writer.written, writer.dropped, writer.pending) == (1234, 0, 0)


async def test_a_record_the_store_refuses_is_dropped_not_raised(
    store: CountingStore, caplog: pytest.LogCaptureFixture
) -> None:
    writer = RequestLogWriter(store, flush_interval=3600)
    await writer.start()
    writer.record(rec(1))
    writer.record(dataclasses.replace(rec(2), created_at="yesterday"))  # type: ignore[arg-type]
    writer.record(rec(3))
    await writer.aclose()
    assert await stored_ids(store) == ["req-1", "req-3"]
    assert (writer.written, writer.dropped) == (2, 1)
    assert "req-2 was refused" in caplog.text


async def test_many_records_batch_into_few_transactions(store: CountingStore) -> None:
    writer = RequestLogWriter(store, flush_interval=3600, max_batch=500)
    await writer.start()
    for n in range(1000):
        writer.record(rec(n))
    await writer.aclose()
    assert store.batches == [500, 500]
    assert writer.written == 1000


async def test_a_full_batch_wakes_the_writer_before_the_interval(store: CountingStore) -> None:
    writer = RequestLogWriter(store, flush_interval=3600, max_batch=50)
    await writer.start()
    for n in range(50):
        writer.record(rec(n))
    await wait_until_written(writer, store, 50)
    assert store.batches == [50]
    await writer.aclose()


async def test_the_interval_flushes_a_partial_batch(store: CountingStore) -> None:
    writer = RequestLogWriter(store, flush_interval=0.01, max_batch=500)
    await writer.start()
    for n in range(3):
        writer.record(rec(n))
    await wait_until_written(writer, store, 3)
    assert await stored_ids(store) == ["req-0", "req-1", "req-2"]
    await writer.aclose()


async def test_failed_flush_is_retried_without_losing_the_batch(
    store: CountingStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.failures_left = 2
    writer = RequestLogWriter(store, flush_interval=0.01, max_batch=500)
    await writer.start()
    with caplog.at_level(logging.WARNING, logger="irisgate.request_log"):
        for n in range(10):
            writer.record(rec(n))
        await wait_until_written(writer, store, 10)
    await writer.aclose()
    assert store.attempts >= 3
    assert await stored_ids(store) == [f"req-{n}" for n in range(10)]
    assert writer.dropped == 0
    assert "will retry" in caplog.text and "StoreUnavailable" in caplog.text


async def test_overflow_drops_the_oldest_and_counts_them(store: CountingStore) -> None:
    writer = RequestLogWriter(store, flush_interval=3600, max_batch=5, max_pending=5)
    for n in range(8):  # not started: nothing can flush yet
        writer.record(rec(n))
    assert (writer.pending, writer.dropped) == (5, 3)
    await writer.aclose()
    assert await stored_ids(store) == [f"req-{n}" for n in range(3, 8)]
    assert writer.written == 5


async def test_requeued_batches_stay_within_max_pending(store: CountingStore) -> None:
    store.failures_left = 1_000
    writer = RequestLogWriter(store, flush_interval=3600, max_batch=5, max_pending=10)
    for n in range(10):
        writer.record(rec(n))
    assert await writer.flush() is False
    assert (writer.pending, writer.dropped) == (10, 0)  # the failed batch is back in the buffer
    for n in range(10, 13):
        writer.record(rec(n))
    assert (writer.pending, writer.dropped) == (10, 3)
    store.failures_left = 0
    assert await writer.flush() is True
    assert await stored_ids(store) == [f"req-{n}" for n in range(3, 13)]


async def test_aclose_with_a_dead_store_counts_the_loss(store: CountingStore) -> None:
    store.failures_left = 1_000
    writer = RequestLogWriter(store, flush_interval=3600)
    await writer.start()
    for n in range(7):
        writer.record(rec(n))
    await writer.aclose()
    assert (writer.written, writer.dropped, writer.pending) == (0, 7, 0)
    writer.record(rec(99))  # after close: counted, not kept
    assert (writer.dropped, writer.pending) == (8, 0)


def test_rejects_inconsistent_limits(store: CountingStore) -> None:
    with pytest.raises(ValueError):
        RequestLogWriter(store, max_batch=10, max_pending=5)
