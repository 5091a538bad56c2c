"""The webhook tables: endpoints, the outbox of events, their deliveries and every attempt.

An event is written by `webhooks/outbox.py` in the transaction that ends its job (``job_end_hooks``),
with one delivery per matching endpoint, due at once. Deliverers claim due deliveries with a lease,
as the settler claims jobs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), and record each attempt with
the delivery's next state and the endpoint's run of failures in one transaction. A process that dies
mid-attempt leaves its lease to run out; the delivery is then sent again (at least once).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from irisgate.store.database import Database, transactional
from irisgate.store.records import utc_now
from irisgate.store.tables import webhook_attempts, webhook_deliveries, webhook_endpoints, webhook_events
from irisgate.store.webhook_records import (
    DeliveryView,
    DueDelivery,
    RecordedAttempt,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
    WebhookEventRecord,
    endpoint_record,
)

__all__ = [
    "ALL_OWNERS",
    "DELIVERED",
    "FAILED",
    "PENDING",
    "DeliveryView",
    "DueDelivery",
    "RecordedAttempt",
    "WebhookAttemptRecord",
    "WebhookDeliveryRecord",
    "WebhookEndpointRecord",
    "WebhookEventRecord",
    "WebhooksTable",
]

MAX_PAGE = 100
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
ALL_OWNERS = object()  # list every endpoint, whoever made it

_e = webhook_endpoints.c
_d = webhook_deliveries.c


def _endpoint_values(record: WebhookEndpointRecord) -> dict[str, Any]:
    values = dataclasses.asdict(record)
    values["event_types"] = list(record.event_types)
    return values


def _attempt_values(attempt: WebhookAttemptRecord, delivery_id: str) -> dict[str, Any]:
    values = dataclasses.asdict(attempt)
    del values["id"]  # the database numbers them
    return {**values, "delivery_id": delivery_id}


def _prefixed(row: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {name[len(prefix) :]: value for name, value in row.items() if name.startswith(prefix)}


# -- inside a job's transaction (webhooks/outbox.py) ------------------------------------------------


def endpoints_for_job(conn: Connection, client_key_id: str | None) -> list[WebhookEndpointRecord]:
    """The enabled endpoints that hear of a job: those made without a virtual key, and those of the
    virtual key that made it."""
    owner = _e.owner_key_id.is_(None)
    if client_key_id is not None:
        owner = sa.or_(owner, _e.owner_key_id == client_key_id)
    query = sa.select(webhook_endpoints).where(_e.enabled.is_(True), owner)
    return [endpoint_record(row) for row in conn.execute(query).mappings()]


def insert_event(
    conn: Connection, event: WebhookEventRecord, deliveries: Sequence[WebhookDeliveryRecord]
) -> None:
    conn.execute(sa.insert(webhook_events).values(**dataclasses.asdict(event)))
    if deliveries:
        conn.execute(sa.insert(webhook_deliveries), [dataclasses.asdict(d) for d in deliveries])


def _free(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(_d.lease_until.is_(None), _d.lease_until < now)


class WebhooksTable:
    """`Store`'s webhook methods (a mixin: it uses the store's `database`)."""

    database: Database

    # -- endpoints ---------------------------------------------------------------------------------

    @transactional
    def insert_webhook_endpoint(conn: Connection, record: WebhookEndpointRecord) -> None:
        conn.execute(sa.insert(webhook_endpoints).values(**_endpoint_values(record)))

    @transactional
    def get_webhook_endpoint(conn: Connection, endpoint_id: str) -> WebhookEndpointRecord | None:
        row = conn.execute(sa.select(webhook_endpoints).where(_e.id == endpoint_id)).mappings().first()
        return endpoint_record(row) if row else None

    @transactional
    def list_webhook_endpoints(
        conn: Connection, owner_key_id: Any = ALL_OWNERS, *, limit: int = 20, after: str | None = None
    ) -> tuple[list[WebhookEndpointRecord], bool]:
        """Newest first, after the endpoint ``after``; and whether more follow. ``owner_key_id``:
        a virtual key's id, None for those made without one, ``ALL_OWNERS`` for every one."""
        limit = max(1, min(limit, MAX_PAGE))
        query = sa.select(webhook_endpoints)
        if owner_key_id is not ALL_OWNERS:
            query = query.where(
                _e.owner_key_id.is_(None) if owner_key_id is None else _e.owner_key_id == owner_key_id
            )
        if after is not None:
            query = query.where(_e.id < after)
        rows = conn.execute(query.order_by(_e.id.desc()).limit(limit + 1)).mappings().all()
        return [endpoint_record(row) for row in rows[:limit]], len(rows) > limit

    @transactional
    def update_webhook_endpoint(
        conn: Connection, endpoint_id: str, **changes: Any
    ) -> WebhookEndpointRecord | None:
        """Apply ``changes``. Disabling an endpoint ends its waiting deliveries failed; enabling one
        forgets its run of failures."""
        if "event_types" in changes:
            changes["event_types"] = list(changes["event_types"])
        if changes.get("enabled") is True:
            changes.update(disabled_reason=None, consecutive_failures=0, failing_since=None)
        statement = sa.update(webhook_endpoints).where(_e.id == endpoint_id).values(**changes)
        row = conn.execute(statement.returning(*_e)).mappings().first()
        if row is not None and changes.get("enabled") is False:
            _end_waiting(conn, endpoint_id, f"the endpoint was disabled: {row['disabled_reason']}")
        return endpoint_record(row) if row else None

    @transactional
    def delete_webhook_endpoint(conn: Connection, endpoint_id: str) -> bool:
        """The endpoint, its deliveries and their attempts."""
        deliveries = sa.select(_d.id).where(_d.endpoint_id == endpoint_id).scalar_subquery()
        conn.execute(sa.delete(webhook_attempts).where(webhook_attempts.c.delivery_id.in_(deliveries)))
        conn.execute(sa.delete(webhook_deliveries).where(_d.endpoint_id == endpoint_id))
        return bool(conn.execute(sa.delete(webhook_endpoints).where(_e.id == endpoint_id)).rowcount)

    # -- deliveries ----------------------------------------------------------------------------------

    async def claim_due_deliveries(self, owner: str, until: datetime, limit: int) -> list[DueDelivery]:
        """Take the leases of up to ``limit`` due deliveries of enabled endpoints, the longest due
        first, with their events and endpoints. Rows another instance is claiming at the same moment
        are skipped on PostgreSQL (SKIP LOCKED); SQLite serialises writers anyway."""
        now = utc_now()
        due = (
            sa.select(_d.id)
            .join(webhook_endpoints, _e.id == _d.endpoint_id)
            .where(
                _d.next_attempt_at.is_not(None),
                _d.next_attempt_at <= now,
                _d.status == PENDING,
                _e.enabled.is_(True),
                _free(now),  # not "or mine": this process sends each delivery once at a time
            )
            .order_by(_d.next_attempt_at)
            .limit(limit)
        )
        # A read first, in its own transaction: most ticks find nothing, and take no write lock.
        if not await self.database.run(lambda conn: conn.execute(due.limit(1)).first() is not None):
            return []
        if self.database.dialect == "postgresql":
            due = due.with_for_update(of=webhook_deliveries, skip_locked=True)
        claim = (
            sa.update(webhook_deliveries)
            .where(_d.id.in_(due.scalar_subquery()))
            .values(lease_owner=owner, lease_until=until)
            .returning(_d.id)
        )

        def take(conn: Connection) -> list[DueDelivery]:
            claimed = [row[0] for row in conn.execute(claim).all()]
            if not claimed:
                return []
            rows = conn.execute(_bundle_query().where(_d.id.in_(claimed))).mappings().all()
            return [_bundle(row) for row in rows]

        bundles = await self.database.run(take)
        return sorted(bundles, key=lambda due: due.delivery.next_attempt_at or now)

    @transactional
    def renew_delivery_leases(conn: Connection, owner: str, delivery_ids: list[str], until: datetime) -> None:
        if delivery_ids:
            conn.execute(
                sa.update(webhook_deliveries)
                .where(_d.id.in_(delivery_ids), _d.lease_owner == owner)
                .values(lease_until=until)
            )

    @transactional
    def record_attempts(
        conn: Connection, owner: str, attempts: Sequence[RecordedAttempt]
    ) -> list[WebhookEndpointRecord | None]:
        """Keep attempts, each giving its delivery's lease back with the delivery's next state, and
        counted in its endpoint's run of failures (one transaction for them all: the deliverer writes
        them as one writer, not one per send). For each, the endpoint as it is after, or None if this
        process no longer held the lease (another one has the delivery: only the attempt is kept).

        An attempt's ``disable_rule`` (failures in a row, seconds since the first): when the run
        reaches both, the endpoint is disabled, saying why, and its waiting deliveries end failed."""
        results: list[WebhookEndpointRecord | None] = []
        conn.execute(
            sa.insert(webhook_attempts), [_attempt_values(a.attempt, a.delivery_id) for a in attempts]
        )
        for item in attempts:
            values = {"updated_at": utc_now(), "lease_owner": None, "lease_until": None, **item.changes}
            statement = (
                sa.update(webhook_deliveries)
                .where(_d.id == item.delivery_id, _d.lease_owner == owner)
                .values(**values)
                .returning(_d.endpoint_id)
            )
            endpoint_id = conn.execute(statement).scalar()
            if endpoint_id is None:
                results.append(None)
            else:
                results.append(_count_outcome(conn, endpoint_id, item.attempt, item.disable_rule))
        return results

    @transactional
    def release_delivery_lease(conn: Connection, delivery_id: str, owner: str) -> None:
        conn.execute(
            sa.update(webhook_deliveries)
            .where(_d.id == delivery_id, _d.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )

    @transactional
    def record_sent_event(
        conn: Connection,
        event: WebhookEventRecord,
        delivery: WebhookDeliveryRecord,
        attempts: Sequence[WebhookAttemptRecord],
    ) -> None:
        """An event sent already (a `test`), its delivery in its final state and its attempt."""
        insert_event(conn, event, [delivery])
        if attempts:
            conn.execute(sa.insert(webhook_attempts), [_attempt_values(a, delivery.id) for a in attempts])

    @transactional
    def add_delivery(conn: Connection, delivery: WebhookDeliveryRecord) -> None:
        """Another delivery of an event already in the outbox (a redelivery)."""
        conn.execute(sa.insert(webhook_deliveries).values(**dataclasses.asdict(delivery)))

    async def get_delivery(self, delivery_id: str) -> DeliveryView | None:
        views = await self.list_deliveries(delivery_id=delivery_id, limit=1)
        return views[0] if views else None

    @transactional
    def list_deliveries(
        conn: Connection,
        *,
        endpoint_id: str | None = None,
        event_id: str | None = None,
        delivery_id: str | None = None,
        status: str | None = None,
        before: str | None = None,
        limit: int = 50,
    ) -> list[DeliveryView]:
        """Newest first (ids begin with their time), each with its event and its attempts."""
        query = _bundle_query()
        for column, value in ((_d.endpoint_id, endpoint_id), (_d.event_id, event_id), (_d.id, delivery_id)):
            if value is not None:
                query = query.where(column == value)
        if status is not None:
            query = query.where(_d.status == status)
        if before is not None:
            query = query.where(_d.id < before)
        query = query.order_by(_d.id.desc()).limit(max(1, min(limit, MAX_PAGE + 1)))  # + 1: has_more
        rows = conn.execute(query).mappings().all()
        attempts: dict[str, list[WebhookAttemptRecord]] = {row["d_id"]: [] for row in rows}
        if attempts:
            tried = (
                sa.select(webhook_attempts)
                .where(webhook_attempts.c.delivery_id.in_(list(attempts)))
                .order_by(webhook_attempts.c.id)
            )
            for row in conn.execute(tried).mappings():
                attempts[row["delivery_id"]].append(WebhookAttemptRecord(**row))
        views = []
        for row in rows:
            bundle = _bundle(row)
            views.append(DeliveryView(bundle.delivery, bundle.event, tuple(attempts[bundle.delivery.id])))
        return views


def _bundle_query() -> sa.Select[Any]:
    columns = [
        *(column.label(f"d_{column.name}") for column in webhook_deliveries.c),
        *(column.label(f"v_{column.name}") for column in webhook_events.c),
        *(column.label(f"e_{column.name}") for column in webhook_endpoints.c),
    ]
    return (
        sa.select(*columns)
        .select_from(webhook_deliveries)
        .join(webhook_events, webhook_events.c.id == _d.event_id)
        .join(webhook_endpoints, _e.id == _d.endpoint_id)
    )


def _bundle(row: Mapping[str, Any]) -> DueDelivery:
    return DueDelivery(
        WebhookDeliveryRecord(**_prefixed(row, "d_")),
        WebhookEventRecord(**_prefixed(row, "v_")),
        endpoint_record(_prefixed(row, "e_")),
    )


def _end_waiting(conn: Connection, endpoint_id: str, why: str) -> None:
    """End an endpoint's waiting deliveries (not those being sent now: their attempt ends them)."""
    now = utc_now()
    conn.execute(
        sa.update(webhook_deliveries)
        .where(_d.endpoint_id == endpoint_id, _d.status == PENDING, _free(now))
        .values(status=FAILED, next_attempt_at=None, last_error=why, ended_at=now, updated_at=now)
    )


def _count_outcome(
    conn: Connection,
    endpoint_id: str,
    attempt: WebhookAttemptRecord,
    disable_rule: tuple[int, float] | None,
) -> WebhookEndpointRecord | None:
    ok = attempt.status_code is not None and 200 <= attempt.status_code < 300
    if ok:
        values: dict[str, Any] = {"consecutive_failures": 0, "failing_since": None}
    else:
        values = {
            "consecutive_failures": _e.consecutive_failures + 1,
            "failing_since": sa.func.coalesce(_e.failing_since, attempt.attempted_at),
        }
    statement = sa.update(webhook_endpoints).where(_e.id == endpoint_id).values(**values).returning(*_e)
    row = conn.execute(statement).mappings().first()
    if row is None:
        return None
    endpoint = endpoint_record(row)
    if ok or disable_rule is None or not endpoint.enabled or endpoint.failing_since is None:
        return endpoint
    failures, seconds = disable_rule
    failing_for = attempt.attempted_at - endpoint.failing_since
    if endpoint.consecutive_failures < failures or failing_for < timedelta(seconds=seconds):
        return endpoint
    last = f"HTTP {attempt.status_code}" if attempt.status_code is not None else attempt.error
    reason = (
        f"disabled after {endpoint.consecutive_failures} failed attempts in a row since "
        f"{endpoint.failing_since:%Y-%m-%d %H:%M:%S} UTC (the last: {last})"
    )
    now = utc_now()
    disabled = (
        sa.update(webhook_endpoints)
        .where(_e.id == endpoint_id)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
        .returning(*_e)
    )
    row = conn.execute(disabled).mappings().first()
    _end_waiting(conn, endpoint_id, f"the endpoint was {reason}")
    return endpoint_record(row) if row else endpoint
