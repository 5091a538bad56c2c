"""`imageInference` and `imageUpload` handlers.

Results: one item per `numberResults`, each with a fresh `imageUUID`, the output fields requested by
`outputType` (same bytes in every form), `seed` (the request's seed + result index, or random), `cost`
(0.0013 USD per image) only with `includeCost`, `NSFWContent: false` only with a safety check.
"""

from __future__ import annotations

import asyncio
import base64
import random
import uuid
from typing import Any

from .context import TaskContext
from .errors import invalid
from .inputs import UPLOAD_FORMATS, resolve_image_ref
from .jobs import AsyncJob
from .media import INPUT_FORMATS, OUTPUT_FORMATS, MediaStore, colours_for, image_size, render_image
from .settings import COST_PER_IMAGE
from .validation import SEED_MAX, ImageRequest, validate_image_inference

UPLOAD_PLACEHOLDER_SIZE = 512


async def _render_result(ctx: TaskContext, req: ImageRequest, seed: int) -> dict[str, Any]:
    start, end = colours_for(seed, req.prompt)
    data = await asyncio.to_thread(
        render_image, req.width, req.height, req.output_format, req.output_quality, start, end
    )
    _, content_type, ext = OUTPUT_FORMATS[req.output_format]
    image_uuid = str(uuid.uuid4())
    ctx.state.media.put(image_uuid, data, content_type, ext)
    item: dict[str, Any] = {"taskType": "imageInference", "taskUUID": req.task_uuid, "imageUUID": image_uuid}
    inline = {"base64Data", "dataURI"} & set(req.output_types)
    encoded = base64.b64encode(data).decode("ascii") if inline else ""
    for output_type in req.output_types:
        if output_type == "URL":
            item["imageURL"] = MediaStore.url_for(ctx.base_url, image_uuid, ext)
        elif output_type == "base64Data":
            item["imageBase64Data"] = encoded
        else:
            item["imageDataURI"] = f"data:{content_type};base64,{encoded}"
    item["seed"] = seed
    if req.check_nsfw:
        item["NSFWContent"] = False
    if req.include_cost:
        item["cost"] = COST_PER_IMAGE
    return item


async def _render_all(ctx: TaskContext, req: ImageRequest) -> list[dict[str, Any]]:
    base_seed = req.seed if req.seed is not None else random.randint(1, 2**31 - 1)
    seeds = [min(base_seed + i, SEED_MAX) for i in range(req.number_results)]
    return list(await asyncio.gather(*(_render_result(ctx, req, seed) for seed in seeds)))


async def image_inference(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    req = validate_image_inference(task, ctx.settings, ctx.state.media)
    ctx.state.claim_uuid(req.task_uuid)
    fault = ctx.faults.task_fault(task, ctx.api_key)
    error = fault.error_body(task) if fault else None

    async def produce() -> list[dict[str, Any]]:
        return await _render_all(ctx, req)

    if req.delivery == "async":
        ctx.state.jobs.add(
            AsyncJob(
                "imageInference",
                req.task_uuid,
                produce,
                error,
                polls_needed=ctx.settings.async_polls_to_complete,
                delay_seconds=ctx.settings.async_delay_seconds,
            )
        )
        return [{"taskType": "imageInference", "taskUUID": req.task_uuid}]
    if error is not None:
        ctx.state.jobs.add(AsyncJob("imageInference", req.task_uuid, produce, error, polls_needed=0))
        return ctx.fail(error)
    items = await produce()
    ctx.state.jobs.add(AsyncJob.completed("imageInference", req.task_uuid, items))
    return items


async def image_upload(ctx: TaskContext, task: dict[str, Any]) -> list[dict[str, Any]]:
    """Store an image given as URL, data URI, raw base64 or imageUUID; answer its new imageUUID + URL."""
    if task.get("image") is None:
        raise invalid(
            task, "image", "Missing required parameter 'image'.", code="missingParameter", type_="string"
        )
    ref = resolve_image_ref(
        task["image"], task=task, parameter="image", media=ctx.state.media, formats=UPLOAD_FORMATS
    )
    data, image_format = ref.data, ref.image_format
    if data is None:
        # An external URL: nothing is fetched offline, so a placeholder image stands in for it.
        start, end = colours_for(0, str(task["image"]))
        data = render_image(UPLOAD_PLACEHOLDER_SIZE, UPLOAD_PLACEHOLDER_SIZE, "JPG", 90, start, end)
        image_format = "JPEG"
    if image_format is None or image_size(data) is None:
        raise invalid(
            task,
            "image",
            "Invalid value for 'image' parameter. The image could not be decoded.",
            type_="string",
        )
    ctx.state.claim_uuid(task["taskUUID"])
    content_type, ext = INPUT_FORMATS[image_format]
    image_uuid = str(uuid.uuid4())
    ctx.state.media.put(image_uuid, data, content_type, ext)
    return [
        {
            "taskType": "imageUpload",
            "taskUUID": task["taskUUID"],
            "imageUUID": image_uuid,
            "imageURL": MediaStore.url_for(ctx.base_url, image_uuid, ext),
        }
    ]
