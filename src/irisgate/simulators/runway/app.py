"""`RunwaySimulator`: the Starlette app that plays `https://api.dev.runwayml.com` (+ its CDN and uploads)."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..common.control import control_routes
from ..common.faults import SimulatorApp
from ..common.http import ALL_METHODS, allowed_methods, json_response
from ..common.recording import RecordedRequest, read_request
from .assets import check_assets
from .errors import (
    DAILY_LIMIT,
    INVALID_JSON,
    INVALID_KEY,
    MISSING_KEY,
    MISSING_VERSION,
    TASK_NOT_FOUND,
    ApiError,
    default_message,
    invalid_version,
    model_unavailable,
)
from .faults import FaultTarget, RunwayFault, RunwayFaultBook
from .issues import invalid_type, validation_body
from .media import OUTPUT_PATH_PREFIX, new_plan, serve_output, url_builder
from .models import ENDPOINTS, credits_for, output_seconds, output_size
from .settings import KEY_FORMAT, RunwaySimSettings
from .tasks import SUCCESS, Task, TaskStore, UrlFor
from .uploads import (
    UPLOAD_MAX_BYTES,
    UPLOAD_PATH_PREFIX,
    UploadStore,
    check_upload_request,
    presigned_form,
    s3_error_response,
    sniff_media_type,
)
from .validation import ValidationFailed, validate_body

_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.I)
DEFAULT_BASE_URL = "http://127.0.0.1"


class RunwaySimulator:
    """An offline, faithful-enough Runway developer API. See the package docstring for the knobs."""

    def __init__(self, settings: RunwaySimSettings | None = None) -> None:
        self.settings = settings if settings is not None else RunwaySimSettings()
        self._initial_settings = self.settings.copy()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._base_url = DEFAULT_BASE_URL
        self.task_store = TaskStore(self.settings)
        self.uploads = UploadStore()
        self.faults = RunwayFaultBook(lambda: self.settings.fault_seed)
        self.app = SimulatorApp(
            routes=[
                *(Route(f"/v1/{name}", self._create, methods=["POST"]) for name in ENDPOINTS),
                Route("/v1/tasks/{task_id}", self._get_task, methods=["GET"]),
                Route("/v1/tasks/{task_id}", self._delete_task, methods=["DELETE"]),
                Route("/v1/uploads", self._create_upload, methods=["POST"]),
                Route(UPLOAD_PATH_PREFIX + "{upload_id}", self._receive_upload, methods=["POST"]),
                Route(OUTPUT_PATH_PREFIX + "{task_id}/{name}", self._output, methods=["GET", "HEAD"]),
                *control_routes(self, RunwayFault.from_json),
                Route("/{path:path}", self._not_found, methods=ALL_METHODS),
            ],
            exception_handlers={HTTPException: self._http_exception},
        )

    # ------------------------------------------------------------------ public API

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._requests

    def tasks(self) -> list[dict[str, Any]]:
        """The public object of every task created (deleted ones too), oldest first; polls nothing."""
        return self.task_store.snapshot(self._url_builder())

    def add_fault(self, fault: RunwayFault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget requests, tasks, uploads and faults; restore the constructor's settings but api_keys."""
        with self._lock:
            self._requests.clear()
        self.task_store.clear()
        self.uploads.clear()
        self.faults.clear()
        self.settings.restore(self._initial_settings, keep_api_keys=True)

    # ------------------------------------------------------------------ plumbing

    def _url_builder(self) -> UrlFor:
        return url_builder(self._base_url, self.settings.urls_expire_after_seconds)

    async def _record(self, request: Request) -> RecordedRequest:
        recorded = await read_request(request)
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def _authenticate(self, recorded: RecordedRequest) -> str:
        """The API key of a request that passes the auth and version checks; ApiError otherwise."""
        header = recorded.headers.get("authorization")
        if not header:
            raise ApiError(401, MISSING_KEY)
        match = _BEARER.match(header)
        key = match.group(1) if match else None
        if key is None or key not in self.settings.api_keys:
            raise ApiError(401, INVALID_KEY)
        if self.settings.enforce_key_format and not re.fullmatch(KEY_FORMAT, key):
            raise ApiError(401, INVALID_KEY)
        version = recorded.headers.get("x-runway-version")
        if not version:
            raise ApiError(400, MISSING_VERSION)
        if version not in self.settings.allowed_versions:
            raise ApiError(400, invalid_version(version))
        return key

    def _error_headers(self, status: int) -> dict[str, str]:
        headers: dict[str, str] = {}
        if status == 429 and self.settings.retry_after_seconds is not None:
            seconds = self.settings.retry_after_seconds
            headers["retry-after"] = f"{seconds:g}"
            headers["retry-after-ms"] = f"{seconds * 1000:g}"
        if (status == 429 or status >= 500) and self.settings.should_retry_header is not None:
            headers["x-should-retry"] = self.settings.should_retry_header
        return headers

    def _error(self, error: ApiError) -> Response:
        return json_response(error.status, error.body, {**self._error_headers(error.status), **error.headers})

    async def _apply_request_faults(
        self, target: FaultTarget, *, markers: bool = False
    ) -> RunwayFault | None:
        """Sleep a slow ack, raise an http_error; a garbage / reset fault is returned, for `_deliver`
        once the request is handled."""
        fault, delay = self.faults.request_faults(target, markers=markers)
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is not None and fault.kind == "http_error":
            status = fault.status or 500
            raise ApiError(status, fault.message or default_message(status))
        return fault

    @staticmethod
    def _deliver(spoiler: RunwayFault | None, response: Response) -> Response:
        """The answer, unless a garbage / reset fault replaces it."""
        return spoiler.spoil(response) if spoiler is not None else response

    async def _api_request(self, request: Request) -> tuple[RecordedRequest, str]:
        recorded = await self._record(request)
        self._base_url = str(request.base_url).rstrip("/")
        return recorded, self._authenticate(recorded)

    # ------------------------------------------------------------------ API routes

    async def _create(self, request: Request) -> Response:
        endpoint = request.url.path.rsplit("/", 1)[-1]
        spoiler: RunwayFault | None = None
        try:
            recorded, api_key = await self._api_request(request)
            body = recorded.body
            fields = body if isinstance(body, dict) else {}
            model = fields.get("model") if isinstance(fields.get("model"), str) else None
            prompt = fields.get("promptText") if isinstance(fields.get("promptText"), str) else None
            target = FaultTarget(recorded.path, api_key, model, prompt)
            spoiler = await self._apply_request_faults(target, markers=True)
            if body is None and recorded.raw.strip():
                raise ApiError(400, INVALID_JSON)
            if body is None:
                raise ApiError(400, validation_body([invalid_type([], "object", missing=True)]))
            try:
                variant = validate_body(
                    endpoint,
                    body,
                    removed_models=self.settings.removed_models,
                    strict=self.settings.strict_fields,
                )
            except ValidationFailed as failed:
                raise ApiError(400, validation_body(failed.issues)) from None
            if variant.model in self.settings.unavailable_models:
                raise ApiError(403, model_unavailable(variant.model))
            await check_assets(
                body,
                self.uploads,
                https_only=self.settings.https_only_inputs,
                fetch_urls=self.settings.fetch_url_inputs,
                uploads_expired=self.settings.uploads_expired,
            )
            limit = self.settings.daily_limit
            if limit is not None and self.task_store.count_for(api_key) >= limit:
                raise ApiError(429, DAILY_LIMIT)
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        width, height = output_size(variant, body.get("ratio"))
        plan = new_plan(variant.output_kind, width, height, output_seconds(variant, body))
        task = Task(
            id=str(uuid.uuid4()),
            api_key=api_key,
            endpoint=endpoint,
            model=variant.model,
            credits=credits_for(variant, body),
            outcome=self.faults.task_outcome(target) or SUCCESS,
            outputs=[plan],
            prompt=prompt,
            seed=int(body.get("seed", 0)),
        )
        self.task_store.add(task)
        if self.settings.legacy_create_response:
            return self._deliver(spoiler, json_response(200, {"id": task.id}))
        answer = {"id": task.id, "estimatedCost": {"credits": task.credits}}
        return self._deliver(spoiler, json_response(200, answer))

    async def _find_task(self, request: Request) -> tuple[Task | None, RunwayFault | None]:
        """(the task, None when unknown; a garbage / reset fault to spoil the answer with)."""
        recorded, api_key = await self._api_request(request)
        task = self.task_store.find(request.path_params["task_id"], api_key)
        model, prompt = (task.model, task.prompt) if task is not None else (None, None)
        return task, await self._apply_request_faults(FaultTarget(recorded.path, api_key, model, prompt))

    async def _get_task(self, request: Request) -> Response:
        try:
            task, spoiler = await self._find_task(request)
        except ApiError as error:
            return self._error(error)
        if task is None:
            return self._deliver(spoiler, self._error(ApiError(404, TASK_NOT_FOUND)))
        polled = self.task_store.poll(task, self._url_builder())
        return self._deliver(spoiler, json_response(200, polled))

    async def _delete_task(self, request: Request) -> Response:
        try:
            task, spoiler = await self._find_task(request)
        except ApiError as error:
            return self._error(error)
        if task is None:
            return self._deliver(spoiler, self._error(ApiError(404, TASK_NOT_FOUND)))
        self.task_store.delete(task)
        return self._deliver(spoiler, Response(status_code=204))

    async def _create_upload(self, request: Request) -> Response:
        spoiler: RunwayFault | None = None
        try:
            recorded, api_key = await self._api_request(request)
            spoiler = await self._apply_request_faults(FaultTarget(recorded.path, api_key))
            if recorded.body is None and recorded.raw.strip():
                raise ApiError(400, INVALID_JSON)
            issues = check_upload_request(recorded.body)
            if issues:
                raise ApiError(400, validation_body(issues))
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        upload = self.uploads.create(recorded.body["filename"], api_key)
        answer = {
            "uploadUrl": f"{self._base_url}{UPLOAD_PATH_PREFIX}{upload.upload_id}",
            "fields": presigned_form(upload),
            "runwayUri": upload.uri,
        }
        return self._deliver(spoiler, json_response(200, answer))

    # ------------------------------------------------------------------ storage and CDN

    async def _receive_upload(self, request: Request) -> Response:
        """The presigned multipart POST (S3-like): `fields` + `file`; 204 on success."""
        await self._record(request)
        upload = self.uploads.get(request.path_params["upload_id"])
        if upload is None:
            return s3_error_response(404, "NoSuchUpload", "The specified upload does not exist.")
        try:
            form = await request.form(max_files=1, max_fields=100)
        except Exception:
            return s3_error_response(
                400, "MalformedPOSTRequest", "The body of your POST request is not multipart."
            )
        file = form.get("file")
        if form.get("key") != upload.key:
            return s3_error_response(
                403, "AccessDenied", "Invalid according to Policy: Policy Condition failed."
            )
        if not isinstance(file, UploadFile):
            return s3_error_response(
                400, "InvalidArgument", "POST requires exactly one file upload per request."
            )
        data = await file.read()
        if len(data) > UPLOAD_MAX_BYTES:
            return s3_error_response(
                400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."
            )
        upload.content_type = sniff_media_type(data, file.filename or upload.filename) or file.content_type
        upload.data = data
        return Response(status_code=204)

    async def _output(self, request: Request) -> Response:
        recorded = await self._record(request)
        try:
            spoiler = await self._apply_request_faults(FaultTarget(recorded.path, None))
        except ApiError as error:
            return self._error(error)
        media_id = request.path_params["name"].partition(".")[0]
        found = self.task_store.output(media_id)
        return self._deliver(
            spoiler,
            await serve_output(request, found, self.settings.urls_expired, self.settings.video_padding_bytes),
        )

    # ------------------------------------------------------------------ 404 / 405

    async def _not_found(self, request: Request) -> Response:
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        allowed = allowed_methods(self.app.routes[:-1], request.scope)
        if allowed:
            return json_response(405, {"error": "Method not allowed"}, {"allow": ", ".join(allowed)})
        return json_response(404, {"error": "Not found"})

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        headers = dict(getattr(exc, "headers", None) or {})
        return json_response(status, {"error": str(getattr(exc, "detail", "")) or "Error"}, headers)
