"""Webhook endpoints, as OpenAI's API has them: create, list, retrieve, update, delete, rotate the
signing secret, send a test; shared by `/v1/webhook_endpoints`, `/api` and the dashboard.

Who sees what: a virtual key sees and manages only the endpoints it made (another's are 404), and
they hear only of its own jobs; the admin (and anyone while no virtual key exists) sees every
endpoint, and those it makes hear of every job. A signing secret is shown once, in the answer of a
create or a rotation; it is stored encrypted (`SecretBox`) and only its hint is shown after.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from irisgate.admin.clients import Client
from irisgate.admin.crypto import SecretBox
from irisgate.config.models import WebhooksConfig
from irisgate.schemas.errors import GatewayError, invalid_request
from irisgate.store import Store, StoreUnavailable, utc_now
from irisgate.store.webhooks import (
    ALL_OWNERS,
    DELIVERED,
    FAILED,
    PENDING,
    DeliveryView,
    WebhookAttemptRecord,
    WebhookDeliveryRecord,
    WebhookEndpointRecord,
)
from irisgate.webhooks.deliverer import Deliverer, secrets_in_force
from irisgate.webhooks.events import (
    DELIVERY_PREFIX,
    ENDPOINT_PREFIX,
    EVENT_TYPES,
    VIDEO_COMPLETED,
    made_up_video_id,
    new_id,
    video_event,
)
from irisgate.webhooks.sender import Sender
from irisgate.webhooks.signing import new_secret, secret_hint
from irisgate.webhooks.urls import UrlRefused, check_url, refused_param

log = logging.getLogger("irisgate.webhooks")
MAX_NAME = 256
KEEP_OLD_SECRET = timedelta(hours=24)
CREATE_FIELDS = ("name", "url", "event_types")
UPDATE_FIELDS = (*CREATE_FIELDS, "enabled")


def when(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value is not None else None


def endpoint_object(record: WebhookEndpointRecord, secret: str | None = None) -> dict[str, Any]:
    """OpenAI's `WebhookEndpoint` (with ``signing_secret``: `WebhookEndpointWithSecret`), plus whether
    irisgate sends to it (``status``) and, if not, why (``disabled_reason``)."""
    body: dict[str, Any] = {
        "id": record.id,
        "object": "webhook_endpoint",
        "created_at": when(record.created_at),
        "updated_at": when(record.updated_at),
        "name": record.name,
        "url": record.url,
        "event_types": list(record.event_types),
        "signing_secret_hint": record.secret_hint,
        "status": "enabled" if record.enabled else "disabled",
        "disabled_reason": record.disabled_reason,
    }
    if secret is not None:
        body["signing_secret"] = secret
    return body


def not_found(endpoint_id: str) -> GatewayError:
    shown = endpoint_id if len(endpoint_id) <= 80 else endpoint_id[:80] + "…"
    return GatewayError(
        404,
        f"No webhook endpoint with id '{shown}'",
        code="webhook_endpoint_not_found",
        param="webhook_endpoint_id",
    )


def only_fields(body: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for name in body:
        if name not in allowed:
            raise invalid_request(
                f"Unknown parameter '{name}'; expected {', '.join(allowed)}", name, code="unknown_parameter"
            )


def parse_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise invalid_request("'name' is required: a name for this endpoint", "name")
    if len(value.strip()) > MAX_NAME:
        raise invalid_request(f"'name' must be at most {MAX_NAME} characters", "name")
    return value.strip()


def parse_event_types(value: Any) -> tuple[str, ...]:
    known = ", ".join(EVENT_TYPES)
    if not isinstance(value, list) or not value:
        message = f"'event_types' must be a non-empty list of event types ({known})"
        raise invalid_request(message, "event_types")
    for index, name in enumerate(value):
        if name not in EVENT_TYPES:
            shown = repr(name)[:80]
            raise invalid_request(
                f"'event_types[{index}]' is {shown}: irisgate sends only {known}", f"event_types[{index}]"
            )
    return tuple(dict.fromkeys(value))


def parse_event_type(value: Any) -> str:
    if value is None:
        return VIDEO_COMPLETED
    if value not in EVENT_TYPES:
        shown = repr(value)[:80]
        message = f"'event_type' is {shown}: irisgate sends only {', '.join(EVENT_TYPES)}"
        raise invalid_request(message, "event_type")
    return str(value)


class WebhookEndpoints:
    """The service, and this process's sender and deliverer (`start` and `aclose` them)."""

    def __init__(self, store: Store, box: SecretBox, config: WebhooksConfig) -> None:
        self.store = store
        self.box = box
        self.config = config
        self.sender = Sender(config)
        self.deliverer = Deliverer(store, box, config, self.sender)

    def start(self) -> None:
        self.sender.start()
        self.deliverer.start()

    async def aclose(self) -> None:
        await self.deliverer.aclose()
        await self.sender.aclose()

    async def checked_url(self, value: Any) -> str:
        try:
            return await check_url(value, self.config.allow_private_urls)
        except UrlRefused as refused:
            raise refused_param(refused) from None

    async def visible(self, endpoint_id: str, client: Client | None) -> WebhookEndpointRecord:
        """The endpoint, if it exists and the caller may see it (else 404, whichever it is)."""
        record = await self.store.get_webhook_endpoint(endpoint_id) if len(endpoint_id) <= 100 else None
        if record is None or (client is not None and record.owner_key_id != client.id):
            raise not_found(endpoint_id)
        return record

    async def create(self, body: dict[str, Any], client: Client | None) -> dict[str, Any]:
        only_fields(body, CREATE_FIELDS)
        name = parse_name(body.get("name"))
        event_types = parse_event_types(body.get("event_types"))
        url = await self.checked_url(body.get("url"))
        secret, now = new_secret(), utc_now()
        record = WebhookEndpointRecord(
            id=new_id(ENDPOINT_PREFIX),
            owner_key_id=client.id if client else None,
            name=name,
            url=url,
            event_types=event_types,
            secret_encrypted=self.box.encrypt(secret),
            secret_hint=secret_hint(secret),
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        await self.store.insert_webhook_endpoint(record)
        return endpoint_object(record, secret)

    async def list(
        self, client: Client | None, *, limit: int = 20, after: str | None = None
    ) -> tuple[list[WebhookEndpointRecord], bool]:
        owner = client.id if client is not None else ALL_OWNERS
        return await self.store.list_webhook_endpoints(owner, limit=limit, after=after)

    async def get(self, endpoint_id: str, client: Client | None) -> dict[str, Any]:
        return endpoint_object(await self.visible(endpoint_id, client))

    async def update(self, endpoint_id: str, body: dict[str, Any], client: Client | None) -> dict[str, Any]:
        """OpenAI's fields (``name``, ``url``, ``event_types``), and irisgate's ``enabled`` (true: send
        to it again after it was disabled)."""
        record = await self.visible(endpoint_id, client)
        only_fields(body, UPDATE_FIELDS)
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = parse_name(body["name"])
        if "event_types" in body:
            changes["event_types"] = parse_event_types(body["event_types"])
        if "url" in body:
            changes["url"] = await self.checked_url(body["url"])
        if "enabled" in body:
            if not isinstance(body["enabled"], bool):
                raise invalid_request("'enabled' must be true or false", "enabled")
            changes["enabled"] = body["enabled"]
            if not body["enabled"]:
                changes["disabled_reason"] = "disabled by hand"
        changes = {
            name: value
            for name, value in changes.items()
            if getattr(record, name) != value or name == "disabled_reason"
        }
        if "enabled" not in changes:
            changes.pop("disabled_reason", None)
        if not changes:  # an unchanged update does not advance updated_at
            return endpoint_object(record)
        updated = await self.store.update_webhook_endpoint(record.id, updated_at=utc_now(), **changes)
        if updated is None:
            raise not_found(endpoint_id)
        return endpoint_object(updated)

    async def delete(self, endpoint_id: str, client: Client | None) -> dict[str, Any]:
        record = await self.visible(endpoint_id, client)
        await self.store.delete_webhook_endpoint(record.id)
        return {"id": record.id, "object": "webhook_endpoint.deleted", "deleted": True}

    async def rotate_secret(
        self, endpoint_id: str, body: dict[str, Any], client: Client | None
    ) -> dict[str, Any]:
        """A new secret signs from now on; the old one is forgotten, or (with
        ``keep_old_secret_active_for_24_hours``) also signs for 24 hours."""
        record = await self.visible(endpoint_id, client)
        only_fields(body, ("keep_old_secret_active_for_24_hours",))
        keep = body.get("keep_old_secret_active_for_24_hours", False)
        if not isinstance(keep, bool):
            raise invalid_request(
                "'keep_old_secret_active_for_24_hours' must be true or false",
                "keep_old_secret_active_for_24_hours",
            )
        secret, now = new_secret(), utc_now()
        updated = await self.store.update_webhook_endpoint(
            record.id,
            secret_encrypted=self.box.encrypt(secret),
            secret_hint=secret_hint(secret),
            old_secret_encrypted=record.secret_encrypted if keep else None,
            old_secret_until=now + KEEP_OLD_SECRET if keep else None,
            updated_at=now,
        )
        if updated is None:
            raise not_found(endpoint_id)
        return endpoint_object(updated, secret)

    async def test(self, endpoint_id: str, body: dict[str, Any], client: Client | None) -> dict[str, Any]:
        """Send a signed test event now (a made-up ``data.id``) and answer what the receiver answered;
        a receiver that cannot be reached is a 502 saying why. Kept with the endpoint's deliveries;
        never retried, never counted against the endpoint."""
        record = await self.visible(endpoint_id, client)
        only_fields(body, ("event_type",))
        event_type = parse_event_type(body.get("event_type"))
        now = utc_now()
        event = video_event(event_type, made_up_video_id(), now)
        delivery_id = new_id(DELIVERY_PREFIX)
        outcome = await self.sender.send(
            record.url, event.payload.encode(), delivery_id, secrets_in_force(record, self.box, now)
        )
        delivery = WebhookDeliveryRecord(
            id=delivery_id,
            event_id=event.id,
            endpoint_id=record.id,
            status=DELIVERED if outcome.ok else FAILED,
            test=True,
            attempts=1,
            last_status_code=outcome.status_code,
            last_error=outcome.error,
            created_at=now,
            updated_at=utc_now(),
            ended_at=utc_now(),
        )
        attempt = WebhookAttemptRecord(
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            latency_ms=outcome.latency_ms,
        )
        try:
            await self.store.record_sent_event(event, delivery, [attempt])
        except StoreUnavailable as error:  # it was sent: say what the receiver answered all the same
            log.warning("webhook test to %s not recorded: %s", record.id, error.message)
        if outcome.status_code is None:
            raise GatewayError(
                502,
                f"The test event could not be delivered to webhook endpoint '{record.id}': {outcome.error}",
                code="webhook_endpoint_unreachable",
            )
        return {
            "object": "webhook_endpoint.test",
            "webhook_endpoint_id": record.id,
            "event_type": event_type,
            "status_code": outcome.status_code,
            "success": True,
        }

    # -- deliveries (the admin's: `/api` and the dashboard) -----------------------------------------

    async def redeliver(self, delivery_id: str) -> DeliveryView:
        """A new delivery of a delivery's event to the same endpoint, due now."""
        view = await self.store.get_delivery(delivery_id) if len(delivery_id) <= 100 else None
        if view is None:
            raise GatewayError(404, f"No webhook delivery with id '{delivery_id[:80]}'", code="not_found")
        endpoint = await self.store.get_webhook_endpoint(view.delivery.endpoint_id)
        if endpoint is None or not endpoint.enabled:
            raise GatewayError(
                409,
                f"Webhook endpoint '{view.delivery.endpoint_id}' is disabled: enable it, then redeliver",
                code="webhook_endpoint_disabled",
            )
        now = utc_now()
        delivery = WebhookDeliveryRecord(
            id=new_id(DELIVERY_PREFIX),
            event_id=view.event.id,
            endpoint_id=endpoint.id,
            status=PENDING,
            test=view.delivery.test,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
        )
        await self.store.add_delivery(delivery)
        self.deliverer.wake()
        return DeliveryView(delivery, view.event, ())


def delivery_object(view: DeliveryView) -> dict[str, Any]:
    delivery = view.delivery
    return {
        "id": delivery.id,
        "object": "webhook_delivery",
        "endpoint_id": delivery.endpoint_id,
        "event_id": view.event.id,
        "event_type": view.event.type,
        "video_id": view.event.video_id,
        "status": delivery.status,
        "test": delivery.test,
        "created_at": when(delivery.created_at),
        "ended_at": when(delivery.ended_at),
        "next_attempt_at": when(delivery.next_attempt_at),
        "attempts": [
            {
                "attempted_at": attempt.attempted_at.isoformat(),
                "status_code": attempt.status_code,
                "error": attempt.error,
                "latency_ms": attempt.latency_ms,
            }
            for attempt in view.attempts
        ],
    }
