"""`OpenAISimulator`: the Starlette app that plays `https://api.openai.com/v1`'s image endpoints.

`POST /v1/images/generations` (JSON) and `POST /v1/images/edits` (multipart: `image` or `image[]`
repeated, `mask`, text fields), `Authorization: Bearer <key>`, answered as `ImagesResponse`
(`created`, `data[]`, `background`, `output_format`, `quality`, `size`, `usage`) or, with
`stream: true`, as server-sent events (`image_generation.partial_image` / `.completed`, or
`image_edit.*`); DALL·E URLs are served at `/private/org-sim/img-<id>.png?se=…&sig=…`.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from ..common.byte_ranges import RangedMedia, media_response
from ..common.control import control_routes
from ..common.faults import SimulatorApp
from ..common.http import ALL_METHODS, allowed_methods, json_response
from ..common.recording import RecordedRequest, read_request
from .errors import (
    INVALID_JSON,
    MISSING_KEY,
    MODERATION_BLOCKED,
    NOT_MULTIPART,
    QUOTA,
    ApiError,
    for_status,
    masked,
)
from .faults import FaultTarget, OpenAIFault, OpenAIFaultBook
from .render import render, usage
from .settings import OpenAISimSettings
from .validation import Job, Upload, check_edit, check_generation

_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.I)
URL_PREFIX = "/private/org-sim/"
URL_LIFETIME_SECONDS = 3600  # "URLs are only valid for 60 minutes after the image has been generated"
EVENT_PREFIX = {"generation": "image_generation", "edit": "image_edit"}


class OpenAISimulator:
    """An offline OpenAI Images API. See the package docstring for the knobs."""

    def __init__(self, settings: OpenAISimSettings | None = None) -> None:
        self.settings = settings if settings is not None else OpenAISimSettings()
        self._initial_settings = self.settings.copy()
        self._requests: list[RecordedRequest] = []
        self._made: list[dict[str, Any]] = []
        self._files: dict[str, bytes] = {}
        self._recent: dict[str, collections.deque[tuple[float, int]]] = {}
        self._lock = threading.Lock()
        self.faults = OpenAIFaultBook(lambda: self.settings.fault_seed)
        self.app = SimulatorApp(
            routes=[
                Route("/v1/images/generations", self._generate, methods=["POST"]),
                Route("/v1/images/edits", self._edit, methods=["POST"]),
                Route(URL_PREFIX + "{name}", self._file, methods=["GET", "HEAD"]),
                *control_routes(self, OpenAIFault.from_json),
                Route("/{path:path}", self._not_found, methods=ALL_METHODS),
            ]
        )

    # ------------------------------------------------------------------ public API

    @property
    def requests(self) -> list[RecordedRequest]:
        return self._requests

    def tasks(self, *args: Any) -> list[dict[str, Any]]:
        """What was made, oldest first: one entry per answered request (id, model, operation, n, size)."""
        with self._lock:
            return list(self._made)

    def add_fault(self, fault: OpenAIFault) -> None:
        self.faults.add(fault)

    def clear_faults(self) -> None:
        self.faults.clear()

    def reset(self) -> None:
        """Forget requests, images, rate counts and faults; restore the first settings but api_keys."""
        with self._lock:
            self._requests.clear()
            self._made.clear()
            self._files.clear()
            self._recent.clear()
        self.faults.clear()
        self.settings.restore(self._initial_settings, keep_api_keys=True)

    # ------------------------------------------------------------------ routes

    async def _generate(self, request: Request) -> Response:
        recorded = await self._record(request)
        try:
            key = self._authenticate(recorded)
            if recorded.body is None:
                raise ApiError(400, INVALID_JSON)
            fields = recorded.body if isinstance(recorded.body, dict) else {}
            return await self._answer(request, key, fields, lambda: check_generation(recorded.body))
        except ApiError as error:
            return self._error(error)

    async def _edit(self, request: Request) -> Response:
        recorded = await self._record(request)
        try:
            key = self._authenticate(recorded)
            content_type = request.headers.get("content-type", "")
            if not content_type.startswith("multipart/form-data"):
                raise ApiError(400, NOT_MULTIPART.format(content_type or "none"))
            fields, images, masks = await self._read_form(request, recorded)
            return await self._answer(request, key, fields, lambda: check_edit(fields, images, masks))
        except ApiError as error:
            return self._error(error)

    async def _answer(self, request: Request, key: str, fields: dict[str, Any], check: Any) -> Response:
        model, prompt = fields.get("model"), fields.get("prompt")
        target = FaultTarget(
            request.url.path,
            key,
            model if isinstance(model, str) else None,
            prompt if isinstance(prompt, str) else None,
        )
        refusing, spoiling, delay = self.faults.for_request(target)
        if delay:
            await asyncio.sleep(delay)
        if refusing is not None:
            raise self._fault_error(refusing)
        job: Job = check()
        self._count_images(key, job.n)
        answer = self._stream(job) if job.stream else self._json(request, job)
        return spoiling.spoil(answer) if spoiling is not None else answer

    async def _file(self, request: Request) -> Response:
        await self._record(request)
        data = self._files.get(request.path_params["name"].removeprefix("img-").removesuffix(".png"))
        if data is None or self.settings.urls_expired:
            reason = (
                "Server failed to authenticate the request." if data else "The specified blob does not exist."
            )
            return Response(
                f"<Error><Message>{reason}</Message></Error>",
                403 if data else 404,
                media_type="application/xml",
            )
        return media_response(request, RangedMedia(data, "image/png"))

    async def _not_found(self, request: Request) -> Response:
        if not request.url.path.startswith("/__fake"):
            await self._record(request)
        where = f"({request.method} {request.url.path})"
        if allowed_methods(self.app.routes[:-1], request.scope):
            return self._error(ApiError(405, f"Invalid method for URL {where}"))
        return self._error(ApiError(404, f"Invalid URL {where}"))

    # ------------------------------------------------------------------ answers

    def _json(self, request: Request, job: Job) -> Response:
        items = [self._item(request, job, index) for index in range(job.n)]
        answer: dict[str, Any] = {"created": int(time.time()), "data": items}
        if job.spec.gpt:
            answer.update(
                background=job.background, output_format=job.output_format, quality=job.quality, size=job.size
            )
            if self.settings.include_usage:
                answer["usage"] = usage(job)
        self._remember(job)
        return json_response(200, answer, self._headers())

    def _item(self, request: Request, job: Job, index: int) -> dict[str, Any]:
        data = render(job, index)
        item: dict[str, Any] = {}
        if job.response_format == "url":
            file_id = uuid.uuid4().hex
            with self._lock:
                self._files[file_id] = data
            expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + URL_LIFETIME_SECONDS))
            signature = hashlib.sha256(file_id.encode()).hexdigest()[:32]
            item["url"] = (
                f"{str(request.base_url).rstrip('/')}{URL_PREFIX}img-{file_id}.png?se={expires}&sig={signature}"
            )
        else:
            item["b64_json"] = base64.b64encode(data).decode()
        if job.model == "dall-e-3":
            item["revised_prompt"] = f"A detailed rendering of: {job.prompt}"
        return item

    def _stream(self, job: Job) -> Response:
        """`stream: true`: `partial_images` partial events, then one completed event, per image."""
        prefix = EVENT_PREFIX[job.operation]
        self._remember(job)

        def events() -> Iterator[bytes]:
            common = {
                "background": job.background,
                "output_format": job.output_format,
                "quality": job.quality,
                "size": job.size,
            }
            for index in range(job.n):
                b64 = base64.b64encode(render(job, index)).decode()
                for partial in range(job.partial_images):
                    event = {
                        "type": f"{prefix}.partial_image",
                        "b64_json": b64,
                        "created_at": int(time.time()),
                        "partial_image_index": partial,
                        **common,
                    }
                    yield _sse(event)
                done = {
                    "type": f"{prefix}.completed",
                    "b64_json": b64,
                    "created_at": int(time.time()),
                    **common,
                }
                yield _sse({**done, "usage": usage(job)})

        return StreamingResponse(events(), media_type="text/event-stream", headers=self._headers())

    def _remember(self, job: Job) -> None:
        with self._lock:
            self._made.append(
                {
                    "id": uuid.uuid4().hex,
                    "operation": job.operation,
                    "model": job.model,
                    "n": job.n,
                    "size": job.size,
                    "output_format": job.output_format,
                }
            )

    # ------------------------------------------------------------------ plumbing

    async def _record(self, request: Request) -> RecordedRequest:
        recorded = await read_request(request)
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def _authenticate(self, recorded: RecordedRequest) -> str:
        header = recorded.headers.get("authorization")
        match = _BEARER.match(header) if header else None
        if match is None:
            raise ApiError(401, MISSING_KEY)
        key = match.group(1)
        if key not in self.settings.api_keys:
            raise ApiError(
                401,
                f"Incorrect API key provided: {masked(key)}. You can find your API key at "
                "https://platform.openai.com/account/api-keys.",
                code="invalid_api_key",
            )
        return key

    async def _read_form(
        self, request: Request, recorded: RecordedRequest
    ) -> tuple[dict[str, Any], list[Upload], list[Upload]]:
        """The form's text fields (`a[b]` nested under `a`), its images (`image` or `image[]`) and masks;
        the recorded request gets them as its body (files by name, type, size and SHA-256)."""
        try:
            form = await request.form(max_files=64, max_fields=1000)
        except Exception:
            raise ApiError(400, "Could not parse the multipart form body.") from None
        fields: dict[str, Any] = {}
        images: list[Upload] = []
        masks: list[Upload] = []
        files: list[dict[str, Any]] = []
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                upload = Upload(data, value.filename, value.content_type)
                files.append(
                    {
                        "name": name,
                        "filename": value.filename,
                        "content_type": value.content_type,
                        "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                )
                if name == "mask":
                    masks.append(upload)
                elif name in ("image", "image[]"):
                    images.append(upload)
                else:
                    fields[name] = "<file>"  # an unknown file field is an unknown parameter
                continue
            base, _, rest = name.partition("[")
            if rest:
                nested = fields.setdefault(base, {})
                if isinstance(nested, dict):
                    nested[rest.rstrip("]")] = value
            else:
                fields[name] = value
        recorded.body = {"fields": fields, "files": files}
        return fields, images, masks

    def _count_images(self, key: str, n: int) -> None:
        """The `images_per_minute` limit: a 429 when this request would pass it."""
        limit = self.settings.images_per_minute
        now = time.monotonic()
        with self._lock:
            recent = self._recent.setdefault(key, collections.deque())
            while recent and recent[0][0] <= now - 60:
                recent.popleft()
            used = sum(count for _, count in recent)
            if limit is not None and used + n > limit:
                wait = max(1, round(recent[0][0] + 60 - now)) if recent else 60
                raise ApiError(
                    429,
                    f"Rate limit reached for images per minute (IPM): Limit {limit}, Used {used}, "
                    f"Requested {n}. Please try again in {wait}s.",
                    error_type="requests",
                    code="rate_limit_exceeded",
                    headers={
                        "retry-after": str(wait),
                        "x-ratelimit-limit-images": str(limit),
                        "x-ratelimit-remaining-images": str(max(limit - used, 0)),
                        "x-ratelimit-reset-images": f"{wait}s",
                    },
                )
            recent.append((now, n))

    def _fault_error(self, fault: OpenAIFault) -> ApiError:
        if fault.kind == "quota":
            return ApiError(
                429, fault.message or QUOTA, error_type="insufficient_quota", code="insufficient_quota"
            )
        if fault.kind == "moderation":
            return ApiError(
                400,
                fault.message or MODERATION_BLOCKED,
                error_type="image_generation_user_error",
                code=fault.code or "moderation_blocked",
            )
        return for_status(fault.status or 500, fault.message, fault.code)

    def _error(self, error: ApiError) -> Response:
        headers = self._headers()
        if error.status == 429 and self.settings.retry_after_seconds is not None:
            headers["retry-after"] = f"{self.settings.retry_after_seconds:g}"
        if (error.status == 429 or error.status >= 500) and self.settings.should_retry_header is not None:
            headers["x-should-retry"] = self.settings.should_retry_header
        return json_response(error.status, error.body, {**error.headers, **headers})

    @staticmethod
    def _headers() -> dict[str, str]:
        return {
            "x-request-id": f"req_{uuid.uuid4().hex}",
            "openai-version": "2020-10-01",
            "openai-processing-ms": "1",
        }


def _sse(event: dict[str, Any]) -> bytes:
    return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"
