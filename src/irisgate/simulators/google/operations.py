"""Veo operations and the files they produce: `models/{model}/operations/{id}`, done after
`polls_to_done` GETs (or `delay_seconds`), then holding a file URI `…/v1beta/files/{id}:download?alt=media`.

A done operation is `{"name", "done": true, "response": {"@type": "type.googleapis.com/google.ai.
generativelanguage.v1beta.PredictLongRunningResponse", "generateVideoResponse": {"generatedSamples":
[{"video": {"uri"}}]}}}` (what the official client's `_GenerateVideosOperation_from_mldev` reads), or
`{"name", "done": true, "error": {"code", "message"}}`; one still running is `{"name"}`.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .faults import Ending
from .settings import GoogleSimSettings

RESPONSE_TYPE = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
INTERNAL = 13  # google.rpc.Code.INTERNAL
FAILURE = "Video generation failed due to an internal error. Please try again."
FILTERED = (
    "Your current safety settings for person generation blocked this request. "
    "You will not be charged for blocked videos. Try rephrasing the prompt."
)
ID_CHARACTERS = string.ascii_lowercase + string.digits


def new_id(length: int = 12) -> str:
    """Lowercase letters and digits: what the official client accepts in a file URI (`[a-z0-9]+`)."""
    return "".join(secrets.choice(ID_CHARACTERS) for _ in range(length))


@dataclass
class Operation:
    name: str
    model: str
    api_key: str
    prompt: str
    width: int
    height: int
    seconds: int
    ending: Ending
    file_id: str
    created: float
    polls: int = 0

    def to_json(self, done: bool, file_uri: str) -> dict[str, Any]:
        if not done:
            return {"name": self.name}
        if self.ending.kind == "operation_error":
            return {
                "name": self.name,
                "done": True,
                "error": {"code": INTERNAL, "message": self.ending.message or FAILURE},
            }
        if self.ending.kind == "rai_filtered":
            filtered = {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [self.ending.message or FILTERED],
            }
            return {
                "name": self.name,
                "done": True,
                "response": {"@type": RESPONSE_TYPE, "generateVideoResponse": filtered},
            }
        samples = {"generatedSamples": [{"video": {"uri": file_uri}}]}
        return {
            "name": self.name,
            "done": True,
            "response": {"@type": RESPONSE_TYPE, "generateVideoResponse": samples},
        }


class OperationStore:
    """Every operation, oldest first; state changes under one lock."""

    def __init__(self, settings: GoogleSimSettings, clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._clock = clock
        self._operations: dict[str, Operation] = {}
        self._lock = threading.Lock()

    def start(
        self, model: str, api_key: str, prompt: str, size: tuple[int, int], seconds: int, ending: Ending
    ) -> Operation:
        operation = Operation(
            name=f"models/{model}/operations/{new_id()}",
            model=model,
            api_key=api_key,
            prompt=prompt,
            width=size[0],
            height=size[1],
            seconds=seconds,
            ending=ending,
            file_id=new_id(),
            created=self._clock(),
        )
        with self._lock:
            self._operations[operation.name] = operation
        return operation

    def done(self, operation: Operation) -> bool:
        if self._settings.delay_seconds is not None:
            return self._clock() - operation.created >= self._settings.delay_seconds
        return operation.polls >= self._settings.polls_to_done

    def poll(self, name: str, api_key: str) -> Operation | None:
        """Count one GET of the operation (of this key's project: another's is unknown)."""
        with self._lock:
            operation = self._operations.get(name)
            if operation is None or operation.api_key != api_key:
                return None
            operation.polls += 1
            return operation

    def file(self, file_id: str) -> Operation | None:
        """The finished operation whose video this file is."""
        with self._lock:
            found = next((o for o in self._operations.values() if o.file_id == file_id), None)
        if found is None or found.ending.kind != "success" or not self.done(found):
            return None
        return found

    def count_for(self, api_key: str) -> int:
        with self._lock:
            return sum(1 for o in self._operations.values() if o.api_key == api_key)

    def snapshot(self, file_uri: Callable[[Operation], str]) -> list[dict[str, Any]]:
        with self._lock:
            return [o.to_json(self.done(o), file_uri(o)) for o in self._operations.values()]

    def clear(self) -> None:
        with self._lock:
            self._operations.clear()
