"""Helpers for the video tests: what the simulators received, and MP4 checks."""

from __future__ import annotations

import io
from typing import Any

import av


def posts(sim: Any, path: str | None = None) -> list[Any]:
    return [r for r in sim.requests if r.method == "POST" and (path is None or r.path == path)]


def mp4_info(data: bytes) -> tuple[str, int, int, float]:
    """(codec, width, height, seconds) of MP4 bytes; raises if they do not decode."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(video=0))
        assert frames > 0
        return stream.codec_context.name, stream.width, stream.height, float(container.duration or 0) / 1e6
