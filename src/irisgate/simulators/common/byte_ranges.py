"""Serving media over HTTP: GET and HEAD, single `Range` requests, streamed MP4 padding.

Range: `bytes=a-b`, `bytes=a-` and `bytes=-n` give 206 with `Content-Range: bytes a-b/size`; a range
that starts past the end (or `-0`) gives 416 with `Content-Range: bytes */size`. A header that is not
one well-formed byte range (another unit, several ranges, garbage) is ignored: 200 with the whole
file, as RFC 9110 allows. Padded videos are streamed chunk by chunk and never built in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..mp4 import padding_chunks

_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.I)

CACHE_CONTROL = "public, max-age=2592000"


@dataclass(frozen=True)
class RangedMedia:
    """A file to serve: `data`, then a trailing MP4 `free` box of `padding` bytes (0 for none)."""

    data: bytes
    content_type: str
    padding: int = 0  # streamed after `data` (see mp4.padding_chunks); never stored

    @property
    def size(self) -> int:
        return len(self.data) + self.padding


class Unsatisfiable(Exception):
    """The range does not overlap the file (416)."""


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte of one range, None to serve the whole file; raises Unsatisfiable."""
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix range: the last n bytes
        length = int(last_text)
        if length == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - length), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # syntactically invalid: ignored
    if first >= size:  # also `bytes=<size>-`, which is unsatisfiable, not "the whole file"
        raise Unsatisfiable
    last = min(int(last_text), size - 1) if last_text else size - 1
    return first, last


def _chunks(item: RangedMedia) -> Iterator[bytes]:
    yield item.data
    yield from padding_chunks(item.padding)


def _sliced(item: RangedMedia, first: int, last: int) -> Iterator[bytes]:
    """Bytes first..last (inclusive) of data + padding, walking the chunks without joining them."""
    offset = 0
    for chunk in _chunks(item):
        end = offset + len(chunk)
        if end > first and offset <= last:
            yield chunk[max(0, first - offset) : min(len(chunk), last + 1 - offset)]
        offset = end
        if offset > last:
            return


def media_response(
    request: Request, item: RangedMedia, extra_headers: dict[str, str] | None = None
) -> Response:
    """The 200 / 206 / 416 answer for GET or HEAD of ``item``."""
    size = item.size
    headers = {"cache-control": CACHE_CONTROL, "accept-ranges": "bytes", **(extra_headers or {})}
    try:
        span = parse_range(request.headers.get("range"), size)
    except Unsatisfiable:
        headers.update({"content-range": f"bytes */{size}", "content-length": "0"})
        return Response(b"", status_code=416, headers=headers)
    status = 200
    first, last = 0, size - 1
    if span is not None:
        status = 206
        first, last = span
        headers["content-range"] = f"bytes {first}-{last}/{size}"
    headers["content-length"] = str(last - first + 1)
    if request.method == "HEAD":
        return Response(b"", status_code=status, media_type=item.content_type, headers=headers)
    if item.padding == 0:
        return Response(
            item.data[first : last + 1], status_code=status, media_type=item.content_type, headers=headers
        )
    return StreamingResponse(
        _sliced(item, first, last), status_code=status, media_type=item.content_type, headers=headers
    )
