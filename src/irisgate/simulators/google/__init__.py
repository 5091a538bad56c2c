"""Offline simulator of the Gemini API (`https://generativelanguage.googleapis.com`) for Imagen and Veo.

    sim = GoogleSimulator(GoogleSimSettings(api_keys={"sim-google-key"}))
    sim.app        # Starlette ASGI app: POST /v1beta/models/{model}:predict (Imagen, images inline),
                   # POST /v1beta/models/{model}:predictLongRunning (Veo, an operation),
                   # GET /v1beta/models/{model}/operations/{id},
                   # GET|HEAD /v1beta/files/{id}:download?alt=media (MP4, with the key), /__fake/*
    sim.settings   # mutable GoogleSimSettings (see settings.py for every knob)
    sim.requests   # list[RecordedRequest] (method, path, lower-case headers, parsed body, raw)
    sim.tasks()    # every operation's object, oldest first (no poll counted)
    sim.add_fault(GoogleFault(kind="quota", times=1)); sim.clear_faults()
    sim.reset()

Auth is `x-goog-api-key: <key>` (or `?key=`); a bad key gets 400 INVALID_ARGUMENT / API_KEY_INVALID,
none 403 PERMISSION_DENIED. Modules: app (routes + GoogleSimulator), models (what each model takes),
validation (400s naming the field), operations (lifecycle), media (PNG/JPEG and MP4 bytes), faults,
errors, settings. Shared with the other simulators: simulators.common.
"""

from typing import Any

from ..common.recording import RecordedRequest
from .app import GoogleSimulator
from .faults import GoogleFault
from .settings import GoogleSimSettings

__all__ = ["GoogleFault", "GoogleSimSettings", "GoogleSimulator", "RecordedRequest", "simulator_app"]


def simulator_app(api_keys: set[str]) -> Any:
    """The simulator `irisgate simulate` serves (the provider catalog names this factory)."""
    return GoogleSimulator(GoogleSimSettings(api_keys=api_keys)).app
