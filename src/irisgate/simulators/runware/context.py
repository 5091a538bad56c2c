"""What a task handler sees: the simulator's state and settings, plus who is asking and from where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .errors import TaskFailure
from .faults import FaultBook
from .settings import RunwareSimSettings
from .state import SimState


@dataclass
class TaskContext:
    state: SimState
    settings: RunwareSimSettings
    faults: FaultBook
    base_url: str
    api_key: str | None

    def fail(self, error: dict[str, Any]) -> list[dict[str, Any]]:
        """A generation failure: raise it as errors[] (HTTP 200), or return the data-item form (knob)."""
        if not self.settings.error_item_form:
            raise TaskFailure(error, 200)
        detail = {k: v for k, v in error.items() if k not in ("taskType", "taskUUID")}
        return [
            {
                "taskType": error.get("taskType"),
                "taskUUID": error.get("taskUUID"),
                "status": "error",
                "error": detail,
            }
        ]
