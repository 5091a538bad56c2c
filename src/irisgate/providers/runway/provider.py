"""Runway ML: an asynchronous task API (`https://api.dev.runwayml.com`).

Create with `POST /v1/{text,image,video}_to_video` (the body built in `mapping.py`), poll
`GET /v1/tasks/{id}` (read in `answers.py`), cancel/delete with `DELETE /v1/tasks/{id}`. Every call
carries `Authorization: Bearer <key>` and `X-Runway-Version: 2024-11-06`.
"""

from __future__ import annotations

from typing import Any

from irisgate.config import KeyConfig
from irisgate.providers.base import BaseProvider, VideoPlan, VideoSubmission
from irisgate.providers.http import UpstreamResponse
from irisgate.providers.runway.answers import credits_usd, parse_task
from irisgate.providers.runway.errors import runway_error
from irisgate.providers.runway.mapping import RunwayCall, build_video_call
from irisgate.schemas.errors import GatewayError, task_not_found
from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState

__all__ = ["RunwayProvider"]

API_VERSION = "2024-11-06"


class RunwayProvider(BaseProvider):
    name = "runway"

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan:
        call = build_video_call(request, model)
        return VideoPlan(wire=call, upstream_id=None, seconds=call.seconds, size=call.size)

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission:
        call: RunwayCall = plan.wire
        response = await self.client.request("POST", self.base_url + call.path, call.body, self._headers(key))
        body = self._answer(response, key)
        task_id = body.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise GatewayError(
                502, "Runway answered without a task id", code="upstream_invalid_response", transient=True
            )
        return VideoSubmission(task_id, credits_usd(body.get("estimatedCost")))

    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState:
        response = await self.client.request(
            "GET", f"{self.base_url}/v1/tasks/{upstream_id}", None, self._headers(key)
        )
        return parse_task(upstream_id, self._answer(response, key, task_call=True))

    async def delete_video(self, upstream_id: str, model: str, key: KeyConfig) -> None:
        response = await self.client.request(
            "DELETE", f"{self.base_url}/v1/tasks/{upstream_id}", None, self._headers(key)
        )
        self._answer(response, key, task_call=True)

    def _answer(self, response: UpstreamResponse, key: KeyConfig, task_call: bool = False) -> dict[str, Any]:
        body = response.json()
        if response.status == 404 and task_call:
            raise task_not_found("Runway")
        if response.status >= 300:
            raise runway_error(response.status, body, key.name, response.headers)
        if response.status == 204:
            return {}
        if not isinstance(body, dict):
            raise GatewayError(  # a proxy's error page, a truncated answer: worth asking again when safe
                502,
                "Runway answered with a body that is not a JSON object",
                code="upstream_invalid_response",
                transient=True,
            )
        return body

    @staticmethod
    def _headers(key: KeyConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {key.secret}", "X-Runway-Version": API_VERSION}
