"""Offline simulator of the Runway developer API (`https://api.dev.runwayml.com`).

    sim = RunwaySimulator(RunwaySimSettings(api_keys={"key_" + "0" * 128}))
    sim.app        # Starlette ASGI app: POST /v1/{image_to_video,text_to_video,video_to_video,text_to_image},
                   # GET/DELETE /v1/tasks/{id}, POST /v1/uploads (+ POST /__upload/<id>),
                   # outputs at /cdn/<task id>/<uuid>.{mp4,png}?_jwt=..., control plane at /__fake/*
    sim.settings   # mutable RunwaySimSettings (see settings.py for every knob)
    sim.requests   # list[RecordedRequest] (method, path, lower-case headers, parsed body, raw)
    sim.tasks()    # public task objects, oldest first (no poll counted)
    sim.add_fault(RunwayFault(kind="http_error", status=429, times=1)); sim.clear_faults()
    sim.reset()

Modules: app (routes + RunwaySimulator), models (per-model table and credits), validation + issues
(Zod-shaped 400s), assets (URL / data URI / runway:// checks), tasks (lifecycle and task objects),
faults, media (output URLs and files), uploads, errors, settings. Shared with the Runware simulator:
simulators.common (recording, control plane, settings patching, fault registry, byte ranges, images).
"""

from typing import Any

from ..common.recording import RecordedRequest
from .app import RunwaySimulator
from .faults import RunwayFault
from .settings import RunwaySimSettings

__all__ = ["RecordedRequest", "RunwayFault", "RunwaySimSettings", "RunwaySimulator", "simulator_app"]


def simulator_app(api_keys: set[str]) -> Any:
    """The simulator `irisgate simulate` serves (the provider catalog names this factory): it takes
    input images from any URL, not only HTTPS ones, so that local files can be tried."""
    return RunwaySimulator(RunwaySimSettings(api_keys=api_keys, https_only_inputs=False)).app
