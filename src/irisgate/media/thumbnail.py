"""A video's thumbnail: its first frame, decoded with PyAV at the video's own size, as a WEBP (Pillow).

WEBP as OpenAI's `variant=thumbnail` answers. Decoding is CPU work: callers run ``first_frame`` in a
thread (``asyncio.to_thread``), never on the event loop.
"""

from __future__ import annotations

import io
from pathlib import Path

QUALITY = 80


class ThumbnailError(Exception):
    """The file has no frame PyAV can decode."""


def first_frame(path: Path) -> bytes:
    """The first frame of the video at ``path``, width x height as the video's, as WEBP bytes."""
    # Imported with the first thumbnail, not at start-up: PyAV and its FFmpeg libraries are ~22 MiB
    # of every worker's resident memory, and a gateway whose jobs end without media never needs them.
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise ThumbnailError("the file has no video stream")
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                image = frame.to_image()
                break
            else:
                raise ThumbnailError("the video has no frame")
    except av.FFmpegError as error:
        raise ThumbnailError(f"the video cannot be decoded ({error})") from None
    output = io.BytesIO()
    image.save(output, "WEBP", quality=QUALITY)
    return output.getvalue()
