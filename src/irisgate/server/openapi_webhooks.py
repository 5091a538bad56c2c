"""The webhook part of the OpenAPI document (`openapi.py` adds it): `/v1/webhook_endpoints*` and
`/v1/webhook_event_types`, in the shapes of OpenAI's API."""

from __future__ import annotations

from typing import Any

from irisgate.server.openapi import (
    LIMIT,
    NULLABLE_TEXT,
    TEXT,
    error_answer,
    json_body,
    ok,
    operation,
    responses,
)
from irisgate.webhooks.endpoints import MAX_NAME
from irisgate.webhooks.events import EVENT_TYPES
from irisgate.webhooks.urls import MAX_URL_LENGTH

EVENT_TYPE = {"enum": list(EVENT_TYPES)}
EVENT_TYPE_LIST = {"type": "array", "items": EVENT_TYPE, "minItems": 1}
ENDPOINT_FIELDS = {
    "id": {"type": "string", "pattern": "^whe_"},
    "object": {"const": "webhook_endpoint"},
    "created_at": {"type": "integer"},
    "updated_at": {"type": "integer"},
    "name": TEXT,
    "url": TEXT,
    "event_types": {"type": "array", "items": TEXT},
    "signing_secret_hint": NULLABLE_TEXT,
    "status": {
        "enum": ["enabled", "disabled"],
        "description": "irisgate's: whether it sends to the endpoint",
    },
    "disabled_reason": {**NULLABLE_TEXT, "description": "irisgate's: why it stopped sending to it"},
}
REQUIRED = ["id", "object", "created_at", "name", "url", "event_types"]
SCHEMAS: dict[str, Any] = {
    "WebhookEndpoint": {"type": "object", "required": REQUIRED, "properties": ENDPOINT_FIELDS},
    "WebhookEndpointWithSecret": {
        "type": "object",
        "required": [*REQUIRED, "signing_secret"],
        "properties": {
            **ENDPOINT_FIELDS,
            "signing_secret": {"type": "string", "pattern": "^whsec_", "description": "shown only here"},
        },
    },
    "WebhookEndpointList": {
        "type": "object",
        "required": ["object", "data", "first_id", "last_id", "has_more"],
        "properties": {
            "object": {"const": "list"},
            "data": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookEndpoint"}},
            "first_id": NULLABLE_TEXT,
            "last_id": NULLABLE_TEXT,
            "has_more": {"type": "boolean"},
        },
    },
    "DeletedWebhookEndpoint": {
        "type": "object",
        "required": ["id", "object", "deleted"],
        "properties": {
            "id": TEXT,
            "object": {"const": "webhook_endpoint.deleted"},
            "deleted": {"type": "boolean"},
        },
    },
    "WebhookEndpointTestResult": {
        "type": "object",
        "required": ["object", "webhook_endpoint_id", "event_type", "status_code", "success"],
        "properties": {
            "object": {"const": "webhook_endpoint.test"},
            "webhook_endpoint_id": TEXT,
            "event_type": TEXT,
            "status_code": {"type": "integer"},
            "success": {"const": True},
        },
    },
    "WebhookEventTypeList": {
        "type": "object",
        "required": ["object", "data"],
        "properties": {"object": {"const": "list"}, "data": {"type": "array", "items": TEXT}},
    },
}
NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME}
URL = {
    "type": "string",
    "maxLength": MAX_URL_LENGTH,
    "examples": ["https://app.example.com/webhooks/irisgate"],
}
CREATE = {
    "type": "object",
    "required": ["name", "url", "event_types"],
    "properties": {"name": NAME, "url": URL, "event_types": EVENT_TYPE_LIST},
    "additionalProperties": False,
}
UPDATE = {
    "type": "object",
    "properties": {
        "name": NAME,
        "url": URL,
        "event_types": EVENT_TYPE_LIST,
        "enabled": {"type": "boolean", "description": "irisgate's: true sends to a disabled endpoint again"},
    },
    "additionalProperties": False,
}
TEST = {"type": "object", "properties": {"event_type": EVENT_TYPE}}
ENDPOINT_ID = {"name": "endpoint_id", "in": "path", "required": True, "schema": TEXT}
URL_CHECK = "the URL is checked (https, public addresses unless webhooks.allow_private_urls)"


def paths() -> dict[str, Any]:
    endpoint = ok("WebhookEndpoint", "The webhook endpoint")
    with_secret = ok("WebhookEndpointWithSecret", "The endpoint, with its signing secret (shown only now)")
    return {
        "/v1/webhook_endpoints": {
            "post": operation(
                "createWebhookEndpoint", f"Create a webhook endpoint ({URL_CHECK})", responses(with_secret),
                requestBody=json_body(CREATE)),
            "get": operation(
                "listWebhookEndpoints", "The caller's webhook endpoints, newest first",
                responses(ok("WebhookEndpointList", "A page of endpoints")),
                parameters=[{"name": "after", "in": "query", "schema": TEXT},
                            {"name": "limit", "in": "query", "schema": LIMIT}]),
        },
        "/v1/webhook_endpoints/{endpoint_id}": {
            "parameters": [ENDPOINT_ID],
            "get": operation("retrieveWebhookEndpoint", "A webhook endpoint", responses(endpoint, 404)),
            "post": operation(
                "updateWebhookEndpoint", "Change a webhook endpoint", responses(endpoint, 404),
                requestBody=json_body(UPDATE)),
            "delete": operation(
                "deleteWebhookEndpoint", "Delete a webhook endpoint and its deliveries",
                responses(ok("DeletedWebhookEndpoint", "Deleted"), 404)),
        },
        "/v1/webhook_endpoints/{endpoint_id}/rotate_secret": {
            "parameters": [ENDPOINT_ID],
            "post": operation(
                "rotateWebhookEndpointSecret", "A new signing secret (the old one may sign on for 24 hours)",
                responses(with_secret, 404),
                requestBody=json_body({"type": "object", "properties": {
                    "keep_old_secret_active_for_24_hours": {"type": "boolean"}}}, required=False)),
        },
        "/v1/webhook_endpoints/{endpoint_id}/test": {
            "parameters": [ENDPOINT_ID],
            "post": operation(
                "testWebhookEndpoint", "Send a signed test event now; 502 if the receiver cannot be reached",
                {**responses(ok("WebhookEndpointTestResult", "What the receiver answered"), 404),
                 "502": error_answer(502)},
                requestBody=json_body(TEST, required=False)),
        },
        "/v1/webhook_event_types": {
            "get": operation(
                "listWebhookEventTypes", "The event types irisgate sends",
                responses(ok("WebhookEventTypeList", "The event types"))),
        },
    }  # fmt: skip
