"""Offline simulator of fal's queue API (`https://queue.fal.run`) and its media CDN.

    sim = FalSimulator(FalSimSettings(api_keys={"key-id:key-secret"}))
    sim.app        # Starlette ASGI app: POST /<endpoint id>, GET /<owner>/<app>/requests/<id>[/status],
                   # PUT /<owner>/<app>/requests/<id>/cancel, outputs at /files/<bucket>/<name>,
                   # control plane at /__fake/*
    sim.settings   # mutable FalSimSettings (see settings.py for every knob)
    sim.requests   # list[RecordedRequest] (method, path, lower-case headers, parsed body, raw)
    sim.tasks()    # every queued request: id, endpoint, status, polls, input (no poll counted)
    sim.add_fault(FalFault(kind="http_error", status=429, times=1)); sim.clear_faults()
    sim.reset()

Modules: app (routes + FalSimulator), endpoints (listed endpoints, input checks, output sizes), queue
(request lifecycle and status objects), media (output files), faults, errors, settings. Shared with
the other simulators: simulators.common (recording, control plane, settings patching, fault registry,
byte ranges, images) and simulators.mp4.
"""

from typing import Any

from ..common.recording import RecordedRequest
from .app import FalSimulator
from .faults import FalFault
from .settings import FalSimSettings

__all__ = ["FalFault", "FalSimSettings", "FalSimulator", "RecordedRequest", "simulator_app"]


def simulator_app(api_keys: set[str]) -> Any:
    """The simulator `irisgate simulate` serves (the provider catalog names this factory)."""
    return FalSimulator(FalSimSettings(api_keys=api_keys)).app
