"""Where kept media lives: the small interface every media store offers, and the one in force.

A store puts a stream under a key (never holding the whole file), tells an object's size and type,
opens a byte range of it as a stream, and deletes it. Anything that goes wrong inside the store (a
full disk, a read-only one, an S3 server that is down or refuses) is a ``MediaStoreError`` with a
message fit for a log or the dashboard (never a credential); a key that holds nothing is
``MediaMissing``. Keys are ``videos/<day>/<video id>/<name>``: one folder per video, grouped by day.
"""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from irisgate.config import MediaConfig
    from irisgate.store import VideoJobRecord

READ_CHUNK = 256 * 1024  # what a ranged read yields at a time

VIDEO_EXTENSIONS = {"video/mp4": ".mp4", "video/webm": ".webm", "video/quicktime": ".mov"}
THUMBNAIL_NAME = "thumbnail.webp"
THUMBNAIL_TYPE = "image/webp"


class MediaStoreError(Exception):
    """The media store could not do what was asked (full, read-only, down, refused)."""


class MediaMissing(MediaStoreError):
    """No object under that key."""


@dataclass(frozen=True)
class StoredObject:
    size: int
    content_type: str


@dataclass(frozen=True)
class ByteStream:
    """A range being read: its chunks, then ``close()`` (also when not read to the end)."""

    chunks: AsyncIterator[bytes]
    close: Callable[[], Awaitable[None]]

    async def relay(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.chunks:
                yield chunk
        finally:
            await self.close()


class MediaStore(Protocol):
    kind: str  # "local" | "s3"

    async def put(self, key: str, chunks: AsyncIterable[bytes], content_type: str) -> int:
        """Store the stream under ``key`` (replacing what was there, all at once: a reader sees the
        old object or the new one, never half of one); the number of bytes stored. An error of the
        stream itself (the provider's) is raised as it is, and nothing is left under ``key``."""
        ...

    async def stat(self, key: str) -> StoredObject: ...

    async def open(self, key: str, first: int, last: int) -> ByteStream:
        """Bytes ``first``..``last`` (inclusive) of the object; errors opening it are raised here,
        before anything is sent."""
        ...

    async def delete(self, key: str) -> None:
        """Remove the object; a key that holds nothing is no error."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's file, for a store that keeps files on this machine; else None."""
        ...

    async def aclose(self) -> None: ...


def open_media_store(config: MediaConfig, app_dir: Path) -> MediaStore:
    """The store the ``media`` block chooses (nothing is touched until it is used)."""
    if config.store == "s3":
        from irisgate.media.s3 import S3Store  # the AWS SDK is loaded only by those who use it

        return S3Store(config)
    from irisgate.media.local import LocalStore

    return LocalStore(config.local_path(app_dir))


def media_folder(job: VideoJobRecord) -> str:
    return f"videos/{job.created_at:%Y-%m-%d}/{job.id}"


def video_key(job: VideoJobRecord, content_type: str) -> str:
    return f"{media_folder(job)}/video{VIDEO_EXTENSIONS.get(content_type, '.mp4')}"


def thumbnail_key(job: VideoJobRecord) -> str:
    return f"{media_folder(job)}/{THUMBNAIL_NAME}"


def type_of_key(key: str) -> str:
    """The content type a key's extension stands for (what a store that keeps no type says)."""
    if key.endswith(".webp"):
        return THUMBNAIL_TYPE
    return mimetypes.guess_type(key)[0] or "application/octet-stream"
