"""`FalSimulator`: the Starlette app that plays `https://queue.fal.run` (and its media CDN).

Routes (fal's Inference API reference, `fal.ai/docs/api-reference/inference-api`):
- `POST /{endpoint id}` queues a request: 200 `{status: IN_QUEUE, request_id, response_url, status_url,
  cancel_url, queue_position}`; the three URLs use the owner/app only (`?fal_webhook=` is accepted);
- `GET /{owner}/{app}/requests/{id}/status[?logs=1]`: 202 while IN_QUEUE / IN_PROGRESS, 200 once
  COMPLETED;
- `GET /{owner}/{app}/requests/{id}`: the result (the endpoint's output, or its error with its status);
  400 `{"detail": "Request is still in progress"}` before it completed;
- `PUT /{owner}/{app}/requests/{id}/cancel`: 202 `{"status": "CANCELLATION_REQUESTED"}`, 400
  `{"status": "ALREADY_COMPLETED"}`, 404 `{"status": "NOT_FOUND"}`;
- `GET|HEAD /files/{bucket}/{name}`: outputs, no key needed.
Every API call needs `Authorization: Key <key>`: 401 `{"detail": …}` otherwise.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..common.control import control_routes
from ..common.faults import SimulatorApp
from ..common.http import ALL_METHODS, json_response
from ..common.recording import RecordedRequest, read_request
from . import media
from .endpoints import Endpoint, endpoint_for, image_output_size, video_output
from .errors import (
    APP_NOT_FOUND,
    INVALID_KEY,
    MISSING_KEY,
    REQUEST_NOT_FOUND,
    STILL_RUNNING,
    ApiError,
    detail_error,
    issue,
    request_error,
    validation_error,
)
from .faults import FalFault, FalFaultBook, FaultTarget
from .queue import COMPLETED, QueuedRequest, RequestQueue, status_object
from .settings import FalSimSettings

_KEY = re.compile(r"^\s*key\s+(\S+)\s*$", re.I)
NAMESPACES = ("workflows", "comfy")
CONTENT_POLICY = (
    "The content could not be processed because it contained material flagged by a content checker."
)


class FalSimulator:
    """An offline, faithful-enough fal queue. See the package docstring for the knobs."""

    def __init__(self, settings: FalSimSettings | None = None) -> None:
        self.settings = settings if settings is not None else FalSimSettings()
        self._initial_settings = self.settings.copy()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._base_url = "http://127.0.0.1"
        self.queue = RequestQueue(self.settings)
        self.faults = FalFaultBook(lambda: self.settings.fault_seed)
        self.app = SimulatorApp(
            routes=[
                Route(media.FILES_PREFIX + "{bucket}/{name}", self._file, methods=["GET", "HEAD"]),
                *control_routes(self, FalFault.from_json),
                Route("/{path:path}", self._api, methods=ALL_METHODS),
            ]
        )

    # ------------------------------------------------------------------ public API

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._requests

    def tasks(self) -> list[dict[str, Any]]:
        """Every request submitted (cancelled ones too), oldest first; polls nothing."""
        return self.queue.snapshot()

    def add_fault(self, fault: FalFault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget requests, queue and faults; restore the constructor's settings but api_keys."""
        with self._lock:
            self._requests.clear()
        self.queue.clear()
        self.faults.clear()
        self.settings.restore(self._initial_settings, keep_api_keys=True)

    # ------------------------------------------------------------------ routing

    async def _api(self, request: Request) -> Response:
        recorded = await read_request(request)
        with self._lock:
            self._requests.append(recorded)
        self._base_url = str(request.base_url).rstrip("/")
        parts = [p for p in request.path_params["path"].split("/") if p]
        at = 3 if parts and parts[0] in NAMESPACES else 2
        try:
            api_key = self._authenticate(recorded)
            if len(parts) > at + 1 and parts[at] == "requests":
                app, request_id, rest = "/".join(parts[:at]), parts[at + 1], parts[at + 2 :]
                return await self._request_call(request, recorded, api_key, app, request_id, rest)
            if request.method != "POST":
                raise ApiError(405, {"detail": "Method Not Allowed"}, {"allow": "POST"})
            return await self._submit(recorded, api_key, "/".join(parts))
        except ApiError as error:
            return self._error(error)

    def _authenticate(self, recorded: RecordedRequest) -> str:
        header = recorded.headers.get("authorization")
        if not header:
            raise detail_error(401, MISSING_KEY)
        match = _KEY.match(header)
        if match is None or match.group(1) not in self.settings.api_keys:
            raise detail_error(401, INVALID_KEY)
        return match.group(1)

    def _error(self, error: ApiError) -> Response:
        headers = dict(error.headers)
        if error.status == 429 and self.settings.retry_after_seconds is not None:
            headers["retry-after"] = f"{self.settings.retry_after_seconds:g}"
        return json_response(error.status, error.body, headers)

    @staticmethod
    def _deliver(spoiler: FalFault | None, response: Response) -> Response:
        return spoiler.spoil(response) if spoiler is not None else response

    async def _faults_for(self, target: FaultTarget, *, markers: bool = False) -> FalFault | None:
        fault, delay = self.faults.request_faults(target, markers=markers)
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is not None and fault.kind == "http_error":
            raise request_error(fault.status or 500, fault.message)
        return fault

    def _urls(self, queued: QueuedRequest) -> dict[str, str]:
        base = f"{self._base_url}/{queued.app}/requests/{queued.id}"
        return {"response_url": base, "status_url": base + "/status", "cancel_url": base + "/cancel"}

    # ------------------------------------------------------------------ submit

    async def _submit(self, recorded: RecordedRequest, api_key: str, endpoint_id: str) -> Response:
        parts = endpoint_id.split("/")
        at = 3 if parts[0] in NAMESPACES else 2
        body = recorded.body
        prompt = body.get("prompt") if isinstance(body, dict) else None
        target = FaultTarget(recorded.path, api_key, endpoint_id, prompt if isinstance(prompt, str) else None)
        spoiler = await self._faults_for(target, markers=True)
        try:
            endpoint = endpoint_for(endpoint_id, self.settings.strict_endpoints) if len(parts) >= at else None
            if endpoint is None:
                raise detail_error(404, APP_NOT_FOUND)
            if not isinstance(body, dict):
                raise validation_error([issue("body", "Input should be a valid dictionary", "dict_type")])
            issues = endpoint.validate(body)
            if issues and self.settings.validate_on_submit:
                raise validation_error(issues)
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        queued = QueuedRequest(
            str(uuid.uuid4()), api_key, endpoint_id, "/".join(parts[:at]), endpoint.kind, body
        )
        self._decide(queued, endpoint, issues, target)
        self.queue.add(queued)
        answer = {"status": "IN_QUEUE", "request_id": queued.id, **self._urls(queued), "queue_position": 0}
        return self._deliver(spoiler, json_response(200, answer, {"x-fal-request-id": queued.id}))

    def _decide(
        self, queued: QueuedRequest, endpoint: Endpoint, issues: list[dict[str, Any]], target: FaultTarget
    ) -> None:
        """How the request ends: its input errors, a fault's outcome, or its planned outputs."""
        fault = self.faults.outcome(target)
        if issues:
            queued.error = validation_error(issues)
        elif fault is not None and fault.kind == "content_policy":
            queued.error = validation_error(
                [issue("prompt", fault.message or CONTENT_POLICY, "content_policy_violation")]
            )
        elif fault is not None:
            queued.error, queued.failed = request_error(fault.status or 500, fault.message), True
        body = queued.body
        seed = body.get("seed") if isinstance(body.get("seed"), int) else random.randrange(2**31)
        body_seed = {"seed": seed, "prompt": str(body.get("prompt", ""))}
        if endpoint.kind == "video":
            width, height, seconds = video_output(body)
            queued.outputs = [media.new_output("video", width, height, seconds=seconds, **body_seed)]
            return
        width, height = image_output_size(endpoint, body)
        fmt = body.get("output_format") if body.get("output_format") in media.IMAGE_FORMATS else "jpeg"
        count = body.get("num_images") if isinstance(body.get("num_images"), int) else 1
        queued.outputs = [
            media.new_output("image", width, height, fmt=fmt, **body_seed) for _ in range(max(1, count))
        ]

    # ------------------------------------------------------------------ status, result, cancel

    async def _request_call(
        self,
        request: Request,
        recorded: RecordedRequest,
        api_key: str,
        app: str,
        request_id: str,
        rest: list[str],
    ) -> Response:
        queued = self.queue.find(request_id, api_key, app)
        prompt = queued.body.get("prompt") if queued is not None else None
        target = FaultTarget(
            recorded.path,
            api_key,
            queued.endpoint if queued else None,
            prompt if isinstance(prompt, str) else None,
        )
        operations = {(): "GET", ("status",): "GET", ("cancel",): "PUT"}
        method = operations.get(tuple(rest))
        if method is None:
            return json_response(404, {"detail": "Not Found"})
        if request.method != method:
            return json_response(405, {"detail": "Method Not Allowed"}, {"allow": method})
        spoiler = await self._faults_for(target)
        if queued is None:
            body = {"status": "NOT_FOUND"} if rest == ["cancel"] else {"detail": REQUEST_NOT_FOUND}
            return self._deliver(spoiler, json_response(404, body))
        if rest == ["status"]:
            logs = request.query_params.get("logs", "").lower() in ("1", "true")
            status, progress, position = self.queue.poll(queued)
            answer = status_object(queued, status, progress, position, self._urls(queued), logs)
            return self._deliver(spoiler, json_response(200 if status == COMPLETED else 202, answer))
        if rest == ["cancel"]:
            if self.queue.cancel(queued):
                return self._deliver(spoiler, json_response(202, {"status": "CANCELLATION_REQUESTED"}))
            return self._deliver(spoiler, json_response(400, {"status": "ALREADY_COMPLETED"}))
        return self._deliver(spoiler, await self._result(queued))

    async def _result(self, queued: QueuedRequest) -> Response:
        headers = {"x-fal-request-id": queued.id}
        if self.queue.phase(queued)[0] != COMPLETED:
            return json_response(400, {"detail": STILL_RUNNING}, headers)
        if queued.error is not None:
            return json_response(queued.error.status, queued.error.body, {**queued.error.headers, **headers})
        if queued.kind == "video":
            [output] = queued.outputs
            rendered = await media.render(output)
            video = {
                "url": output.url(self._base_url),
                "content_type": output.content_type,
                "file_name": output.name,
                "file_size": rendered.size,
            }
            return json_response(200, {"video": video}, headers)
        sync = queued.body.get("sync_mode") is True
        images = []
        for output in queued.outputs:
            url = await media.data_uri(output) if sync else output.url(self._base_url)
            images.append(
                {
                    "url": url,
                    "width": output.width,
                    "height": output.height,
                    "content_type": output.content_type,
                }
            )
        first = queued.outputs[0]
        answer = {
            "images": images,
            "timings": {"inference": 1.2},
            "seed": first.seed,
            "has_nsfw_concepts": [False] * len(images),
            "prompt": first.prompt,
        }
        return json_response(200, answer, headers)

    # ------------------------------------------------------------------ media

    async def _file(self, request: Request) -> Response:
        recorded = await read_request(request)
        with self._lock:
            self._requests.append(recorded)
        try:
            spoiler = await self._faults_for(FaultTarget(recorded.path, None))
        except ApiError as error:
            return self._error(error)
        media_id = request.path_params["name"].partition("_")[0]
        found = self.queue.output(media_id)
        output = found[1] if found is not None else None
        response = await media.serve(
            request, output, self.settings.urls_expired, self.settings.video_padding_bytes
        )
        return self._deliver(spoiler, response)
