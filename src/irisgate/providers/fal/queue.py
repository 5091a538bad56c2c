"""The URLs of fal's queue for an endpoint id and a request id (pure functions).

From fal's Inference API reference (`fal.ai/docs/api-reference/inference-api`, "Model IDs and paths"):
a model id has an owner, an app and an optional endpoint path; the submit URL takes the full id, the
status, result and cancel URLs only the owner and the app. The official clients build them the same
way (`fal_client.client.AppId.from_endpoint_id` and `AsyncClient.status/result/cancel`; fal-js
`parseEndpointId` and `queue.status/result/cancel`), including the `workflows/` and `comfy/`
namespaces, whose ids carry a third leading segment. Building them from the configured base URL (not
taking the submit answer's `status_url`) keeps the key on the host the configuration names, and lets
a job be followed from its record alone (request id + endpoint id).
"""

from __future__ import annotations

from urllib.parse import quote

from irisgate.schemas.errors import invalid_request

NAMESPACES = ("workflows", "comfy")  # fal_client.client.APP_NAMESPACES


def app_path(endpoint_id: str) -> str:
    """`fal-ai/kling-video/v2.1/standard/image-to-video` → `fal-ai/kling-video`."""
    parts = endpoint_id.strip("/").split("/")
    size = 3 if parts[0] in NAMESPACES else 2
    if len(parts) < size or not all(parts[:size]):
        raise invalid_request(
            f"fal endpoint ids are '<owner>/<app>[/<path>]' (e.g. 'fal-ai/flux/dev'), got {endpoint_id!r}",
            "model",
        )
    return "/".join(parts[:size])


def submit_url(base_url: str, endpoint_id: str) -> str:
    """`POST {base}/{endpoint id}`: queues a request."""
    app_path(endpoint_id)  # the same check, before anything is sent
    return f"{base_url}/{quote(endpoint_id.strip('/'), safe='/')}"


def request_url(base_url: str, endpoint_id: str, request_id: str) -> str:
    """`GET` it: the result (the response_url)."""
    return f"{base_url}/{quote(app_path(endpoint_id), safe='/')}/requests/{quote(request_id, safe='')}"


def status_url(base_url: str, endpoint_id: str, request_id: str, logs: bool = False) -> str:
    """`GET`: IN_QUEUE (with queue_position), IN_PROGRESS or COMPLETED; `logs=1` adds runner logs."""
    return request_url(base_url, endpoint_id, request_id) + "/status" + ("?logs=1" if logs else "")


def cancel_url(base_url: str, endpoint_id: str, request_id: str) -> str:
    """`PUT`: cancels a queued request; a running one is sent a cancellation signal."""
    return request_url(base_url, endpoint_id, request_id) + "/cancel"
