"""taskType -> handler. Add a task type by registering one more `TaskSpec`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .context import TaskContext
from .errors import invalid
from .image_tasks import image_inference, image_upload
from .polling import get_response
from .validation import check_task_uuid
from .video_tasks import video_inference

Handler = Callable[[TaskContext, dict[str, Any]], Awaitable[list[dict[str, Any]]]]

# Every taskType the real API knows (reference §1.2); those without a handler are refused as unsupported.
RUNWARE_TASK_TYPES = frozenset(
    {
        "imageInference",
        "videoInference",
        "audioInference",
        "textInference",
        "3dInference",
        "photoMaker",
        "imageUpload",
        "upscale",
        "imageUpscale",
        "removeBackground",
        "imageBackgroundRemoval",
        "caption",
        "imageCaption",
        "imageMasking",
        "controlNetPreprocess",
        "imageControlNetPreProcess",
        "vectorize",
        "promptEnhance",
        "getResponse",
        "getTaskDetails",
        "mediaStorage",
        "modelUpload",
        "modelSearch",
        "accountManagement",
        "training",
        "authentication",
        "ping",
    }
)


@dataclass(frozen=True)
class TaskSpec:
    handler: Handler
    # The task must carry a UUID v4 `taskUUID`.
    needs_task_uuid: bool = True
    # The `taskUUID` names a new task, so one already used is a `conflictTaskUUID`.
    new_task_uuid: bool = True


async def ping(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"taskType": "ping", "pong": True}]


HANDLERS: dict[str, TaskSpec] = {
    "imageInference": TaskSpec(image_inference),
    "imageUpload": TaskSpec(image_upload),
    "videoInference": TaskSpec(video_inference),
    "getResponse": TaskSpec(get_response, new_task_uuid=False),
    "ping": TaskSpec(ping, needs_task_uuid=False, new_task_uuid=False),
}


async def run_task(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    """Answer one task object with its data items; raises TaskFailure on any error."""
    task_type = task.get("taskType")
    spec = HANDLERS.get(task_type) if isinstance(task_type, str) else None
    if spec is None:
        if isinstance(task_type, str) and task_type in RUNWARE_TASK_TYPES:
            message = f"Invalid value for 'taskType' parameter. '{task_type}' is not simulated here."
        else:
            message = f"Invalid value for 'taskType' parameter. Unknown task type {task_type!r}."
        raise invalid(task, "taskType", message, type_="string")
    if spec.needs_task_uuid:
        task_uuid = check_task_uuid(task)
        if spec.new_task_uuid and ctx.state.uuid_in_use(task_uuid):
            raise invalid(
                task,
                "taskUUID",
                f"Task UUID '{task_uuid}' has already been used. Every task needs a new UUID v4.",
                code="conflictTaskUUID",
                type_="string",
            )
    return await spec.handler(ctx, task)
