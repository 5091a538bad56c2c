"""`RunwareSimulator`: the Starlette app that plays `POST https://api.runware.ai/v1` and im.runware.ai."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route

from .context import TaskContext
from .control import control_routes
from .envelope import authenticate, build_body, failure_body, parse_tasks
from .errors import TaskFailure, error_item
from .faults import Fault, FaultBook
from .media import MEDIA_PATH_PREFIX
from .settings import RunwareSimSettings
from .state import RecordedRequest, SimState
from .tasks import run_task

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


class RunwareSimulator:
    """An offline, faithful-enough Runware REST API. See the package docstring for the knobs."""

    def __init__(self, settings: RunwareSimSettings | None = None) -> None:
        self.settings = settings if settings is not None else RunwareSimSettings()
        self._initial_settings = self.settings.copy()
        self.state = SimState()
        self.faults = FaultBook()
        self.app = Starlette(
            routes=[
                Route("/v1", self._tasks_endpoint, methods=["POST"]),
                Route("/v1/", self._tasks_endpoint, methods=["POST"]),
                Route(MEDIA_PATH_PREFIX + "{name}", self._media_endpoint, methods=["GET", "HEAD"]),
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
        raw = await request.body()
        body: Any = None
        if raw:
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = None
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.state.record(RecordedRequest(request.method, request.url.path, headers, body, raw))
        return raw

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
        http_fault, delay = self.faults.request_faults(objects, auth.api_key)
        if delay > 0:
            await asyncio.sleep(delay)
        if http_fault is not None:
            task = self.faults.matching_task(http_fault, objects, auth.api_key)
            return json_response(http_fault.status or 500, {"errors": [http_fault.error_body(task)]})

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

    async def _media_endpoint(self, request: Request) -> Response:
        await self._record(request)
        name: str = request.path_params["name"]
        media_uuid, _, ext = name.partition(".")
        item = self.state.media.get(media_uuid.lower())
        if item is None or item.ext != ext:
            return Response(b"Not Found", status_code=404, media_type="text/plain")
        if self.settings.urls_expired:
            status = self.settings.urls_expired_status
            text = b"Forbidden" if status == 403 else b"Not Found"
            return Response(text, status_code=status, media_type="text/plain")
        headers = {
            "content-length": str(len(item.data)),
            "cache-control": "public, max-age=2592000",
            "accept-ranges": "bytes",
        }
        body = b"" if request.method == "HEAD" else item.data
        return Response(body, status_code=200, media_type=item.content_type, headers=headers)

    def _allowed_methods(self, request: Request) -> list[str]:
        """Methods of the routes whose path matches this request (for 405 vs 404)."""
        allowed: set[str] = set()
        for route in self.app.routes[:-1]:
            if isinstance(route, Route) and route.matches(request.scope)[0] == Match.PARTIAL:
                allowed.update(route.methods or ())
        return sorted(allowed)

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
