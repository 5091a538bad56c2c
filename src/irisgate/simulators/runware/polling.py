"""`getResponse`: the cumulative state of an earlier task, under that task's own taskType."""

from __future__ import annotations

from typing import Any

from .context import TaskContext
from .errors import TaskFailure, error_item


async def get_response(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    task_uuid: str = task["taskUUID"]
    job = ctx.state.jobs.get(task_uuid)
    if job is None:
        raise TaskFailure(
            error_item(
                "taskFailedOrNotFound",
                f"Task with UUID '{task_uuid}' was not found or has expired.",
                parameter="taskUUID",
                type_="string",
                task_type="getResponse",
                task_uuid=task_uuid,
            ),
            404,
        )
    done, progress = job.advance()
    if not done:
        item: dict[str, Any] = {"taskType": job.task_type, "taskUUID": job.task_uuid, "status": "processing"}
        if ctx.settings.report_progress:
            item["progress"] = progress
        return [item]
    if job.error is not None:
        return ctx.fail({**job.error, "taskType": job.task_type, "taskUUID": job.task_uuid})
    return [
        {"taskType": job.task_type, "taskUUID": job.task_uuid, "status": "success", **result}
        for result in await job.results()
    ]
