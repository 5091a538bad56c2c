"""Helpers shared by the Runware simulator tests over raw HTTP: task UUIDs, small images, an
authenticated client, posting task arrays and checking a single error."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from fixtures_simulators import RunwareSimHandle
from media_helpers import image_bytes


def new_uuid() -> str:
    return str(uuid.uuid4())


def runware_task(task_type: str, defaults: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """A task object: type, a fresh taskUUID, ``defaults``, then ``fields`` (which win); None drops a key."""
    task = {"taskType": task_type, "taskUUID": new_uuid(), **defaults, **fields}
    return {k: v for k, v in task.items() if v is not None}


def png_bytes(size: tuple[int, int] = (64, 32), fmt: str = "PNG") -> bytes:
    """A small plain image (PNG unless ``fmt`` says otherwise, e.g. "JPEG", "WEBP", "GIF")."""
    return image_bytes(*size, fmt=fmt, color=(10, 200, 30))


def runware_client(runware_sim: RunwareSimHandle) -> httpx.Client:
    headers = {"Authorization": f"Bearer {runware_sim.api_key}"}
    return httpx.Client(base_url=runware_sim.url, headers=headers, timeout=30)


def post(client: httpx.Client, *tasks: Any) -> httpx.Response:
    return client.post("/v1", json=list(tasks))


def the_error(response: httpx.Response, status: int, code: str, parameter: str | None = None) -> dict:
    """The one error of a failed response, after checking its status, code and (if given) parameter."""
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    assert len(body["errors"]) == 1
    error = body["errors"][0]
    assert error["code"] == code, error
    assert error["message"]
    if parameter is not None:
        assert error["parameter"] == parameter
    return error
