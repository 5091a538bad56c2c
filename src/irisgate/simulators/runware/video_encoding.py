"""Real video bytes for each Runware video `outputFormat`.

MP4: the shared H.264 encoder (`simulators.mp4.encode_mp4`). MOV: the same H.264 stream in a
QuickTime container. WEBM: VP9 in WebM (both through `simulators.mp4.encode_clip`). All yuv420p,
exactly width x height, (frames / fps) long, cached per shape. `outputQuality` does not change the
bytes (the picture is a plain fade anyway).
"""

from __future__ import annotations

from ..mp4 import DEFAULT_FPS, X264_OPTIONS, encode_clip, encode_mp4

# outputFormat -> (Content-Type, file extension)
VIDEO_FORMATS: dict[str, tuple[str, str]] = {
    "MP4": ("video/mp4", "mp4"),
    "WEBM": ("video/webm", "webm"),
    "MOV": ("video/quicktime", "mov"),
}

# outputFormat -> (PyAV container, codec, encoder options) for the formats not handled by encode_mp4.
_CONTAINERS: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "MOV": ("mov", "libx264", X264_OPTIONS),
    "WEBM": ("webm", "libvpx-vp9", (("deadline", "realtime"), ("cpu-used", "8"))),
}

# Formats whose container tolerates a trailing MP4/QuickTime `free` box (the padding knob).
PADDABLE_FORMATS = frozenset({"MP4", "MOV"})


def encode_video(
    output_format: str, width: int, height: int, seconds: float, fps: int = DEFAULT_FPS
) -> bytes:
    """The video bytes for ``output_format`` (MP4 | MOV | WEBM)."""
    if output_format == "MP4":
        return encode_mp4(width, height, seconds, fps)
    return encode_clip(*_CONTAINERS[output_format], width, height, seconds, fps)
