"""Small Starlette helpers: orjson responses, and the methods a path allows (to tell 405 from 404)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import Scope

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """Methods of the routes whose path matches ``scope`` but whose method does not (empty: a 404)."""
    allowed: set[str] = set()
    for route in routes:
        if isinstance(route, Route) and route.matches(scope)[0] == Match.PARTIAL:
            allowed.update(route.methods or ())
    return sorted(allowed)
