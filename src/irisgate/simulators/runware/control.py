"""HTTP control plane under `/__fake` (not recorded), for the CLI and cross-process tests.

GET/DELETE /__fake/requests, GET /__fake/tasks, GET/POST/DELETE /__fake/faults,
GET/PATCH /__fake/settings, POST /__fake/reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import Fault

if TYPE_CHECKING:
    from .app import RunwareSimulator


def _json(body: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def _bad_request(message: str) -> Response:
    return _json({"error": message}, 400)


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    return orjson.loads(raw) if raw else None


def control_routes(sim: RunwareSimulator) -> list[Route]:
    async def list_requests(request: Request) -> Response:
        return _json([r.to_json() for r in list(sim.requests)])

    async def clear_requests(request: Request) -> Response:
        with sim.state.lock:
            sim.state.requests.clear()
        return Response(status_code=204)

    async def list_tasks(request: Request) -> Response:
        return _json(sim.tasks(request.query_params.get("taskType")))

    async def list_faults(request: Request) -> Response:
        return _json([f.to_json() for f in sim.faults.snapshot()])

    async def add_fault(request: Request) -> Response:
        try:
            fault = Fault.from_json(await _read_json(request))
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            return _bad_request(str(exc))
        sim.add_fault(fault)
        return _json(fault.to_json(), 201)

    async def clear_faults(request: Request) -> Response:
        sim.clear_faults()
        return Response(status_code=204)

    async def get_settings(request: Request) -> Response:
        return _json(sim.settings.to_json())

    async def patch_settings(request: Request) -> Response:
        try:
            changes = await _read_json(request)
            if not isinstance(changes, dict):
                raise ValueError("settings must be a JSON object")
            probe = sim.settings.copy()
            probe.patch(changes)  # validate everything before touching the live settings
        except (orjson.JSONDecodeError, ValueError) as exc:
            return _bad_request(str(exc))
        sim.settings.patch(changes)
        return _json(sim.settings.to_json())

    async def reset(request: Request) -> Response:
        sim.reset()
        return Response(status_code=204)

    return [
        Route("/__fake/requests", list_requests, methods=["GET"]),
        Route("/__fake/requests", clear_requests, methods=["DELETE"]),
        Route("/__fake/tasks", list_tasks, methods=["GET"]),
        Route("/__fake/faults", list_faults, methods=["GET"]),
        Route("/__fake/faults", add_fault, methods=["POST"]),
        Route("/__fake/faults", clear_faults, methods=["DELETE"]),
        Route("/__fake/settings", get_settings, methods=["GET"]),
        Route("/__fake/settings", patch_settings, methods=["PATCH"]),
        Route("/__fake/reset", reset, methods=["POST"]),
    ]
