"""Knobs of the Runware simulator: one mutable dataclass, patchable from JSON (common.settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.settings import SimSettings

# Documented limits the simulator enforces (the real API is per model; these are the generic AIR values).
PROMPT_MIN_CHARS = 2
PROMPT_MAX_CHARS = 3000
DIMENSION_MIN = 128
DIMENSION_MAX = 2048
DIMENSION_STEP = 64
DEFAULT_DIMENSION = 1024
NUMBER_RESULTS_MAX = 20
# USD per generated image, reported as `cost` when `includeCost` is true.
COST_PER_IMAGE = 0.0013
# USD per second of generated video (each video's `cost` = this x its duration), with `includeCost`.
COST_PER_VIDEO_SECOND = 0.05


@dataclass
class RunwareSimSettings(SimSettings):
    """Behaviour switches. Tests mutate the instance in place (``sim.settings.x = ...``)."""

    api_keys: set[str] = field(default_factory=set)
    # getResponse polls answered "processing" before "success" (0 = done on the first poll).
    async_polls_to_complete: int = 1
    # When set, async tasks finish this many seconds after submission instead of after N polls.
    async_delay_seconds: float | None = None
    # Add an integer `progress` (0-100) to "processing" items.
    report_progress: bool = False
    # Report task failures as a data item {"status":"error","error":{...}} instead of errors[].
    error_item_form: bool = False
    # Media URLs stop working: they answer `urls_expired_status` (404 or 403).
    urls_expired: bool = False
    urls_expired_status: int = 404
    # Each media URL answers `urls_expired_status` once this many seconds have passed since it was
    # given out (a task's results), for good: Runware gives the same URL again. None: never.
    urls_expire_after_seconds: float | None = None
    # None = any well-formed AIR (`provider:id@version`) is a model; else only these.
    known_models: set[str] | None = None
    # Reject fields outside the imageInference / videoInference allowlist with `unsupportedParameter`.
    reject_unknown_fields: bool = False
    # videoInference: polls answered "processing" before "success"; None = async_polls_to_complete.
    # (async_delay_seconds, when set, drives video jobs by time too.)
    video_polls_to_complete: int | None = None
    # videoInference: bytes of a trailing MP4 `free` box appended to MP4/MOV outputs (0 = none, else
    # >= 16), streamed when served, so a test can get a big, still valid, file without memory cost.
    video_padding_bytes: int = 0
    # videoInference: "new" models that reject the legacy flat `frameImages` form with
    # `unsupportedParameter` (they take only `inputs.frameImages`).
    flat_frames_rejected_models: set[str] = field(default_factory=set)
    # Seed of the generator that decides whether a fault with `chance` < 1 hits (None = unpredictable).
    fault_seed: int | None = None
