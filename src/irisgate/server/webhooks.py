"""`/v1/webhook_endpoints*` and `/v1/webhook_event_types` (what `client.webhooks.*` of the OpenAI SDK
calls), and the admin's `/api/webhooks/*`: every endpoint, the deliveries with their attempts, and
redelivery."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.schemas.errors import invalid_request
from irisgate.server.admin_guard import admin_only
from irisgate.server.forms import int_param, read_json_object
from irisgate.server.observe import CallContext, observed
from irisgate.server.responses import json_response
from irisgate.store.webhooks import ALL_OWNERS
from irisgate.webhooks.endpoints import WebhookEndpoints, delivery_object, endpoint_object
from irisgate.webhooks.events import EVENT_TYPES

MAX_PAGE = 100


def service(request: Request) -> WebhookEndpoints:
    return request.app.state.gateway.webhooks


def endpoint_id_of(request: Request) -> str:
    endpoint_id: str = request.path_params["endpoint_id"]
    return endpoint_id


async def optional_json(request: Request) -> dict[str, Any]:
    """A JSON object body, or ``{}`` for none at all (`rotate_secret` and `test` may be sent bare)."""
    headers = request.headers
    if headers.get("content-length") == "0" or not (
        headers.get("content-length") or headers.get("transfer-encoding")
    ):
        return {}
    return await read_json_object(request)


def page_params(request: Request) -> tuple[int, str | None]:
    query = request.query_params
    limit = int_param(query.get("limit"), "limit", 20, 1, MAX_PAGE) or 20
    return limit, query.get("after") or None


def page_body(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


@observed("/v1/webhook_endpoints")
async def create_endpoint(request: Request, ctx: CallContext) -> Response:
    return json_response(await service(request).create(await read_json_object(request), ctx.client))


@observed("/v1/webhook_endpoints")
async def list_endpoints(request: Request, ctx: CallContext) -> Response:
    limit, after = page_params(request)
    records, has_more = await service(request).list(ctx.client, limit=limit, after=after)
    return json_response(page_body([endpoint_object(record) for record in records], has_more))


@observed("/v1/webhook_endpoints/{id}")
async def retrieve_endpoint(request: Request, ctx: CallContext) -> Response:
    return json_response(await service(request).get(endpoint_id_of(request), ctx.client))


@observed("/v1/webhook_endpoints/{id}")
async def update_endpoint(request: Request, ctx: CallContext) -> Response:
    body = await read_json_object(request)
    return json_response(await service(request).update(endpoint_id_of(request), body, ctx.client))


@observed("/v1/webhook_endpoints/{id}")
async def delete_endpoint(request: Request, ctx: CallContext) -> Response:
    return json_response(await service(request).delete(endpoint_id_of(request), ctx.client))


@observed("/v1/webhook_endpoints/{id}/rotate_secret")
async def rotate_secret(request: Request, ctx: CallContext) -> Response:
    body = await optional_json(request)
    return json_response(await service(request).rotate_secret(endpoint_id_of(request), body, ctx.client))


@observed("/v1/webhook_endpoints/{id}/test")
async def test_endpoint(request: Request, ctx: CallContext) -> Response:
    body = await optional_json(request)
    return json_response(await service(request).test(endpoint_id_of(request), body, ctx.client))


@observed("/v1/webhook_event_types")
async def list_event_types(request: Request, ctx: CallContext) -> Response:
    return json_response({"object": "list", "data": list(EVENT_TYPES)})


# -- /api: the admin's view --------------------------------------------------------------------------


@admin_only
async def admin_list_endpoints(request: Request) -> Response:
    limit, after = page_params(request)
    store = service(request).store
    records, has_more = await store.list_webhook_endpoints(ALL_OWNERS, limit=limit, after=after)
    data = [
        {
            **endpoint_object(record),
            "owner_key_id": record.owner_key_id,
            "failures_in_a_row": record.consecutive_failures,
        }
        for record in records
    ]
    return json_response(page_body(data, has_more))


@admin_only
async def admin_list_deliveries(request: Request) -> Response:
    """``?endpoint_id=&event_id=&status=&limit=&before=`` (newest first; ``before``: the last id of
    the previous page)."""
    query = request.query_params
    status = query.get("status") or None
    if status not in (None, "pending", "delivered", "failed"):
        raise invalid_request("'status' must be pending, delivered or failed", "status")
    limit = int_param(query.get("limit"), "limit", 50, 1, MAX_PAGE) or 50
    views = await service(request).store.list_deliveries(
        endpoint_id=query.get("endpoint_id") or None,
        event_id=query.get("event_id") or None,
        status=status,
        before=query.get("before") or None,
        limit=limit + 1,
    )
    data = [delivery_object(view) for view in views[:limit]]
    return json_response({"object": "list", "data": data, "has_more": len(views) > limit})


@admin_only
async def admin_redeliver(request: Request) -> Response:
    view = await service(request).redeliver(request.path_params["delivery_id"])
    return json_response(delivery_object(view), 201)


routes = [
    Route("/v1/webhook_endpoints", create_endpoint, methods=["POST"]),
    Route("/v1/webhook_endpoints", list_endpoints, methods=["GET"]),
    Route("/v1/webhook_endpoints/{endpoint_id}", retrieve_endpoint, methods=["GET"]),
    Route("/v1/webhook_endpoints/{endpoint_id}", update_endpoint, methods=["POST"]),
    Route("/v1/webhook_endpoints/{endpoint_id}", delete_endpoint, methods=["DELETE"]),
    Route("/v1/webhook_endpoints/{endpoint_id}/rotate_secret", rotate_secret, methods=["POST"]),
    Route("/v1/webhook_endpoints/{endpoint_id}/test", test_endpoint, methods=["POST"]),
    Route("/v1/webhook_event_types", list_event_types, methods=["GET"]),
    Route("/api/webhooks/endpoints", admin_list_endpoints, methods=["GET"]),
    Route("/api/webhooks/deliveries", admin_list_deliveries, methods=["GET"]),
    Route("/api/webhooks/deliveries/{delivery_id}/redeliver", admin_redeliver, methods=["POST"]),
]
