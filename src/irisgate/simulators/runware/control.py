"""HTTP control plane under `/__fake` (not recorded): the shared routes, with `?taskType=` on /tasks.

GET/DELETE /__fake/requests, GET /__fake/tasks, GET/POST/DELETE /__fake/faults,
GET/PATCH /__fake/settings, POST /__fake/reset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.routing import Route

from ..common.control import control_routes as shared_control_routes
from .faults import Fault

if TYPE_CHECKING:
    from .app import RunwareSimulator


def control_routes(sim: RunwareSimulator) -> list[Route]:
    return shared_control_routes(sim, Fault.from_json, task_filter="taskType")
