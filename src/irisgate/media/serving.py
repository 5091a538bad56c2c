"""`GET`/`HEAD /v1/videos/{id}/content`: the kept copy when there is one, else the provider's link.

A kept video (or thumbnail) is served from the media store in chunks, never whole in memory, with
single byte ranges (`Range: bytes=a-b`, `a-`, `-n` → 206 and `Content-Range`; a range past the end →
416), and for `HEAD` its headers alone, read from the job's record. A media store that cannot be
read falls back to the provider's link while that works. Media removed at its `expires_at` is a 410,
never the provider's (by then dead) link.
"""

from __future__ import annotations

import logging
import re

from starlette.responses import Response, StreamingResponse

from irisgate.jobs.download import not_ready, stream_video
from irisgate.jobs.service import VideoJobs
from irisgate.media.stores import THUMBNAIL_TYPE, MediaStore, MediaStoreError
from irisgate.schemas.errors import GatewayError
from irisgate.store import VideoJobRecord
from irisgate.store.media import EXPIRED, KEPT, PENDING

log = logging.getLogger("irisgate.media")
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.I)
STORE_RETRY_AFTER = "5"


class Unsatisfiable(Exception):
    """The range does not overlap the file."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) bytes of one range; None for the whole file (no header, or one
    that is not a single well-formed byte range, which RFC 9110 lets a server ignore)."""
    match = _RANGE.match(header or "")
    if match is None or not any(match.groups()):
        return None
    first_text, last_text = match.groups()
    if not first_text:  # the last n bytes
        length = int(last_text)
        if length == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise Unsatisfiable
    return first, min(int(last_text), size - 1) if last_text else size - 1


async def serve_stored(
    media: MediaStore, key: str, size: int, content_type: str, range_header: str | None, head: bool
) -> Response:
    headers = {"accept-ranges": "bytes", "content-type": content_type}
    try:
        span = parse_range(range_header, size)
    except Unsatisfiable:
        raise GatewayError(
            416,
            f"Range {range_header!r} is outside the file ({size} bytes)",
            code="range_not_satisfiable",
            param="Range",
            headers={"content-range": f"bytes */{size}"},
        ) from None
    status, (first, last) = (200, (0, size - 1)) if span is None else (206, span)
    if span is not None:
        headers["content-range"] = f"bytes {first}-{last}/{size}"
    headers["content-length"] = str(last - first + 1)
    if head:
        return Response(b"", status_code=status, headers=headers)
    stream = await media.open(key, first, last)
    return StreamingResponse(stream.relay(), status_code=status, headers=headers)


def expired(job: VideoJobRecord) -> GatewayError:
    when = f" at {job.expires_at:%Y-%m-%d %H:%M:%S} UTC" if job.expires_at else ""
    return GatewayError(
        410,
        f"Video {job.id} expired{when}: its media was removed (media.retention_days)",
        code="video_expired",
        headers={"x-should-retry": "false"},
    )


async def serve_video(
    jobs: VideoJobs, media: MediaStore, job: VideoJobRecord, range_header: str | None, head: bool
) -> Response:
    if job.media_state == EXPIRED:
        raise expired(job)
    if job.media_state == KEPT and job.media_key and job.media_size:
        try:
            return await serve_stored(
                media, job.media_key, job.media_size, job.media_type or "video/mp4", range_header, head
            )
        except MediaStoreError as error:
            log.warning(
                "video %s: its kept copy cannot be read (%s); serving the provider's link", job.id, error
            )
    return await stream_video(jobs, job, range_header, head=head)


async def serve_thumbnail(
    media: MediaStore, job: VideoJobRecord, range_header: str | None, head: bool
) -> Response:
    if job.status != "completed":
        raise not_ready(job)
    if job.media_state == EXPIRED:
        raise expired(job)
    if job.media_state == PENDING:
        raise GatewayError(
            409,
            f"Video {job.id} is completed and its thumbnail is being made: try again in a few seconds",
            code="video_not_ready",
            headers={"retry-after": "2"},
        )
    if not job.thumbnail_key:
        why = f": {job.media_error}" if job.media_error else ""
        raise GatewayError(404, f"Video {job.id} has no thumbnail{why}", code="thumbnail_not_found")
    try:
        stored = await media.stat(job.thumbnail_key)
        return await serve_stored(media, job.thumbnail_key, stored.size, THUMBNAIL_TYPE, range_header, head)
    except MediaStoreError as error:
        log.warning("video %s: its thumbnail cannot be read (%s)", job.id, error)
        raise GatewayError(
            503,
            "The media store cannot be read now; try again later",
            code="media_store_unavailable",
            headers={"retry-after": STORE_RETRY_AFTER},
        ) from None
