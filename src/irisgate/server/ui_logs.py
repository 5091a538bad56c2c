"""Logs: recent requests, filterable by provider and status code, paged with `before_id`; one record.

A request-log record holds no secrets and no payloads (see `observe.py`); the pages show exactly the
admin API's `log_view` of it, escaped like every template value.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.providers.catalog import labels
from irisgate.schemas.errors import GatewayError
from irisgate.server.admin_api import int_param, log_view
from irisgate.server.ui import is_htmx, page, render

PAGE_SIZE = 50


@page
async def logs_page(request: Request) -> Response:
    query = request.query_params
    provider = query.get("provider") or None
    status_code = int_param(query.get("status_code"), "status_code", None, 100, 599)
    before_id = int_param(query.get("before_id"), "before_id", None, 1, 2**62)
    records = await request.app.state.gateway.store.list_request_logs(
        limit=PAGE_SIZE, before_id=before_id, provider=provider, status_code=status_code
    )
    logs = [log_view(record) for record in records]
    context = {
        "section": "logs",
        "logs": logs,
        "providers": labels(),
        "provider": provider or "",
        "status_code": status_code or "",
        "before_id": before_id,
        "older_id": logs[-1]["id"] if len(logs) == PAGE_SIZE else None,
    }
    return render(request, "_logs_table.html" if is_htmx(request) else "logs.html", context)


@page
async def log_page(request: Request) -> Response:
    log_id = int_param(request.path_params["log_id"], "log_id", None, 1, 2**62) or 0
    records = await request.app.state.gateway.store.list_request_logs(limit=1, before_id=log_id + 1)
    if not records or records[0].id != log_id:
        raise GatewayError(404, f"No request log {log_id}", code="not_found")
    return render(request, "log.html", {"section": "logs", "log": log_view(records[0])})


routes = [
    Route("/logs", logs_page, methods=["GET"]),
    Route("/logs/{log_id}", log_page, methods=["GET"]),
]
