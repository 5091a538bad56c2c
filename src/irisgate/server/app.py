"""The ASGI application: /v1 (the unified API), /health, and JSON answers for every error."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from irisgate import __version__
from irisgate.config import load_config
from irisgate.schemas.errors import GatewayError
from irisgate.server import admin_api, images, metrics, openapi, request_deadline, ui_site, videos, webhooks
from irisgate.server.gateway import Gateway, GatewaySettings
from irisgate.server.large_bodies import LargeBodies
from irisgate.server.limits import RequestLimits
from irisgate.server.local_guard import LocalGuard
from irisgate.server.request_deadline import DeadlineProtocol, RequestProgress
from irisgate.server.responses import error_response, json_response

log = logging.getLogger("irisgate.server")

ENV_CONFIG = "IRISGATE_CONFIG"
ENV_APP_DIR = "IRISGATE_APP_DIR"


async def health(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    return json_response(
        {"status": "ok", "version": __version__, "providers": sorted(gateway.registry.providers)}
    )


async def metrics_endpoint(request: Request) -> Response:
    return Response(await metrics.exposition(), media_type=metrics.CONTENT_TYPE)


def allowed_methods(request: Request) -> str:
    """The methods the routes of this path answer, all of them: Starlette's 405 names only those of
    the first route that matched the path, and a path often has one route per method."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers = {name.lower(): value for name, value in (exc.headers or {}).items()}
    message = str(exc.detail)
    code = None
    if exc.status_code == 404:
        message, code = f"No route for {request.method} {request.url.path}", "not_found"
    elif exc.status_code == 405:
        headers["allow"] = allowed_methods(request) or headers.get("allow", "")
        message = f"Method {request.method} not allowed here; allowed: {headers['allow']}"
        code = "method_not_allowed"
    return error_response(GatewayError(exc.status_code, message, code=code, headers=headers))


async def unhandled_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(GatewayError(500, "Internal error in the gateway", code="internal_error"))


# How `irisgate serve` runs uvicorn (its fastest stock loop and parser); the tests' in-process gateways
# are served the same way.
# (uvicorn's httptools protocol, with a deadline for each request to arrive: request_deadline.py)
UVICORN_OPTIONS: dict[str, Any] = {"loop": "uvloop", "http": DeadlineProtocol}


def create_app(settings: GatewaySettings) -> Starlette:
    """The ASGI app: Starlette's router and middleware as they ship, behind the request-size guard."""
    gateway = Gateway(settings)
    request_deadline.configure(settings.config.request_read_timeout_seconds)
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            *openapi.routes,
            *images.routes,
            *videos.routes,
            *webhooks.routes,
            *admin_api.routes,
            *ui_site.routes,
        ],
        middleware=[
            Middleware(RequestProgress),
            Middleware(
                LocalGuard,
                allowed_hosts=settings.config.allowed_hosts,
                allowed_origins=settings.config.allowed_origins,
            ),
            Middleware(RequestLimits, max_body_bytes=settings.config.max_body_bytes),
            Middleware(LargeBodies, max_concurrent=settings.config.max_concurrent_large_bodies),
        ],
        lifespan=gateway.lifespan,
        exception_handlers={HTTPException: http_error, Exception: unhandled_error},
    )
    app.state.gateway = gateway
    return app


def app_from_env() -> Starlette:
    """The factory uvicorn workers call (`irisgate serve` sets the environment and prepares the store)."""
    config_path = os.environ.get(ENV_CONFIG) or None
    app_dir = Path(os.environ.get(ENV_APP_DIR) or "./data")
    return create_app(
        GatewaySettings(config=load_config(config_path), app_dir=app_dir, freeze_after_start=True)
    )
