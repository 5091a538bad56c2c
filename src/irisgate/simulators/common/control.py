"""HTTP control plane under `/__fake` (not recorded), for the CLI and cross-process tests.

GET/DELETE /__fake/requests, GET /__fake/tasks, GET/POST/DELETE /__fake/faults,
GET/PATCH /__fake/settings, POST /__fake/reset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .http import json_response
from .recording import RecordedRequest


class ControlledSimulator(Protocol):
    """What the control plane needs from a simulator."""

    settings: Any  # a SimSettings-like object: copy(), patch(dict), to_json()
    faults: Any  # has snapshot() -> list of faults with to_json()

    @property
    def requests(self) -> list[RecordedRequest]: ...

    def tasks(self, *args: Any) -> list[dict[str, Any]]: ...

    def add_fault(self, fault: Any) -> None: ...

    def clear_faults(self) -> None: ...

    def reset(self) -> None: ...


async def _read_json(request: Request) -> Any:
    raw = await request.body()
    return orjson.loads(raw) if raw else None


def control_routes(
    sim: ControlledSimulator, fault_from_json: Callable[[Any], Any], task_filter: str | None = None
) -> list[Route]:
    """The `/__fake/*` routes; ``task_filter`` names a query parameter passed on to `sim.tasks(value)`."""

    async def list_requests(request: Request) -> Response:
        return json_response(200, [r.to_json() for r in list(sim.requests)])

    async def clear_requests(request: Request) -> Response:
        sim.requests.clear()
        return Response(status_code=204)

    async def list_tasks(request: Request) -> Response:
        if task_filter is None:
            return json_response(200, sim.tasks())
        return json_response(200, sim.tasks(request.query_params.get(task_filter)))

    async def list_faults(request: Request) -> Response:
        return json_response(200, [f.to_json() for f in sim.faults.snapshot()])

    async def add_fault(request: Request) -> Response:
        try:
            fault = fault_from_json(await _read_json(request))
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})
        sim.add_fault(fault)
        return json_response(201, fault.to_json())

    async def clear_faults(request: Request) -> Response:
        sim.clear_faults()
        return Response(status_code=204)

    async def get_settings(request: Request) -> Response:
        return json_response(200, sim.settings.to_json())

    async def patch_settings(request: Request) -> Response:
        try:
            changes = await _read_json(request)
            if not isinstance(changes, dict):
                raise ValueError("settings must be a JSON object")
            probe = sim.settings.copy()
            probe.patch(changes)  # validate everything before touching the live settings
        except (orjson.JSONDecodeError, ValueError) as exc:
            return json_response(400, {"error": str(exc)})
        sim.settings.patch(changes)
        return json_response(200, sim.settings.to_json())

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
