"""`videoInference` handler: always async; the results come through `getResponse`.

Submission validates the task (video_validation), claims its UUID and answers the ack
`{"taskType":"videoInference","taskUUID":...}`. The job then reports "processing" for
`video_polls_to_complete` polls (default: `async_polls_to_complete`; time-driven when
`async_delay_seconds` is set) and ends with one item per `numberResults`: a fresh `videoUUID`, its
`videoURL` (`<base>/video/ws/0.5/vi/<uuid>.<ext>`), `seed` (the request's seed + result index, or
random), `cost` (COST_PER_VIDEO_SECOND x duration) only with `includeCost`, `NSFWContent: false`
only with `safety.checkContent`. A task_error / moderation fault (registered or a prompt marker)
makes the final poll a failure instead. The bytes are real video (video_encoding) of the requested
size, duration and fps, plus `video_padding_bytes` of streamed padding for MP4 / MOV.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

from .context import TaskContext
from .jobs import AsyncJob
from .media import MediaStore
from .settings import COST_PER_VIDEO_SECOND
from .validation import SEED_MAX
from .video_encoding import PADDABLE_FORMATS, VIDEO_FORMATS, encode_video
from .video_validation import VideoRequest, validate_video_inference


def video_cost(duration: float) -> float:
    return round(COST_PER_VIDEO_SECOND * duration, 6)


async def _render_all(
    ctx: TaskContext, req: VideoRequest, base_url: str, padding: int
) -> list[dict[str, Any]]:
    data = await asyncio.to_thread(
        encode_video, req.output_format, req.width, req.height, req.duration, req.fps
    )
    content_type, ext = VIDEO_FORMATS[req.output_format]
    base_seed = req.seed if req.seed is not None else random.randint(1, 2**31 - 1)
    items: list[dict[str, Any]] = []
    for index in range(req.number_results):
        video_uuid = str(uuid.uuid4())
        ctx.state.media.put(video_uuid, data, content_type, ext, kind="video", padding=padding)
        item: dict[str, Any] = {
            "taskType": "videoInference",
            "taskUUID": req.task_uuid,
            "videoUUID": video_uuid,
            "videoURL": MediaStore.video_url_for(base_url, video_uuid, ext),
            "seed": min(base_seed + index, SEED_MAX),
        }
        if req.check_nsfw:
            item["NSFWContent"] = False
        if req.include_cost:
            item["cost"] = video_cost(req.duration)
        items.append(item)
    return items


async def video_inference(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    req = validate_video_inference(task, ctx.settings, ctx.state.media)
    ctx.state.claim_uuid(req.task_uuid)
    fault = ctx.faults.task_fault(task, ctx.api_key)
    error = fault.error_body(task) if fault else None
    # Fixed at submission, so a file keeps one size (and Content-Length) for its whole life.
    padding = ctx.settings.video_padding_bytes if req.output_format in PADDABLE_FORMATS else 0
    base_url = ctx.base_url

    async def produce() -> list[dict[str, Any]]:
        return await _render_all(ctx, req, base_url, padding)

    polls = ctx.settings.video_polls_to_complete
    ctx.state.jobs.add(
        AsyncJob(
            "videoInference",
            req.task_uuid,
            produce,
            error,
            polls_needed=ctx.settings.async_polls_to_complete if polls is None else polls,
            delay_seconds=ctx.settings.async_delay_seconds,
        )
    )
    return [{"taskType": "videoInference", "taskUUID": req.task_uuid}]
