"""The contract every provider module implements.

A provider turns a unified request into its wire request, sends it with the key
the router chose, and turns the answer (or error) back into the unified shape.
An operation a provider lacks raises `unsupported_operation` (HTTP 400).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from irisgate.providers.http import UpstreamClient
from irisgate.schemas.errors import unsupported_operation

MEDIA_CHUNK = 64 * 1024

if TYPE_CHECKING:
    from irisgate.config import KeyConfig, NetworkConfig
    from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImagesResult
    from irisgate.schemas.videos import VideoCreateRequest, VideoTaskState


@dataclass(frozen=True)
class VideoPlan:
    """A video create checked and made into the provider's wire request, before anything is sent.

    ``upstream_id`` is the task's id when the caller chooses it (Runware's ``taskUUID``), so that the
    job record written before sending already names the task; else None until the answer gives it.
    """

    wire: Any  # what ``submit_video`` sends; its shape is the provider's own
    upstream_id: str | None
    seconds: str | None
    size: str | None


@dataclass(frozen=True)
class MediaStream:
    """A download that has started: the media host's status and headers, then its body as it comes.
    Whoever opened it must ``release()`` it, whether or not the body was read."""

    status: int
    headers: Mapping[str, str]
    chunks: AsyncIterator[bytes]
    release: Callable[[], None]


@dataclass(frozen=True)
class VideoSubmission:
    """What a provider answered to a video create: its task id and the cost it announced."""

    upstream_id: str
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

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan: ...

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission: ...

    # A task is named by the id the provider gave it and the model it runs (the job's record keeps
    # both): some providers' task URLs hold the model's path (fal's queue).
    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState: ...

    async def delete_video(self, upstream_id: str, model: str, key: KeyConfig) -> None: ...

    async def open_media(self, url: str, key: KeyConfig, headers: Mapping[str, str]) -> MediaStream: ...

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

    def plan_video(self, request: VideoCreateRequest, model: str) -> VideoPlan:
        raise unsupported_operation("video_generation", self.name)

    async def submit_video(self, plan: VideoPlan, key: KeyConfig) -> VideoSubmission:
        raise unsupported_operation("video_generation", self.name)

    async def retrieve_video(self, upstream_id: str, model: str, key: KeyConfig) -> VideoTaskState:
        raise unsupported_operation("video_retrieve", self.name)

    async def delete_video(self, upstream_id: str, model: str, key: KeyConfig) -> None:
        raise unsupported_operation("video_delete", self.name)

    async def open_media(self, url: str, key: KeyConfig, headers: Mapping[str, str]) -> MediaStream:
        """Start downloading an output the provider gave (its own URL, public or signed: no
        credentials are sent unless a provider's host needs them, and then it says so here)."""
        response = await self.client.open_stream(url, headers)
        return MediaStream(
            response.status, response.headers, response.content.iter_chunked(MEDIA_CHUNK), response.release
        )

    async def aclose(self) -> None:
        await self.client.aclose()
