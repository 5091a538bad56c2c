"""Runway ML: an asynchronous task API (`https://api.dev.runwayml.com`).

Create with `POST /v1/{text,image,video}_to_video` (`mapping.py`), poll `GET /v1/tasks/{id}`,
cancel/delete with `DELETE /v1/tasks/{id}`. Every call carries `Authorization: Bearer <key>`
and `X-Runway-Version: 2024-11-06`. Runway bills in credits; one credit is $0.01.
"""

from __future__ import annotations

from typing import Any

from irisgate.config import KeyConfig
from irisgate.providers.base import BaseProvider, VideoPlan, VideoSubmission
from irisgate.providers.http import UpstreamResponse
from irisgate.providers.runway.errors import runway_error
from irisgate.providers.runway.mapping import RunwayCall, build_video_call
from irisgate.schemas.errors import GatewayError, task_not_found
from irisgate.schemas.videos import VideoCreateRequest, VideoStatus, VideoTaskState, progress_percent

__all__ = ["RunwayProvider"]

API_VERSION = "2024-11-06"
USD_PER_CREDIT = 0.01
STATUSES: dict[str, VideoStatus] = {
    "PENDING": "queued",
    "THROTTLED": "queued",
    "RUNNING": "in_progress",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "CANCELLED": "failed",
}


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

    async def retrieve_video(self, upstream_id: str, key: KeyConfig) -> VideoTaskState:
        response = await self.client.request(
            "GET", f"{self.base_url}/v1/tasks/{upstream_id}", None, self._headers(key)
        )
        return parse_task(upstream_id, self._answer(response, key, task_call=True))

    async def delete_video(self, upstream_id: str, key: KeyConfig) -> None:
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


def parse_task(upstream_id: str, task: dict[str, Any]) -> VideoTaskState:
    native = str(task.get("status", "")).upper()
    status = STATUSES.get(native)
    if status is None:
        raise GatewayError(
            502, f"Runway reported an unknown task status {native!r}", code="upstream_invalid_response"
        )
    cost = credits_usd(task.get("cost")) if "cost" in task else credits_usd(task.get("estimatedCost"))
    if status == "completed":
        outputs = task.get("output") or []
        url = outputs[0] if isinstance(outputs, list) and outputs and isinstance(outputs[0], str) else None
        if url is None:
            raise GatewayError(
                502, "Runway reported success without an output URL", code="upstream_invalid_response"
            )
        return VideoTaskState(upstream_id, status, 100, output_url=url, cost_usd=cost)
    if status == "failed":
        if native == "CANCELLED":
            return VideoTaskState(
                upstream_id,
                status,
                0,
                cost_usd=cost,
                error_code="cancelled",
                error_message="The task was cancelled",
            )
        return VideoTaskState(
            upstream_id,
            status,
            0,
            cost_usd=cost,
            error_code=str(task.get("failureCode") or "generation_failed"),
            error_message=str(task.get("failure") or "Runway could not generate this video"),
        )
    progress = progress_percent(task.get("progress")) if native == "RUNNING" else 0
    return VideoTaskState(upstream_id, status, progress, cost_usd=cost)


def credits_usd(cost: Any) -> float | None:
    credits = cost.get("credits") if isinstance(cost, dict) else None
    if isinstance(credits, int | float) and not isinstance(credits, bool):
        return round(credits * USD_PER_CREDIT, 6)
    return None
