"""The outbox: as a video job ends, its event and one delivery per endpoint that should hear of it are
written in the same transaction as the job's end (`Store.job_end_hooks`), so an ended job always has
its event queued and never twice. The deliverer sends them later, off the request path.

An endpoint hears of a job if it is enabled, lists the event's type, and was made without a virtual
key (the admin's, the dashboard's: every job) or by the virtual key that made the job. No event is
written for a job no endpoint hears of.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from irisgate.store import VideoJobRecord, utc_now
from irisgate.store.webhooks import PENDING, WebhookDeliveryRecord, endpoints_for_job, insert_event
from irisgate.webhooks.events import DELIVERY_PREFIX, VIDEO_COMPLETED, VIDEO_FAILED, new_id, video_event


def queue_job_event(conn: Connection, job: VideoJobRecord) -> None:
    """A `JobEndHook`: runs inside the transaction that ends ``job``."""
    event_type = VIDEO_COMPLETED if job.status == "completed" else VIDEO_FAILED
    endpoints = [
        endpoint
        for endpoint in endpoints_for_job(conn, job.client_key_id)
        if event_type in endpoint.event_types
    ]
    if not endpoints:
        return
    now = utc_now()
    event = video_event(event_type, job.id, job.completed_at or now)
    deliveries = [
        WebhookDeliveryRecord(
            id=new_id(DELIVERY_PREFIX),
            event_id=event.id,
            endpoint_id=endpoint.id,
            status=PENDING,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    ]
    insert_event(conn, event, deliveries)
