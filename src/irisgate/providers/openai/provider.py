"""OpenAI Images: `POST {base_url}/images/generations` (JSON) and `POST {base_url}/images/edits`
(multipart), each with `Authorization: Bearer <key>` (the SDK's `auth_headers`, `_client.py`).

The request is built and checked in `mapping.py`, the answer read in `answers.py`, errors mapped in
`errors.py`; this module only sends. Nothing is re-sent after an ambiguous failure: an image request
has no idempotency key, so a second send could be billed twice (the dispatcher retries only what
never left, and 429s). Videos (Sora) are not offered here: they stay `unsupported_operation`.
"""

from __future__ import annotations

from irisgate.config import KeyConfig
from irisgate.providers.base import BaseProvider
from irisgate.providers.openai.answers import parse_images
from irisgate.providers.openai.errors import json_object
from irisgate.providers.openai.mapping import (
    EDITS_PATH,
    GENERATIONS_PATH,
    build_edit_call,
    build_generation_body,
)
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult

__all__ = ["OpenAIProvider"]


class OpenAIProvider(BaseProvider):
    name = "openai"

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        body = build_generation_body(request, model)
        response = await self.client.post_json(self.base_url + GENERATIONS_PATH, body, self._auth(key))
        return parse_images(json_object(response, key.name), body, model)

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        call = build_edit_call(request, model)
        response = await self.client.post_multipart(
            self.base_url + EDITS_PATH, call.fields, call.files, self._auth(key)
        )
        return parse_images(json_object(response, key.name), call.body, model)

    @staticmethod
    def _auth(key: KeyConfig) -> dict[str, str]:
        return {"Authorization": f"Bearer {key.secret}"}
