"""Offline simulator of the Runware REST API (`POST https://api.runware.ai/v1`): images and videos.

    sim = RunwareSimulator(RunwareSimSettings(api_keys={"good-key"}))
    sim.app                  # Starlette ASGI app: POST /v1, images at /image/ws/0.5/ii/<uuid>.<ext>,
                             # videos at /video/ws/0.5/vi/<uuid>.<ext> (GET/HEAD, Range), /__fake/*
    sim.settings             # mutable RunwareSimSettings (see settings.py for every knob)
    sim.requests             # list[RecordedRequest] (method, path, lower-case headers, parsed body, raw)
    sim.tasks("imageInference")   # or "videoInference", "getResponse", ...
    sim.add_fault(Fault(kind="http_error", status=429, times=1)); sim.clear_faults()
    sim.reset()

Modules: app (routes + RunwareSimulator), envelope (body/auth/response shape), tasks (taskType ->
handler registry), validation + inputs (field and image-reference checks), image_tasks
(imageInference, imageUpload), video_tasks (videoInference, always async), video_validation +
video_models (videoInference checks, per-model durations and sizes), video_encoding (MP4 / MOV / WEBM
bytes), polling (getResponse), jobs (async state machine), media (Pillow images + media store),
faults, control (/__fake), settings, state, errors, context. Shared with the Runway simulator:
simulators.common (recording, control plane, settings patching, fault base, byte ranges, images).
"""

from typing import Any

from .app import RunwareSimulator
from .faults import Fault
from .settings import RunwareSimSettings
from .state import RecordedRequest

__all__ = ["Fault", "RecordedRequest", "RunwareSimSettings", "RunwareSimulator", "simulator_app"]


def simulator_app(api_keys: set[str]) -> Any:
    """The simulator `irisgate simulate` serves (the provider catalog names this factory)."""
    return RunwareSimulator(RunwareSimSettings(api_keys=api_keys)).app
