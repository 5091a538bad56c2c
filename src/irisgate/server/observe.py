"""Wrap a /v1 handler: turn errors into JSON, time it, and queue one request-log record.

The record goes to the batched `RequestLogWriter`, so no request waits on a database write.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from irisgate.admin.clients import Client
from irisgate.routing.router import Route
from irisgate.schemas.errors import GatewayError
from irisgate.server import metrics
from irisgate.server.admin_guard import v1_client
from irisgate.server.responses import error_response
from irisgate.store import RequestLogRecord, VideoJobRecord

log = logging.getLogger("irisgate.server")


class RequestIds:
    """Request ids unique across processes and restarts, without a random draw per request (`uuid4`
    reads the OS's random source each time): a random per-process prefix and a counter, 32 hex digits."""

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self._prefix = os.urandom(8).hex()
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):016x}"


request_ids = RequestIds()


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

    def add_headers(self, response: Response) -> None:
        """`x-request-id`, and the provider and model that served it (appended: the handler's
        response is new, so none of them is there yet)."""
        raw = response.raw_headers
        raw.append((b"x-request-id", self.request_id.encode()))
        if self.provider is not None:  # names a client chose: never fail the answer over a header
            raw.append((b"x-irisgate-provider", self.provider.encode("latin-1", "replace")))
            raw.append((b"x-irisgate-model", (self.model or "").encode("latin-1", "replace")))


Handler = Callable[[Request, CallContext], Awaitable[Response]]


def observed(route_name: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    def decorate(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            started = time.perf_counter()
            ctx = CallContext(request_id=request_ids.next())
            error: GatewayError | None = None
            try:
                ctx.client = await v1_client(request)
                response = await handler(request, ctx)
            except GatewayError as exc:
                error = exc
                response = error_response(exc)
            except Exception:
                log.exception("unhandled error in %s (request %s)", route_name, ctx.request_id)
                error = GatewayError(500, "Internal error in the gateway", code="internal_error")
                response = error_response(error)
            ctx.add_headers(response)
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
