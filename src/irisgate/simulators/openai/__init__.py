"""Offline simulator of OpenAI's Images API (`https://api.openai.com/v1`), which the official `openai`
client works against directly (`OpenAI(base_url=<simulator URL> + "/v1")`).

    sim = OpenAISimulator(OpenAISimSettings(api_keys={"sim-openai-key"}))
    sim.app        # Starlette ASGI app: POST /v1/images/generations (JSON), POST /v1/images/edits
                   # (multipart), DALL·E URLs at /private/org-sim/img-<id>.png, control plane /__fake/*
    sim.settings   # mutable OpenAISimSettings (settings.py: rate limit, retry-after, usage, URL expiry)
    sim.requests   # list[RecordedRequest]; an edit's body is {"fields": {...}, "files": [{name,
                   # filename, content_type, size, sha256}]}, its raw bytes in `raw`
    sim.tasks()    # what was made, oldest first
    sim.add_fault(OpenAIFault(kind="http_error", status=429, times=1)); sim.clear_faults()
    sim.reset()

Modules: app (routes and answers), validation (the per-model checks and OpenAI's 400s), models (the
model table), render (image bytes and usage), errors (OpenAI's error object), faults, settings.
Shared with the other simulators: simulators.common (recording, control plane, faults, images).
"""

from typing import Any

from ..common.recording import RecordedRequest
from .app import OpenAISimulator
from .faults import OpenAIFault
from .settings import OpenAISimSettings

__all__ = ["OpenAIFault", "OpenAISimSettings", "OpenAISimulator", "RecordedRequest", "simulator_app"]


def simulator_app(api_keys: set[str]) -> Any:
    """The simulator `irisgate simulate` serves (the provider catalog names this factory)."""
    return OpenAISimulator(OpenAISimSettings(api_keys=api_keys)).app
