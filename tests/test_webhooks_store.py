"""The webhook tables on SQLite and PostgreSQL: the outbox written in the transaction that ends a job
(and only for the endpoints that should hear of it), deliveries claimed by one process at a time,
attempts recorded, and an endpoint disabled by its run of failures."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from irisgate.store import Store, VideoJobRecord, normalize_store_url, utc_now
from irisgate.store.tables import webhook_deliveries, webhook_events
from irisgate.store.webhooks import RecordedAttempt, WebhookAttemptRecord, WebhookEndpointRecord
from irisgate.webhooks.events import ENDPOINT_PREFIX, new_id
from irisgate.webhooks.outbox import queue_job_event

PG_URL = os.environ.get("IRISGATE_TEST_POSTGRES_URL")
RULE = (2, 0.0)  # disable after 2 failed attempts in a row, however recent


@pytest.fixture(params=["sqlite", "postgresql"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    admin = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/irisgate.db"
    else:
        if not PG_URL:
            pytest.skip("set IRISGATE_TEST_POSTGRES_URL to run the store tests against PostgreSQL")
        server = make_url(normalize_store_url(PG_URL))
        admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
        name = f"irisgate_hooks_{uuid.uuid4().hex[:12]}"
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
    opened = await Store.open(url)
    await opened.migrate()
    opened.job_end_hooks.append(queue_job_event)
    try:
        yield opened
    finally:
        await opened.close()
        if admin is not None:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            await admin.dispose()


async def add_endpoint(store: Store, owner: str | None = None, **fields) -> WebhookEndpointRecord:
    now = utc_now()
    values = {
        "id": new_id(ENDPOINT_PREFIX),
        "owner_key_id": owner,
        "name": "e",
        "url": "https://example.com/hook",
        "event_types": ("video.completed", "video.failed"),
        "secret_encrypted": "ciphertext",
        "secret_hint": "whsec_…abcd",
        "enabled": True,
        "created_at": now,
        "updated_at": now,
    }
    record = WebhookEndpointRecord(**{**values, **fields})
    await store.insert_webhook_endpoint(record)
    return record


async def add_job(store: Store, owner: str | None = None) -> VideoJobRecord:
    job = VideoJobRecord(
        id=f"video_{uuid.uuid4().hex}", provider="runway", upstream_id="t", key_id="k", model="m",
        status="in_progress", client_key_id=owner,
    )  # fmt: skip
    await store.insert_job(job)
    return job


async def rows(store: Store, table: sa.Table) -> list[dict]:
    return await store.run(lambda conn: [dict(row) for row in conn.execute(sa.select(table)).mappings()])


async def test_a_jobs_end_queues_its_event_for_the_endpoints_that_hear_of_it(store: Store):
    every = await add_endpoint(store)
    alices = await add_endpoint(store, owner="alice")
    await add_endpoint(store, owner="bob")
    await add_endpoint(store, enabled=False)
    await add_endpoint(store, event_types=("video.completed",))

    job = await add_job(store, owner="alice")
    await store.update_job(job.id, status="failed", error_code="x")
    [event] = await rows(store, webhook_events)
    assert (event["type"], event["video_id"]) == ("video.failed", job.id)
    deliveries = await rows(store, webhook_deliveries)
    assert {d["endpoint_id"] for d in deliveries} == {every.id, alices.id}
    assert all(d["status"] == "pending" and d["next_attempt_at"] for d in deliveries)

    await store.update_job(job.id, status="failed")  # a job that has ended does not end again
    assert len(await rows(store, webhook_events)) == 1


async def test_the_event_is_written_with_the_jobs_end_or_not_at_all(store: Store):
    await add_endpoint(store)
    job = await add_job(store)

    def broken(conn, ended) -> None:
        raise RuntimeError("the hook failed")

    store.job_end_hooks.append(broken)
    with pytest.raises(RuntimeError):
        await store.update_job(job.id, status="completed")
    assert (await store.get_job(job.id)).status == "in_progress"
    assert await rows(store, webhook_events) == [] and await rows(store, webhook_deliveries) == []


async def test_two_processes_never_claim_one_delivery_and_a_dead_ones_lease_runs_out(store: Store):
    await add_endpoint(store)
    for _ in range(40):
        await store.update_job((await add_job(store)).id, status="completed")
    until = utc_now() + timedelta(minutes=1)
    first, second = await asyncio.gather(
        store.claim_due_deliveries("a", until, 25), store.claim_due_deliveries("b", until, 25)
    )
    a, b = {d.delivery.id for d in first}, {d.delivery.id for d in second}
    assert not a & b and len(a | b) == 40
    assert await store.claim_due_deliveries("c", until, 100) == []

    past = utc_now() - timedelta(seconds=1)
    taken = await store.claim_due_deliveries("c", past, 100)
    assert taken == [] or all(d.delivery.lease_owner == "c" for d in taken)


async def test_attempts_are_kept_and_a_run_of_failures_disables_the_endpoint(store: Store):
    endpoint = await add_endpoint(store)
    for _ in range(2):
        await store.update_job((await add_job(store)).id, status="completed")
    due = await store.claim_due_deliveries("me", utc_now() + timedelta(minutes=1), 10)
    first, second = due
    later = utc_now() + timedelta(hours=1)
    failure = WebhookAttemptRecord(attempted_at=utc_now(), status_code=500, latency_ms=3.0)
    pending = {"attempts": 1, "status": "pending", "next_attempt_at": later, "last_status_code": 500}
    [after] = await store.record_attempts("me", [RecordedAttempt(first.delivery.id, failure, pending, RULE)])
    assert after.enabled and after.consecutive_failures == 1
    refused = WebhookAttemptRecord(attempted_at=utc_now(), error="connection refused", latency_ms=1.0)
    [after] = await store.record_attempts("me", [RecordedAttempt(second.delivery.id, refused, pending, RULE)])
    assert not after.enabled and "2 failed attempts in a row" in after.disabled_reason
    assert "connection refused" in after.disabled_reason
    views = await store.list_deliveries(endpoint_id=endpoint.id)
    assert {v.delivery.status for v in views} == {"failed"}  # its waiting deliveries ended with it
    assert all("disabled" in v.delivery.last_error for v in views)
    assert [len(v.attempts) for v in views] == [1, 1]
    assert [a.status_code for v in views for a in v.attempts] in ([None, 500], [500, None])

    # A process that lost the lease keeps its attempt, and changes nothing else.
    [lost] = await store.record_attempts("someone else", [RecordedAttempt(first.delivery.id, failure, {})])
    assert lost is None
    assert len((await store.get_delivery(first.delivery.id)).attempts) == 2
