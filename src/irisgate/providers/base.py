"""The contract every provider module implements.

A provider turns a unified request into its wire request, sends it with the key
the router chose, and turns the answer (or error) back into the unified shape.
An operation a provider lacks raises `unsupported_operation` (HTTP 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from irisgate.providers.http import UpstreamClient
from irisgate.schemas.errors import unsupported_operation

if TYPE_CHECKING:
    from irisgate.config import KeyConfig, NetworkConfig
    from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult
    from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState


@dataclass(frozen=True)
class VideoSubmission:
    """What a provider answered to a video create: its task id and the parameters it applied."""

    upstream_id: str
    seconds: str | None
    size: str | None
    cost_usd: float | None = None


class Provider(Protocol):
    name: str
    network: NetworkConfig
    client: UpstreamClient

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult: ...

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult: ...

    async def vary_images(self, model: str, key: KeyConfig) -> ImagesResult: ...

    async def create_video(
        self, request: VideoCreateRequest, model: str, key: KeyConfig
    ) -> VideoSubmission: ...

    async def retrieve_video(self, upstream_id: str, key: KeyConfig) -> VideoTaskState: ...

    async def delete_video(self, upstream_id: str, key: KeyConfig) -> None: ...

    async def aclose(self) -> None: ...


class BaseProvider:
    """A provider's connection pool and base URL, and default answers for operations it does not offer."""

    name = "provider"

    def __init__(self, network: NetworkConfig) -> None:
        self.network = network
        self.base_url = network.base_url.rstrip("/")
        self.client = UpstreamClient(self.name, network)

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        raise unsupported_operation("image_generation", self.name)

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        raise unsupported_operation("image_edit", self.name)

    async def vary_images(self, model: str, key: KeyConfig) -> ImagesResult:
        raise unsupported_operation("image_variation", self.name)

    async def create_video(self, request: VideoCreateRequest, model: str, key: KeyConfig) -> VideoSubmission:
        raise unsupported_operation("video_generation", self.name)

    async def retrieve_video(self, upstream_id: str, key: KeyConfig) -> VideoTaskState:
        raise unsupported_operation("video_retrieve", self.name)

    async def delete_video(self, upstream_id: str, key: KeyConfig) -> None:
        raise unsupported_operation("video_delete", self.name)

    async def aclose(self) -> None:
        await self.client.aclose()
