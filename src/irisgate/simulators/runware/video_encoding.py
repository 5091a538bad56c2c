"""Real video bytes for each Runware video `outputFormat`.

MP4: the shared H.264 encoder (`simulators.mp4.encode_mp4`). MOV: the same H.264 stream in a
QuickTime container. WEBM: VP9 in WebM. All yuv420p, exactly width x height, (frames / fps) long,
cached per shape. `outputQuality` does not change the bytes (the picture is a plain fade anyway).
"""

from __future__ import annotations

import functools
import io

import av

from ..mp4 import DEFAULT_FPS, encode_mp4

# outputFormat -> (Content-Type, file extension)
VIDEO_FORMATS: dict[str, tuple[str, str]] = {
    "MP4": ("video/mp4", "mp4"),
    "WEBM": ("video/webm", "webm"),
    "MOV": ("video/quicktime", "mov"),
}

# outputFormat -> (PyAV container, codec, encoder options) for the formats not handled by encode_mp4.
_CONTAINERS: dict[str, tuple[str, str, dict[str, str]]] = {
    "MOV": ("mov", "libx264", {"preset": "ultrafast", "crf": "35"}),
    "WEBM": ("webm", "libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}),
}

# Formats whose container tolerates a trailing MP4/QuickTime `free` box (the padding knob).
PADDABLE_FORMATS = frozenset({"MP4", "MOV"})


def encode_video(
    output_format: str, width: int, height: int, seconds: float, fps: int = DEFAULT_FPS
) -> bytes:
    """The video bytes for ``output_format`` (MP4 | MOV | WEBM)."""
    if output_format == "MP4":
        return encode_mp4(width, height, seconds, fps)
    return _encode_other(output_format, width, height, seconds, fps)


@functools.lru_cache(maxsize=16)
def _encode_other(output_format: str, width: int, height: int, seconds: float, fps: int) -> bytes:
    container_format, codec, options = _CONTAINERS[output_format]
    frames = max(1, round(seconds * fps))
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(options)
        frame = av.VideoFrame(width, height, "yuv420p")
        for index in range(frames):
            luma = 32 + (index * 7) % 192  # the same slow fade as encode_mp4
            for plane, value in zip(frame.planes, (luma, 128, 128), strict=True):
                plane.update(bytes([value]) * plane.buffer_size)
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()
