"""`GoogleSimulator`: the Starlette app that plays the Gemini API (`https://generativelanguage.googleapis.com`)
for Imagen and Veo, and serves the files Veo makes."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..common.control import control_routes
from ..common.faults import SimulatorApp
from ..common.http import ALL_METHODS, allowed_methods, json_response
from ..common.recording import RecordedRequest, read_request
from .errors import ApiError, bad_key, invalid, model_not_found, no_key, quota_exceeded
from .faults import FaultTarget, GoogleFault, GoogleFaultBook
from .media import image_predictions, video_response
from .models import GENERIC_IMAGEN, GENERIC_VEO, IMAGEN, VEO
from .operations import Operation, OperationStore
from .settings import GoogleSimSettings
from .validation import check_long_running, check_predict

API = "/v1beta"
DEFAULT_BASE_URL = "http://127.0.0.1"


class GoogleSimulator:
    """An offline, faithful-enough Gemini API for Imagen and Veo. See the package docstring."""

    def __init__(self, settings: GoogleSimSettings | None = None) -> None:
        self.settings = settings if settings is not None else GoogleSimSettings()
        self._initial_settings = self.settings.copy()
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._creates: Counter[str] = Counter()
        self._base_url = DEFAULT_BASE_URL
        self.operations = OperationStore(self.settings)
        self.faults = GoogleFaultBook(lambda: self.settings.fault_seed)
        self.app = SimulatorApp(
            routes=[
                Route(API + "/models/{model}:predict", self._predict, methods=["POST"]),
                Route(
                    API + "/models/{model}:predictLongRunning", self._predict_long_running, methods=["POST"]
                ),
                Route(API + "/models/{model}/operations/{operation}", self._get_operation, methods=["GET"]),
                Route(API + "/files/{file_id}:download", self._download, methods=["GET", "HEAD"]),
                *control_routes(self, GoogleFault.from_json),
                Route("/{path:path}", self._not_found, methods=ALL_METHODS),
            ],
            exception_handlers={HTTPException: self._http_exception},
        )

    # ------------------------------------------------------------------ public API

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._requests

    def tasks(self) -> list[dict[str, Any]]:
        """Every operation's current object (no poll counted), oldest first."""
        return self.operations.snapshot(self.file_uri)

    def file_uri(self, operation: Operation) -> str:
        return f"{self._base_url}{API}/files/{operation.file_id}:download?alt=media"

    def add_fault(self, fault: GoogleFault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget requests, operations, quotas and faults; restore the first settings but api_keys."""
        with self._lock:
            self._requests.clear()
            self._creates.clear()
        self.operations.clear()
        self.faults.clear()
        self.settings.restore(self._initial_settings, keep_api_keys=True)

    # ------------------------------------------------------------------ plumbing

    async def _record(self, request: Request) -> RecordedRequest:
        recorded = await read_request(request)
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def _authenticate(self, request: Request, recorded: RecordedRequest) -> str:
        """The API key (header `x-goog-api-key`, or the `key` query parameter); ApiError otherwise."""
        key = recorded.headers.get("x-goog-api-key") or request.query_params.get("key")
        if not key:
            raise no_key()
        if key not in self.settings.api_keys:
            raise bad_key()
        return key

    async def _api_request(self, request: Request) -> tuple[RecordedRequest, str]:
        recorded = await self._record(request)
        self._base_url = str(request.base_url).rstrip("/")
        return recorded, self._authenticate(request, recorded)

    async def _faulted(self, target: FaultTarget, *, markers: bool = False) -> GoogleFault | None:
        """Sleep a slow ack, raise an http_error or quota; a garbage / reset fault is returned, to
        spoil the answer once the request is handled."""
        fault, delay = self.faults.request_faults(target, markers=markers)
        if delay > 0:
            await asyncio.sleep(delay)
        if fault is not None and fault.kind == "quota":
            raise quota_exceeded(target.model, self.settings.retry_delay_seconds)
        if fault is not None and fault.kind == "http_error":
            raise ApiError(fault.status or 500, fault.message)
        return fault

    @staticmethod
    def _error(error: ApiError) -> Response:
        return json_response(error.status, error.body, error.headers)

    @staticmethod
    def _deliver(spoiler: GoogleFault | None, response: Response) -> Response:
        return spoiler.spoil(response) if spoiler is not None else response

    async def _create(self, request: Request) -> tuple[str, str, Any, GoogleFault | None]:
        """A create's common steps: (API key, model, body, spoiler); ApiError for what fails."""
        recorded, api_key = await self._api_request(request)
        model = request.path_params["model"]
        body = recorded.body
        instances = body.get("instances") if isinstance(body, dict) else None
        first = (
            instances[0]
            if isinstance(instances, list) and instances and isinstance(instances[0], dict)
            else {}
        )
        prompt = first.get("prompt") if isinstance(first.get("prompt"), str) else None
        spoiler = await self._faulted(FaultTarget(recorded.path, api_key, model, prompt), markers=True)
        if body is None:
            raise invalid("Invalid JSON payload received.")
        limit = self.settings.quota_limit
        with self._lock:
            if limit is not None and self._creates[api_key] >= limit:
                raise quota_exceeded(model, self.settings.retry_delay_seconds)
        return api_key, model, body, spoiler

    def _count_create(self, api_key: str) -> None:
        with self._lock:
            self._creates[api_key] += 1

    # ------------------------------------------------------------------ Imagen

    async def _predict(self, request: Request) -> Response:
        spoiler: GoogleFault | None = None
        try:
            api_key, model, body, spoiler = await self._create(request)
            spec = IMAGEN.get(model) or (GENERIC_IMAGEN if model in self.settings.extra_models else None)
            if spec is None:
                raise model_not_found(model, "predict")
            job = check_predict(spec, body)
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        self._count_create(api_key)
        seed = sum(self._creates.values())
        predictions = await asyncio.to_thread(image_predictions, job, seed)
        return self._deliver(spoiler, json_response(200, {"predictions": predictions}))

    # ------------------------------------------------------------------ Veo

    async def _predict_long_running(self, request: Request) -> Response:
        spoiler: GoogleFault | None = None
        try:
            api_key, model, body, spoiler = await self._create(request)
            spec = VEO.get(model) or (GENERIC_VEO if model in self.settings.extra_models else None)
            if spec is None:
                raise model_not_found(model, "predictLongRunning")
            job = check_long_running(spec, body)
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        self._count_create(api_key)
        target = FaultTarget(request.url.path, api_key, model, job.prompt)
        operation = self.operations.start(
            model, api_key, job.prompt, (job.width, job.height), job.seconds, self.faults.ending(target)
        )
        answer = operation.to_json(self.operations.done(operation), self.file_uri(operation))
        return self._deliver(spoiler, json_response(200, answer))

    async def _get_operation(self, request: Request) -> Response:
        spoiler: GoogleFault | None = None
        try:
            recorded, api_key = await self._api_request(request)
            model = request.path_params["model"]
            spoiler = await self._faulted(FaultTarget(recorded.path, api_key, model))
            name = f"models/{model}/operations/{request.path_params['operation']}"
            operation = self.operations.poll(name, api_key)
            if operation is None:
                raise ApiError(404, f"Operation {name} not found.")
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        answer = operation.to_json(self.operations.done(operation), self.file_uri(operation))
        return self._deliver(spoiler, json_response(200, answer))

    async def _download(self, request: Request) -> Response:
        spoiler: GoogleFault | None = None
        try:
            recorded, _ = await self._api_request(request)
            spoiler = await self._faulted(FaultTarget(recorded.path, None))
            if request.query_params.get("alt") != "media":
                raise invalid("`alt=media` is required to download a file's content.")
            file_id = request.path_params["file_id"]
            operation = None if self.settings.files_expired else self.operations.file(file_id)
            if operation is None:
                raise ApiError(404, f"File files/{file_id} not found or not downloadable.")
        except ApiError as error:
            return self._deliver(spoiler, self._error(error))
        return self._deliver(
            spoiler, await video_response(request, operation, self.settings.video_padding_bytes)
        )

    # ------------------------------------------------------------------ 404 / 405

    async def _not_found(self, request: Request) -> Response:
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        allowed = allowed_methods(self.app.routes[:-1], request.scope)
        if allowed:
            error = ApiError(405, f"Method {request.method} is not allowed here.")
            return json_response(405, error.body, {"allow": ", ".join(allowed)})
        return self._error(
            ApiError(404, f"The requested URL {request.url.path} was not found on this server.")
        )

    async def _http_exception(self, request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        return self._error(ApiError(status, str(getattr(exc, "detail", "")) or None))
