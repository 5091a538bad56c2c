"""Real, decodable video bytes (H.264 MP4 and other formats) for the simulators' video outputs (PyAV).

`encode_mp4(width, height, seconds)` gives an `ftyp`+`moov` MP4, H.264, yuv420p, of exactly
that frame size and (frames / fps) duration; `encode_clip` does the same for any PyAV container,
codec and encoder options (e.g. WebM/VP9). Results are cached, so a simulator can serve many jobs of
the same shape cheaply. `padding_chunks(n)` yields a trailing MP4 `free` box of n bytes in small
chunks: appended to a video it keeps the file valid while making it as large as a test or benchmark
needs (hundreds of MB) without ever holding that much in memory.
"""

from __future__ import annotations

import functools
import io
import struct
from collections.abc import Iterator

import av

DEFAULT_FPS = 12
PADDING_CHUNK = 256 * 1024
FREE_BOX_HEADER = 16  # 64-bit "largesize" form: size=1, type, largesize
X264_OPTIONS = (("preset", "ultrafast"), ("crf", "35"))  # encoder (name, value) pairs for H.264


@functools.lru_cache(maxsize=48)
def encode_clip(
    container_format: str,
    codec: str,
    options: tuple[tuple[str, str], ...],
    width: int,
    height: int,
    seconds: float,
    fps: int = DEFAULT_FPS,
) -> bytes:
    """A yuv420p ``codec`` video in a ``container_format`` file (PyAV names, e.g. "mp4", "libx264"),
    `width` x `height`, lasting `seconds` (rounded to whole frames, at least one); ``options`` are the
    encoder's (name, value) pairs, a tuple so that results can be cached per shape."""
    frames = max(1, round(seconds * fps))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(options)
        frame = av.VideoFrame(width, height, "yuv420p")
        for index in range(frames):
            luma = 32 + (index * 7) % 192  # a slow fade, so frames differ
            for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


def encode_mp4(width: int, height: int, seconds: float, fps: int = DEFAULT_FPS) -> bytes:
    """An H.264 MP4 of `width` x `height` lasting `seconds` (rounded to whole frames, at least one)."""
    if width < 2 or height < 2 or width % 2 or height % 2:
        raise ValueError(f"H.264 yuv420p needs even dimensions >= 2, got {width}x{height}")
    return encode_clip("mp4", "libx264", X264_OPTIONS, width, height, seconds, fps)


def padding_chunks(total: int) -> Iterator[bytes]:
    """A `free` box of exactly `total` bytes (0, or at least 16), in chunks of at most 256 KiB."""
    if total == 0:
        return
    if total < FREE_BOX_HEADER:
        raise ValueError(f"a free box needs at least {FREE_BOX_HEADER} bytes, got {total}")
    yield struct.pack(">I4sQ", 1, b"free", total)
    remaining = total - FREE_BOX_HEADER
    zeros = bytes(PADDING_CHUNK)
    while remaining > 0:
        step = min(remaining, PADDING_CHUNK)
        yield zeros[:step]
        remaining -= step
