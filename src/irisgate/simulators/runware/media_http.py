"""Serving media over HTTP (GET/HEAD, single `Range` requests, streamed MP4 padding): the shared
implementation lives in `simulators.common.byte_ranges`; this module keeps the Runware-side names."""

from __future__ import annotations

from ..common.byte_ranges import CACHE_CONTROL, RangedMedia, Unsatisfiable, media_response, parse_range

__all__ = ["CACHE_CONTROL", "RangedMedia", "Unsatisfiable", "media_response", "parse_range"]
