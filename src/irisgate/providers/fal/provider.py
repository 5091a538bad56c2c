"""fal.ai: requests go through its queue (`https://queue.fal.run`), `Authorization: Key <key>`.

Submit `POST {base}/{endpoint id}` with the endpoint's input (built in `mapping.py`); then
`GET {base}/{owner}/{app}/requests/{id}/status`, `GET …/requests/{id}` for the result, `PUT
…/requests/{id}/cancel` (URLs in `queue.py`, answers read in `answers.py`, errors in `errors.py`).
Images are answered in one call to the client: submitted, polled until COMPLETED and their result
fetched, within `network_config.default_request_timeout_in_seconds` (past it the request is
cancelled and the client gets a 504). Videos are jobs: the record keeps the request id and the
endpoint id, from which every later URL is built.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from typing import Any

from irisgate.config import KeyConfig
from irisgate.providers.base import BaseProvider, VideoPlan, VideoSubmission
from irisgate.providers.fal import answers, queue
from irisgate.providers.fal.errors import EDIT_PARAM, GENERATION_PARAM, VIDEO_PARAM, fal_error
from irisgate.providers.fal.mapping import FalCall, build_edit_input, build_image_input, build_video_input
from irisgate.providers.fal.models import IMAGE_MODELS
from irisgate.providers.http import UpstreamResponse
from irisgate.providers.retries import retry_transient
from irisgate.schemas.errors import GatewayError, task_not_found
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult
from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState

__all__ = ["FalProvider"]

FIRST_POLL_SECONDS = 0.1  # fal_client polls every 0.1 s (DEFAULT_QUEUE_POLL_INTERVAL)
MAX_POLL_SECONDS = 1.0


class FalProvider(BaseProvider):
    name = "fal"

    # -- images ------------------------------------------------------------------------------------

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        body = build_image_input(request, model)
        return await self._image_call(model, body, key, GENERATION_PARAM)

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        body = build_edit_input(request, model)
        return await self._image_call(model, body, key, EDIT_PARAM)

    async def _image_call(
        self, endpoint: str, body: dict[str, Any], key: KeyConfig, params: Mapping[str, str]
    ) -> ImagesResult:
        deadline = time.monotonic() + self.network.timeout_seconds
        request_id = await self._submit(endpoint, body, key, params)
        await self._until_completed(endpoint, request_id, key, params, deadline)
        result = self._answer(await self._result(endpoint, request_id, key, params), key, params)
        return answers.images_result(result, IMAGE_MODELS.get(endpoint), b64=body.get("sync_mode") is True)

    async def _until_completed(
        self, endpoint: str, request_id: str, key: KeyConfig, params: Mapping[str, str], deadline: float
    ) -> None:
        url = queue.status_url(self.base_url, endpoint, request_id)
        pause = FIRST_POLL_SECONDS
        while True:
            response = await retry_transient(lambda: self._get(url, key, params), self.network)
            if answers.queue_status(self._answer(response, key, params)) == answers.COMPLETED:
                return
            if time.monotonic() + pause > deadline:
                await self._cancel_quietly(endpoint, request_id, key)
                raise GatewayError(
                    504,
                    f"fal did not finish request {request_id} within {self.network.timeout_seconds:g} "
                    "seconds (network_config.default_request_timeout_in_seconds); it was cancelled",
                    code="upstream_timeout",
                    headers={"x-should-retry": "false"},
                )
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_POLL_SECONDS)

    async def _cancel_quietly(self, endpoint: str, request_id: str, key: KeyConfig) -> None:
        with contextlib.suppress(GatewayError):  # the timeout is the news; a failed cancel is not
            await self.client.request(
                "PUT", queue.cancel_url(self.base_url, endpoint, request_id), None, self._auth(key)
            )

    # -- videos ------------------------------------------------------------------------------------

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan:
        call = build_video_input(request, model)
        queue.app_path(model)  # a malformed endpoint id is a 400 before the record is written
        return VideoPlan(wire=call, upstream_id=None, seconds=call.seconds, size=call.size)

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission:
        call: FalCall = plan.wire
        request_id = await self._submit(call.endpoint, call.body, key, VIDEO_PARAM)
        return VideoSubmission(request_id, call.cost_usd)

    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState:
        url = queue.status_url(self.base_url, model, upstream_id, logs=True)
        status = self._answer(await self._get(url, key, VIDEO_PARAM), key, VIDEO_PARAM, request_call=True)
        if answers.queue_status(status) != answers.COMPLETED:
            return answers.running_state(upstream_id, status)
        failure = answers.completed_error(status)
        if failure is not None:
            return answers.failed_state(upstream_id, *failure)
        response = await self._result(model, upstream_id, key, VIDEO_PARAM)
        if response.status == 404:
            raise task_not_found("fal")
        body = response.json()
        if response.status >= 300 and response.status != 429 and isinstance(body, dict) and "detail" in body:
            # the request's own outcome (a validation or model error, a runner failure): it has ended
            error = fal_error(response.status, body, key.name, VIDEO_PARAM, response.headers)
            if error.key_rejected:
                raise error
            return answers.failed_state(upstream_id, error.code, error.message)
        return answers.video_state(upstream_id, self._answer(response, key, VIDEO_PARAM))

    async def delete_video(self, upstream_id: str, model: str, key: KeyConfig) -> None:
        """Cancel the request: a queued one is removed, a running one is sent a cancellation signal;
        one that already completed has nothing to cancel (`400 {"status": "ALREADY_COMPLETED"}`)."""
        response = await self.client.request(
            "PUT", queue.cancel_url(self.base_url, model, upstream_id), None, self._auth(key)
        )
        body = response.json()
        if response.status == 400 and isinstance(body, dict) and body.get("status") == "ALREADY_COMPLETED":
            return
        self._answer(response, key, VIDEO_PARAM, request_call=True)

    # -- plumbing ----------------------------------------------------------------------------------

    async def _submit(
        self, endpoint: str, body: dict[str, Any], key: KeyConfig, params: Mapping[str, str]
    ) -> str:
        url = queue.submit_url(self.base_url, endpoint)
        response = await self.client.post_json(url, body, self._auth(key))
        if response.status == 404:
            raise GatewayError(
                404,
                f"fal does not know the endpoint '{endpoint}' ({self._detail(response)})",
                code="model_not_found",
                param="model",
                headers={"x-should-retry": "false"},
                nothing_created=True,
            )
        return answers.request_id_of(self._answer(response, key, params))

    async def _result(
        self, endpoint: str, request_id: str, key: KeyConfig, params: Mapping[str, str]
    ) -> UpstreamResponse:
        """The result of a COMPLETED request, asked again after a failure that is not its own: a 429,
        or a 5xx without fal's `error_type` (an ingress hiccup, not the request's outcome)."""
        url = queue.request_url(self.base_url, endpoint, request_id)

        async def fetch() -> UpstreamResponse:
            response = await self.client.request("GET", url, None, self._auth(key))
            body = response.json()
            outcome = "x-fal-error-type" in response.headers or (
                isinstance(body, dict) and "error_type" in body
            )
            if response.status == 429 or (response.status >= 500 and not outcome):
                raise fal_error(response.status, body, key.name, params, response.headers)
            return response

        return await retry_transient(fetch, self.network)

    async def _get(self, url: str, key: KeyConfig, params: Mapping[str, str]) -> UpstreamResponse:
        response = await self.client.request("GET", url, None, self._auth(key))
        if response.status == 429 or response.status >= 500:  # retry_transient asks again
            raise fal_error(response.status, response.json(), key.name, params, response.headers)
        return response

    def _answer(
        self,
        response: UpstreamResponse,
        key: KeyConfig,
        params: Mapping[str, str],
        request_call: bool = False,
    ) -> dict[str, Any]:
        body = response.json()
        if response.status == 404 and request_call:
            raise task_not_found("fal")
        if response.status >= 300:
            raise fal_error(response.status, body, key.name, params, response.headers)
        if not isinstance(body, dict):
            raise answers.invalid_answer(f"HTTP {response.status} with a body that is not a JSON object")
        return body

    @staticmethod
    def _detail(response: UpstreamResponse) -> str:
        body = response.json()
        detail = body.get("detail") if isinstance(body, dict) else None
        return detail if isinstance(detail, str) else f"HTTP {response.status}"

    @staticmethod
    def _auth(key: KeyConfig) -> dict[str, str]:
        return {"Authorization": f"Key {key.secret}"}
