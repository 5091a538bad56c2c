"""Google, on the Gemini API (`https://generativelanguage.googleapis.com`, API version `v1beta`).

Imagen: `POST /v1beta/models/{model}:predict`, answered at once. Veo: `POST
/v1beta/models/{model}:predictLongRunning` starts an operation, polled with `GET /v1beta/{name}`;
its video is fetched from the file URI the operation gives (`…/v1beta/files/{id}:download?alt=media`),
which needs the key too. Every call carries `x-goog-api-key: <key>` (the official client's
`_api_client.py`). The Gemini API has no Imagen edits and no way to cancel a Veo operation, so those
stay `unsupported_operation`. Calls are built in `mapping.py` / `video_mapping.py`, answers read in
`answers.py`, errors mapped in `errors.py`; this module only sends.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from irisgate.config import KeyConfig
from irisgate.providers.base import MEDIA_CHUNK, BaseProvider, MediaStream, VideoPlan, VideoSubmission
from irisgate.providers.google.answers import operation_name, parse_operation, parse_predictions
from irisgate.providers.google.errors import google_error, json_object
from irisgate.providers.google.mapping import (
    API_VERSION,
    UNIFIED_PARAM,
    VIDEO_PARAM,
    GoogleCall,
    build_image_call,
)
from irisgate.providers.google.video_mapping import build_video_call
from irisgate.providers.http import UpstreamResponse
from irisgate.schemas.errors import task_not_found
from irisgate.schemas.images import ImageGenerationRequest, ImagesResult
from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState

__all__ = ["GoogleProvider"]

KEY_HEADER = "x-goog-api-key"
# The host Google's file URIs name; the key goes there, or to the configured base URL's host, only.
GOOGLE_API_ORIGIN = ("https", "generativelanguage.googleapis.com")


class GoogleProvider(BaseProvider):
    name = "google"

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        call = build_image_call(request, model)
        return parse_predictions(call, await self._post(call, key, UNIFIED_PARAM))

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan:
        call = build_video_call(request, model)
        return VideoPlan(wire=call, upstream_id=None, seconds=call.seconds, size=call.size)

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission:
        call: GoogleCall = plan.wire
        return VideoSubmission(operation_name(await self._post(call, key, VIDEO_PARAM)), call.cost_usd)

    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState:
        response = await self.client.request(
            "GET", f"{self.base_url}/{API_VERSION}/{upstream_id}", None, self._headers(key)
        )
        if response.status == 404:
            raise task_not_found("Google")
        return parse_operation(upstream_id, self._answer(response, key, VIDEO_PARAM))

    async def open_media(self, url: str, key: KeyConfig, headers: Mapping[str, str]) -> MediaStream:
        """A Veo video's file URI answers only with the key; it is sent to Google's API host (or the
        configured base URL's) and nowhere else, whatever URI an answer holds."""
        sent = {**headers, **self._headers(key)} if self._keyed(url) else dict(headers)
        response = await self.client.open_stream(url, sent)
        return MediaStream(
            response.status, response.headers, response.content.iter_chunked(MEDIA_CHUNK), response.release
        )

    async def _post(self, call: GoogleCall, key: KeyConfig, names: Mapping[str, str]) -> dict[str, Any]:
        response = await self.client.request("POST", self.base_url + call.path, call.body, self._headers(key))
        return self._answer(response, key, names)

    def _answer(self, response: UpstreamResponse, key: KeyConfig, names: Mapping[str, str]) -> dict[str, Any]:
        if response.status >= 300:
            raise google_error(response.status, response.json(), key.name, response.headers, names)
        return json_object(response)

    def _keyed(self, url: str) -> bool:
        target = urlsplit(url)
        base = urlsplit(self.base_url)
        origin = (target.scheme, target.netloc.lower())
        return origin in ((base.scheme, base.netloc.lower()), GOOGLE_API_ORIGIN)

    @staticmethod
    def _headers(key: KeyConfig) -> dict[str, str]:
        return {KEY_HEADER: key.secret}
