"""The /v1 routes served straight from the ASGI entry point, past Starlette's router and middleware.

Every /v1 handler is wrapped by `observed`, which already turns every exception into a JSON
answer, so Starlette's error middlewares and its route-by-route regex matching only add cost on
the hot path (a measurable share of a request that itself adds well under a millisecond). Here
a request is matched with one dict lookup (static paths) or a prefix/suffix split (paths with one
`{param}` segment, such as `/v1/videos/{video_id}/content`); anything else — other methods
(405s, HEAD), the dashboard, `/api`, lifespan — goes to the Starlette app unchanged.

The table is built from the app's own `Route`s, so the two can never disagree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]
PREFIX = "/v1/"


def is_observed(endpoint: Any) -> bool:
    return getattr(endpoint, "observed", False) is True


class FastRoutes:
    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.static: dict[tuple[str, str], Endpoint] = {}
        # (method, prefix, suffix, parameter name) for paths like /v1/videos/{video_id}/content
        self.templated: list[tuple[str, str, str, str, Endpoint]] = []
        for route in app.routes:
            if isinstance(route, Route) and route.path.startswith(PREFIX) and is_observed(route.endpoint):
                self._add(route)
        # Longest suffix first, so "/v1/videos/{id}/content" is tried before "/v1/videos/{id}".
        self.templated.sort(key=lambda entry: len(entry[2]), reverse=True)

    def _add(self, route: Route) -> None:
        methods = sorted((route.methods or set()) - {"HEAD"})
        head, brace, rest = route.path.partition("{")
        if not brace:
            for method in methods:
                self.static[(method, route.path)] = route.endpoint
            return
        name, _, suffix = rest.partition("}")
        if "{" in suffix or ":" in name:
            return  # more than one parameter, or a converter: leave it to Starlette
        for method in methods:
            self.templated.append((method, head, suffix, name, route.endpoint))

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        endpoint = self.static.get((method, path))
        if endpoint is not None:
            return endpoint, {}
        for route_method, head, suffix, name, candidate in self.templated:
            if route_method == method and path.startswith(head) and path.endswith(suffix):
                value = path[len(head) : len(path) - len(suffix)]
                if value and "/" not in value:
                    return candidate, {name: value}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            found = self.match(scope["method"], scope["path"])
            if found is not None:
                endpoint, params = found
                scope["app"] = self.app
                scope["router"] = self.app.router
                scope["path_params"] = params
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
