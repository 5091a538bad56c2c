"""Runware video: a unified video request → one async `videoInference` task; `getResponse` → job state.

The mapping is the Runware seed page's section 3: model, prompt→positivePrompt,
input_reference→the first frame image, negative_prompt, seed, size→width/height
(default 1920x1080), seconds→duration. Statuses: processing→in_progress,
success→completed, error→failed with Runware's code and message.
"""

from __future__ import annotations

from typing import Any

from irisgate.providers.runware.errors import UNIFIED_PARAM, runware_error
from irisgate.providers.runware.images import add_extras
from irisgate.random_ids import uuid4_text
from irisgate.schemas.errors import invalid_request
from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState, progress_percent

DEFAULT_VIDEO_SIZE = (1920, 1080)
VIDEO_PARAM = {**UNIFIED_PARAM, "frameImages": "input_reference", "inputs.frameImages": "input_reference"}


def build_video_task(request: VideoCreateRequest, model: str) -> dict[str, Any]:
    if request.video_uri is not None:
        raise invalid_request(
            "Runware video models do not take 'video_uri'", "video_uri", code="unsupported_parameter"
        )
    if request.audio is not None:
        raise invalid_request(
            "'audio' is a Runway option; for Runware send the model's native fields as extra params",
            "audio",
            code="unsupported_parameter",
        )
    width, height = request.dimensions or DEFAULT_VIDEO_SIZE
    task: dict[str, Any] = {
        "taskType": "videoInference",
        "taskUUID": uuid4_text(),
        "deliveryMethod": "async",
        "model": model,
        "positivePrompt": request.prompt,
        "width": width,
        "height": height,
        "includeCost": True,
    }
    if request.negative_prompt is not None:
        task["negativePrompt"] = request.negative_prompt
    if request.seed is not None:
        task["seed"] = request.seed
    if request.seconds_number is not None:
        seconds = request.seconds_number
        task["duration"] = int(seconds) if seconds.is_integer() else seconds
    if request.input_reference is not None:
        # the nested form: every Runware video model accepts it, the newest reject the flat one
        task["inputs"] = {"frameImages": [{"image": request.input_reference.as_uri(), "frame": "first"}]}
    return add_extras(task, request.extras)


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
