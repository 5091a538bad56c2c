"""Runware's answers → the unified shapes (pure functions).

An `imageInference` answer holds one item per image (URL, base64 or data URI; seed; cost); a
`getResponse` answer is cumulative, every item of the task so far: processing→in_progress,
success→completed, error→failed with Runware's code and message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from irisgate.providers.runware.errors import UNIFIED_PARAM, runware_error
from irisgate.providers.runware.mapping import VIDEO_PARAM
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import GeneratedImage, ImagesResult
from irisgate.schemas.videos import VideoTaskState, progress_percent

OUTPUT_FORMAT_NAMES = {"PNG": "png", "JPG": "jpeg", "WEBP": "webp"}


def error_codes(body: dict[str, Any]) -> set[str]:
    return {e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)}


def parse_image_results(
    task: dict[str, Any], body: dict[str, Any], param_names: Mapping[str, str] = UNIFIED_PARAM
) -> ImagesResult:
    items = [item for item in body.get("data") or [] if isinstance(item, dict)]
    items = [item for item in items if item.get("taskUUID", task["taskUUID"]) == task["taskUUID"]]
    images: list[GeneratedImage] = []
    cost = 0.0
    has_cost = False
    for item in items:
        image = _image_from_item(item, task.get("outputType"))
        if image is None:
            continue
        images.append(image)
        if isinstance(item.get("cost"), int | float):
            cost += float(item["cost"])
            has_cost = True
    if not images:
        raise (
            runware_error(200, body, param_names=param_names)
            if body.get("errors")
            else GatewayError(502, "Runware answered without any image", code="upstream_invalid_response")
        )
    fmt = OUTPUT_FORMAT_NAMES.get(str(task.get("outputFormat", "JPG")).upper())
    return ImagesResult(
        images=images,
        cost_usd=round(cost, 10) if has_cost else None,
        output_format=fmt,
        size=f"{task['width']}x{task['height']}" if "width" in task and "height" in task else None,
    )


def _image_from_item(item: dict[str, Any], output_type: str | None) -> GeneratedImage | None:
    seed = item.get("seed") if isinstance(item.get("seed"), int) else None
    image_id = item.get("imageUUID")
    if item.get("imageBase64Data"):
        return GeneratedImage(b64_json=item["imageBase64Data"], seed=seed, provider_id=image_id)
    if item.get("imageDataURI"):
        data_uri: str = item["imageDataURI"]
        if output_type == "base64Data":
            return GeneratedImage(b64_json=data_uri.partition(",")[2], seed=seed, provider_id=image_id)
        return GeneratedImage(url=data_uri, seed=seed, provider_id=image_id)
    if item.get("imageURL"):
        return GeneratedImage(url=item["imageURL"], seed=seed, provider_id=image_id)
    return None


def parse_video_state(task_uuid: str, body: dict[str, Any], key_name: str) -> VideoTaskState:
    """The job state from a `getResponse` answer (cumulative: every item of the task so far)."""
    items = [
        item
        for item in body.get("data") or []
        if isinstance(item, dict) and item.get("taskUUID", task_uuid) == task_uuid
    ]
    errors = [
        e
        for e in body.get("errors") or []
        if isinstance(e, dict) and e.get("taskUUID", task_uuid) == task_uuid
    ]
    failed = next((item for item in items if item.get("status") == "error"), None)
    if errors or failed is not None:
        detail = (
            errors[0] if errors else (failed.get("error") if isinstance(failed.get("error"), dict) else {})
        )
        error = runware_error(200, {"errors": [detail]}, key_name, VIDEO_PARAM)
        return VideoTaskState(task_uuid, "failed", 0, error_code=error.code, error_message=error.message)
    done = next((item for item in items if item.get("status") == "success" and item.get("videoURL")), None)
    if done is not None:
        cost = done.get("cost") if isinstance(done.get("cost"), int | float) else None
        return VideoTaskState(task_uuid, "completed", 100, output_url=done["videoURL"], cost_usd=cost)
    progress = max((progress_percent(item.get("progress"), 100) for item in items), default=0)
    return VideoTaskState(task_uuid, "in_progress" if items else "queued", progress)
