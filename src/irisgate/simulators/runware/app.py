"""`RunwareSimulator`: the Starlette app that plays `POST https://api.runware.ai/v1`, im.runware.ai and
vm.runware.ai (media GET/HEAD with Range, see common.byte_ranges)."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..common.byte_ranges import media_response
from ..common.faults import SimulatorApp
from ..common.http import ALL_METHODS, allowed_methods, json_response
from ..common.recording import read_request
from .context import TaskContext
from .control import control_routes
from .envelope import AuthResult, authenticate, build_body, failure_body, parse_tasks
from .errors import TaskFailure, error_item
from .faults import Fault, FaultBook
from .media import MEDIA_PATH_PREFIX, VIDEO_PATH_PREFIX
from .settings import RunwareSimSettings
from .state import RecordedRequest, SimState
from .tasks import run_task


class RunwareSimulator:
    """An offline, faithful-enough Runware REST API. See the package docstring for the knobs."""

    def __init__(self, settings: RunwareSimSettings | None = None) -> None:
        self.settings = settings if settings is not None else RunwareSimSettings()
        self._initial_settings = self.settings.copy()
        self.state = SimState()
        self.faults = FaultBook(lambda: self.settings.fault_seed)
        self.app = SimulatorApp(
            routes=[
                Route("/v1", self._tasks_endpoint, methods=["POST"]),
                Route("/v1/", self._tasks_endpoint, methods=["POST"]),
                Route(MEDIA_PATH_PREFIX + "{name}", self._image_endpoint, methods=["GET", "HEAD"]),
                Route(VIDEO_PATH_PREFIX + "{name}", self._video_endpoint, methods=["GET", "HEAD"]),
                *control_routes(self),
                Route("/{path:path}", self._not_found, methods=ALL_METHODS),
            ],
            exception_handlers={HTTPException: self._http_exception},
        )

    # ------------------------------------------------------------------ public API

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    def tasks(self, task_type: str | None = None) -> list[dict[str, Any]]:
        """Every task object received (authentication tasks excluded), in order."""
        with self.state.lock:
            tasks = list(self.state.tasks)
        return [t for t in tasks if task_type is None or t.get("taskType") == task_type]

    def add_fault(self, fault: Fault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget requests, tasks, jobs, media and faults; restore the constructor's settings but api_keys."""
        self.state.clear()
        self.faults.clear()
        self.settings.restore(self._initial_settings, keep_api_keys=True)

    # ------------------------------------------------------------------ HTTP

    async def _record(self, request: Request) -> bytes:
        recorded = await read_request(request)
        self.state.record(recorded)
        return recorded.raw

    async def _tasks_endpoint(self, request: Request) -> Response:
        raw = await self._record(request)
        try:
            tasks = parse_tasks(raw)
        except TaskFailure as failure:
            return json_response(*failure_body(failure))
        received = [t for t in tasks if isinstance(t, dict) and t.get("taskType") != "authentication"]
        self.state.add_tasks(received)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            auth = authenticate(tasks, headers, self.settings.api_keys)
        except TaskFailure as failure:
            return json_response(*failure_body(failure))

        objects = [t for t in auth.tasks if isinstance(t, dict)]
        answer_fault, delay = self.faults.request_faults(objects, auth.api_key)
        if delay > 0:
            await asyncio.sleep(delay)
        if answer_fault is not None and answer_fault.kind == "http_error":
            task = self.faults.matching_task(answer_fault, objects, auth.api_key)
            return json_response(answer_fault.status or 500, {"errors": [answer_fault.error_body(task)]})
        response = await self._run_tasks(request, auth)
        # garbage / reset: the tasks ran (their taskUUIDs are taken), but the answer is lost
        return answer_fault.spoil(response) if answer_fault is not None else response

    async def _run_tasks(self, request: Request, auth: AuthResult) -> Response:
        base_url = str(request.base_url).rstrip("/")
        ctx = TaskContext(self.state, self.settings, self.faults, base_url, auth.api_key)
        items: list[dict[str, Any]] = []
        failures: list[TaskFailure] = []
        for task in auth.tasks:
            if not isinstance(task, dict):
                message = "Each element of the request array must be a task object."
                failures.append(TaskFailure(error_item("invalidParameter", message, type_="object")))
                continue
            try:
                items.extend(await run_task(ctx, task))
            except TaskFailure as failure:
                failures.append(failure)
        return json_response(*build_body(auth.data, items, failures))

    async def _image_endpoint(self, request: Request) -> Response:
        return await self._media_endpoint(request, "image")

    async def _video_endpoint(self, request: Request) -> Response:
        return await self._media_endpoint(request, "video")

    async def _media_endpoint(self, request: Request, kind: str) -> Response:
        await self._record(request)
        name: str = request.path_params["name"]
        media_uuid, _, ext = name.partition(".")
        item = self.state.media.get(media_uuid.lower())
        if item is None or item.ext != ext or item.kind != kind:
            return Response(b"Not Found", status_code=404, media_type="text/plain")
        if self.settings.urls_expired or item.expired(self.settings.urls_expire_after_seconds):
            status = self.settings.urls_expired_status
            text = b"Forbidden" if status == 403 else b"Not Found"
            return Response(text, status_code=status, media_type="text/plain")
        return media_response(request, item)

    def _allowed_methods(self, request: Request) -> list[str]:
        """Methods of the routes whose path matches this request (for 405 vs 404)."""
        return allowed_methods(self.app.routes[:-1], request.scope)

    async def _not_found(self, request: Request) -> Response:
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        allowed = self._allowed_methods(request)
        if allowed:
            allow = ", ".join(allowed)
            message = f"Method Not Allowed: {request.method} {request.url.path}; allowed: {allow}."
            return json_response(405, {"errors": [error_item("methodNotAllowed", message)]}, {"allow": allow})
        message = f"Not Found: {request.method} {request.url.path}. The API is served at POST /v1."
        return json_response(404, {"errors": [error_item("notFound", message)]})

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        if status == 405:
            return json_response(
                405,
                {
                    "errors": [
                        error_item(
                            "methodNotAllowed", f"Method Not Allowed: {request.method} {request.url.path}."
                        )
                    ]
                },
                dict(getattr(exc, "headers", None) or {}),
            )
        return json_response(status, {"errors": [error_item("httpError", str(getattr(exc, "detail", "")))]})
