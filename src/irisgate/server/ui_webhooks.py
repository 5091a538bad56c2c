"""Activity > Webhooks: endpoints (create one, its secret shown once), each endpoint's deliveries with
every attempt, a test send, redelivery, enable/disable and delete.

Forms work as plain POSTs and, with htmx, in place (an endpoint's page swaps `#webhook`). As on the
API Keys page, a successful create is not redirected: the signing secret exists only in that POST's
response, never in a URL, a cookie, a log or a later page. The dashboard acts as the admin: its
endpoints hear of every job, and it sees every endpoint.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.schemas.errors import GatewayError
from irisgate.server.ui import checked_form, is_htmx, page, render, see_other
from irisgate.server.ui_providers import text
from irisgate.store.webhooks import ALL_OWNERS
from irisgate.webhooks.endpoints import WebhookEndpoints, endpoint_object
from irisgate.webhooks.events import EVENT_TYPES

DELIVERIES_SHOWN = 50
NOTICES = {"deleted": "Webhook endpoint deleted."}


def service(request: Request) -> WebhookEndpoints:
    return request.app.state.gateway.webhooks


async def owner_names(request: Request) -> dict[str, str]:
    return {key.id: key.name for key in await service(request).store.list_virtual_keys()}


async def render_list(
    request: Request,
    *,
    created: dict[str, Any] | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status: int = 200,
) -> Response:
    records, _ = await service(request).store.list_webhook_endpoints(ALL_OWNERS, limit=100)
    context = {
        "section": "webhooks",
        "endpoints": [(record, endpoint_object(record)) for record in records],
        "owners": await owner_names(request),
        "event_types": EVENT_TYPES,
        "created": created,
        "form": form or {"name": "", "url": "", "event_types": list(EVENT_TYPES)},
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "webhooks.html", context, status=status)


@page
async def webhooks_page(request: Request) -> Response:
    return await render_list(request, notice=NOTICES.get(request.query_params.get("done", "")))


@page
async def create_endpoint(request: Request) -> Response:
    form = await checked_form(request)
    chosen = [name for name in form.getlist("event_types") if isinstance(name, str)]
    shown = {"name": text(form, "name"), "url": text(form, "url"), "event_types": chosen}
    try:
        created = await service(request).create(shown, None)
    except GatewayError as error:
        field = (error.param or "_form").split("[")[0]
        return await render_list(request, form=shown, errors={field: error.message}, status=error.status)
    return await render_list(request, created=created)


async def render_endpoint(
    request: Request,
    endpoint_id: str,
    *,
    notice: str | None = None,
    error: str | None = None,
    tested: dict[str, Any] | None = None,
) -> Response:
    webhooks = service(request)
    record = await webhooks.visible(endpoint_id, None)
    views = await webhooks.store.list_deliveries(endpoint_id=record.id, limit=DELIVERIES_SHOWN)
    context = {
        "section": "webhooks",
        "record": record,
        "endpoint": endpoint_object(record),
        "owner": (await owner_names(request)).get(record.owner_key_id or "", record.owner_key_id),
        "deliveries": views,
        "event_types": EVENT_TYPES,
        "notice": notice,
        "error": error,
        "tested": tested,
    }
    return render(request, "_webhook.html" if is_htmx(request) else "webhook.html", context)


@page
async def endpoint_page(request: Request) -> Response:
    return await render_endpoint(request, request.path_params["endpoint_id"])


@page
async def send_test(request: Request) -> Response:
    endpoint_id = request.path_params["endpoint_id"]
    form = await checked_form(request)
    try:
        tested = await service(request).test(endpoint_id, {"event_type": text(form, "event_type")}, None)
    except GatewayError as error:
        if error.status == 404:
            raise
        return await render_endpoint(request, endpoint_id, error=error.message)
    return await render_endpoint(request, endpoint_id, tested=tested)


@page
async def set_enabled(request: Request) -> Response:
    endpoint_id = request.path_params["endpoint_id"]
    form = await checked_form(request)
    enabled = text(form, "enabled") == "true"
    await service(request).update(endpoint_id, {"enabled": enabled}, None)
    notice = "Endpoint enabled: events are sent to it again." if enabled else "Endpoint disabled."
    return await render_endpoint(request, endpoint_id, notice=notice)


@page
async def delete_endpoint(request: Request) -> Response:
    await checked_form(request)
    await service(request).delete(request.path_params["endpoint_id"], None)
    return see_other("/webhooks?done=deleted")


@page
async def redeliver(request: Request) -> Response:
    await checked_form(request)
    webhooks = service(request)
    view = await webhooks.store.get_delivery(request.path_params["delivery_id"])
    if view is None:
        raise GatewayError(404, "No such webhook delivery", code="not_found")
    try:
        new = await webhooks.redeliver(view.delivery.id)
    except GatewayError as error:
        return await render_endpoint(request, view.delivery.endpoint_id, error=error.message)
    notice = f"Event {new.event.id} queued again as delivery {new.delivery.id}."
    return await render_endpoint(request, view.delivery.endpoint_id, notice=notice)


routes = [
    Route("/webhooks", webhooks_page, methods=["GET"]),
    Route("/webhooks", create_endpoint, methods=["POST"]),
    Route("/webhooks/deliveries/{delivery_id}/redeliver", redeliver, methods=["POST"]),
    Route("/webhooks/{endpoint_id}", endpoint_page, methods=["GET"]),
    Route("/webhooks/{endpoint_id}/test", send_test, methods=["POST"]),
    Route("/webhooks/{endpoint_id}/enabled", set_enabled, methods=["POST"]),
    Route("/webhooks/{endpoint_id}/delete", delete_endpoint, methods=["POST"]),
]
