"""Wrap a /v1 handler: turn errors into JSON, time it, and queue one request-log record.

The record goes to the batched `RequestLogWriter`, so no request waits on a database write.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from irisgate import metrics
from irisgate.clients import Client
from irisgate.routing import Route
from irisgate.schemas.errors import GatewayError
from irisgate.server.admin_guard import v1_client
from irisgate.server.responses import error_response
from irisgate.store import RequestLogRecord, VideoJobRecord

log = logging.getLogger("irisgate.server")


@dataclass
class CallContext:
    """What a handler learned while serving one request, for its log record and headers."""

    request_id: str
    client: Client | None = None
    provider: str | None = None
    model: str | None = None
    key_id: str | None = None
    key_name: str | None = None
    cost_usd: float | None = None

    def use(self, route: Route) -> Route:
        self.provider, self.model = route.provider_name, route.model
        self.key_id, self.key_name = route.key.id, route.key.name
        return route

    def use_job(self, job: VideoJobRecord) -> VideoJobRecord:
        self.provider, self.model, self.key_id, self.key_name = (
            job.provider,
            job.model,
            job.key_id,
            job.key_name,
        )
        return job

    def route_headers(self) -> dict[str, str]:
        if self.provider is None:
            return {}
        return {"x-irisgate-provider": self.provider, "x-irisgate-model": self.model or ""}


Handler = Callable[[Request, CallContext], Awaitable[Response]]


def observed(route_name: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            ctx = CallContext(request_id=uuid.uuid4().hex)
            error: GatewayError | None = None
            try:
                ctx.client = v1_client(request)
                response = await handler(request, ctx)
            except GatewayError as exc:
                error = exc
                response = error_response(exc)
            except Exception:
                log.exception("unhandled error in %s (request %s)", route_name, ctx.request_id)
                error = GatewayError(500, "Internal error in the gateway", code="internal_error")
                response = error_response(error)
            response.headers["x-request-id"] = ctx.request_id
            for name, value in ctx.route_headers().items():
                response.headers[name] = value
            record = _record(request, route_name, ctx, response.status_code, error, started)
            request.app.state.gateway.request_log.record(record)
            metrics.observe(
                route_name,
                request.method,
                response.status_code,
                ctx.provider,
                ctx.model,
                record.error_code,
                record.latency_ms / 1000,
                ctx.cost_usd,
            )
            return response

        endpoint.__name__ = handler.__name__
        return endpoint

    return decorate


def _record(
    request: Request,
    route_name: str,
    ctx: CallContext,
    status: int,
    error: GatewayError | None,
    started: float,
) -> RequestLogRecord:
    return RequestLogRecord(
        request_id=ctx.request_id,
        method=request.method,
        route=route_name,
        provider=ctx.provider,
        model=ctx.model,
        key_id=ctx.key_id,
        key_name=ctx.key_name,
        client_key_id=ctx.client.id if ctx.client else None,
        status_code=status,
        latency_ms=round((time.perf_counter() - started) * 1000, 3),
        cost_usd=ctx.cost_usd,
        error_code=error.code if error else None,
        error_message=error.message if error else None,
    )
