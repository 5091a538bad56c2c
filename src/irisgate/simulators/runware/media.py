"""Real image bytes (Pillow) and the in-memory store the simulator serves images and videos from
(`StoredMedia`: a `common.byte_ranges.RangedMedia` with its extension and kind)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from ..common.byte_ranges import RangedMedia

# Image helpers shared with the Runway simulator; re-exported for the Runware modules that use them.
from ..common.images import OUTPUT_FORMATS, colours_for, image_size, render_image, sniff_image

__all__ = [
    "INPUT_FORMATS",
    "MEDIA_PATH_PREFIX",
    "OUTPUT_FORMATS",
    "VIDEO_PATH_PREFIX",
    "MediaStore",
    "StoredMedia",
    "colours_for",
    "image_size",
    "render_image",
    "sniff_image",
]

# Sniffed input formats -> (Content-Type, extension). Uploads also accept BMP and GIF.
INPUT_FORMATS: dict[str, tuple[str, str]] = {
    "PNG": ("image/png", "png"),
    "JPEG": ("image/jpeg", "jpg"),
    "WEBP": ("image/webp", "webp"),
    "BMP": ("image/bmp", "bmp"),
    "GIF": ("image/gif", "gif"),
}

MEDIA_PATH_PREFIX = "/image/ws/0.5/ii/"
VIDEO_PATH_PREFIX = "/video/ws/0.5/vi/"


@dataclass(frozen=True, kw_only=True)
class StoredMedia(RangedMedia):
    ext: str
    kind: str = "image"  # "image" (served under MEDIA_PATH_PREFIX) | "video" (VIDEO_PATH_PREFIX)
    issued: float = field(default_factory=time.monotonic)  # when its URL was first given out

    def expired(self, after: float | None) -> bool:
        """Whether its URL has stopped working, ``after`` seconds from when it was given out."""
        return after is not None and time.monotonic() - self.issued >= after


class MediaStore:
    """uuid -> bytes; served at `/image/ws/0.5/ii/<uuid>.<ext>` (images) like im.runware.ai and at
    `/video/ws/0.5/vi/<uuid>.<ext>` (videos) like vm.runware.ai."""

    def __init__(self) -> None:
        self._items: dict[str, StoredMedia] = {}
        self._lock = threading.Lock()

    def put(
        self,
        media_uuid: str,
        data: bytes,
        content_type: str,
        ext: str,
        *,
        kind: str = "image",
        padding: int = 0,
    ) -> StoredMedia:
        item = StoredMedia(data, content_type, padding, ext=ext, kind=kind)
        with self._lock:
            self._items[media_uuid] = item
        return item

    def get(self, media_uuid: str) -> StoredMedia | None:
        with self._lock:
            return self._items.get(media_uuid)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @staticmethod
    def url_for(base_url: str, media_uuid: str, ext: str) -> str:
        return f"{base_url.rstrip('/')}{MEDIA_PATH_PREFIX}{media_uuid}.{ext}"

    @staticmethod
    def video_url_for(base_url: str, media_uuid: str, ext: str) -> str:
        return f"{base_url.rstrip('/')}{VIDEO_PATH_PREFIX}{media_uuid}.{ext}"

    def lookup_url(self, url: str) -> StoredMedia | None:
        """The stored item a URL of this simulator points at (any host), if any."""
        marker = url.find(MEDIA_PATH_PREFIX)
        if marker < 0:
            return None
        name = url[marker + len(MEDIA_PATH_PREFIX) :].split("?", 1)[0]
        media_uuid, _, ext = name.partition(".")
        item = self.get(media_uuid)
        return item if item is not None and item.kind == "image" and item.ext == ext else None
