"""The contract every provider module implements.

A provider turns a unified request into its wire request, sends it with the key
the router chose, and turns the answer (or error) back into the unified shape.
An operation a provider lacks raises `unsupported_operation` (HTTP 400).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from irisgate.schemas.errors import unsupported_operation

if TYPE_CHECKING:
    from irisgate.config import KeyConfig
    from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult


class Provider(Protocol):
    name: str

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult: ...

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult: ...

    async def vary_images(self, model: str, key: KeyConfig) -> ImagesResult: ...

    async def aclose(self) -> None: ...


class BaseProvider:
    """Default answers for operations a provider does not offer."""

    name = "provider"

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        raise unsupported_operation("image_generation", self.name)

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        raise unsupported_operation("image_edit", self.name)

    async def vary_images(self, model: str, key: KeyConfig) -> ImagesResult:
        raise unsupported_operation("image_variation", self.name)

    async def aclose(self) -> None:
        return None
