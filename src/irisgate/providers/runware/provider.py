"""Runware: one endpoint (`POST {base_url}`), a JSON array of tasks, `Authorization: Bearer <key>`.

Images are synchronous `imageInference` tasks; videos are async `videoInference` tasks polled with
`getResponse`. The tasks are built in `mapping.py`, the answers read in `answers.py`, the errors
mapped in `errors.py`; this module only sends them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any

from irisgate.config import KeyConfig
from irisgate.providers.base import BaseProvider, VideoPlan, VideoSubmission
from irisgate.providers.retries import backoff_delay
from irisgate.providers.runware.answers import error_codes, parse_image_results, parse_video_state
from irisgate.providers.runware.errors import UNIFIED_PARAM, json_object, runware_error
from irisgate.providers.runware.mapping import (
    EDIT_PARAM,
    VIDEO_PARAM,
    build_edit_task,
    build_image_task,
    build_video_task,
)
from irisgate.schemas.errors import GatewayError, task_not_found
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult
from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState

__all__ = ["RunwareProvider"]

RESULT_POLL_SECONDS = 0.5


class RunwareProvider(BaseProvider):
    name = "runware"

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        task = build_image_task(request, model)
        return parse_image_results(task, await self._run_task(task, key, UNIFIED_PARAM))

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        task = build_edit_task(request, model)
        return parse_image_results(task, await self._run_task(task, key, EDIT_PARAM), EDIT_PARAM)

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan:
        task = build_video_task(request, model)
        duration = task.get("duration")
        return VideoPlan(
            wire=task,
            upstream_id=task["taskUUID"],  # ours: the record names the task before it is sent
            seconds=None
            if duration is None
            else f"{duration:g}"
            if isinstance(duration, float)
            else str(duration),
            size=f"{task['width']}x{task['height']}" if "width" in task and "height" in task else None,
        )

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission:
        await self._run_task(plan.wire, key, VIDEO_PARAM)  # the ack: results come from getResponse
        return VideoSubmission(upstream_id=plan.wire["taskUUID"])

    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState:
        poll = {"taskType": "getResponse", "taskUUID": upstream_id}
        response = await self.client.post_json(self.base_url, [poll], self._auth(key))
        body = json_object(response)
        if response.status == 200 and "data" in body:
            return parse_video_state(upstream_id, body, key.name)
        if "taskFailedOrNotFound" in error_codes(body) and response.status in (200, 400, 404):
            raise task_not_found("Runware")
        if response.status == 200:  # only errors: the task itself failed
            return parse_video_state(upstream_id, body, key.name)
        raise runware_error(response.status, body, key.name, VIDEO_PARAM, response.headers)

    async def _run_task(
        self, task: dict[str, Any], key: KeyConfig, param_names: Mapping[str, str]
    ) -> dict[str, Any]:
        """Send one task. After an ambiguous failure (a timeout, a 5xx, a dropped connection) the
        same task goes again with the same taskUUID: Runware refuses a taskUUID it already accepted
        (`conflictTaskUUID`), and then the task's results are fetched with getResponse — so a
        retry never starts a second billed task."""
        attempt = 0
        while True:
            try:
                response = await self.client.post_json(self.base_url, [task], self._auth(key))
                body = json_object(response)
                if response.status == 200 and "data" in body:
                    return body
                if attempt and "conflictTaskUUID" in error_codes(body):
                    return await self._results_of(task, key, param_names)
                raise runware_error(response.status, body, key.name, param_names, response.headers)
            except GatewayError as error:
                if not error.transient or error.nothing_created or attempt >= self.network.max_retries:
                    raise
                await asyncio.sleep(backoff_delay(attempt, self.network, error.retry_after))
                attempt += 1

    async def _results_of(
        self, task: dict[str, Any], key: KeyConfig, param_names: Mapping[str, str]
    ) -> dict[str, Any]:
        """The answer of a task Runware already accepted: at once for an async task (it will be
        polled), else polled with getResponse until it has results."""
        if task.get("deliveryMethod") == "async":
            return {"data": []}
        deadline = time.monotonic() + self.network.timeout_seconds
        poll = [{"taskType": "getResponse", "taskUUID": task["taskUUID"]}]
        while True:
            response = await self.client.post_json(self.base_url, poll, self._auth(key))
            body = json_object(response)
            items = [
                i for i in body.get("data") or [] if isinstance(i, dict) and i.get("status") != "processing"
            ]
            if body.get("errors") or response.status != 200:
                raise runware_error(response.status, body, key.name, param_names, response.headers)
            if items:
                return body
            if time.monotonic() > deadline:
                raise GatewayError(
                    504, "Runware accepted the task but gave no result in time", code="upstream_timeout"
                )
            await asyncio.sleep(RESULT_POLL_SECONDS)

    @staticmethod
    def _auth(key: KeyConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {key.secret}"}
