"""The unified, OpenAI-shaped video requests, job states and the `Video` object.

`POST /v1/videos` takes OpenAI's fields (`model`, `prompt`, `input_reference`,
`seconds`, `size`) plus the gateway's (`negative_prompt`, `seed`, `audio`,
`video_uri`, `extra_params`); any other field flows to the provider as a native one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator

from irisgate.schemas.images import UploadedImage
from irisgate.schemas.requests import GenerationRequest, Integer

VideoStatus = Literal["queued", "in_progress", "completed", "failed"]
TERMINAL_STATUSES = ("completed", "failed")
MAX_SECONDS = 600
SECONDS_PATTERN = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")


@dataclass(frozen=True)
class ImageReference:
    """An input image: uploaded bytes, or a string the provider fetches itself (URL, data URI, asset id)."""

    upload: UploadedImage | None = None
    uri: str | None = None

    def as_uri(self) -> str:
        return self.upload.data_uri() if self.upload is not None else str(self.uri)


class VideoCreateRequest(GenerationRequest):
    seconds: str | None = None
    seed: Integer = Field(default=None, ge=0, le=4294967295)
    audio: bool | None = None
    video_uri: str | None = Field(default=None, min_length=1)
    input_reference: ImageReference | None = None

    @field_validator("seconds", mode="before")
    @classmethod
    def _seconds_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError('expected a number of seconds such as "4"')
        if isinstance(value, int | float):
            value = str(value)
        if isinstance(value, str):
            # ASCII digits only: float() would also read full-width digits, "1_0" and "1e1", and the
            # text travels on to the job record and the provider.
            if not SECONDS_PATTERN.fullmatch(value.strip()):
                raise ValueError(f'expected a number of seconds such as "4", got {value!r}')
            number = float(value)
            if not 0 < number <= MAX_SECONDS:
                raise ValueError(f"must be between 0 and {MAX_SECONDS} seconds, got {value!r}")
            return value.strip()
        return value

    @property
    def seconds_number(self) -> float | None:
        return float(self.seconds) if self.seconds is not None else None


@dataclass(frozen=True)
class VideoTaskState:
    """A provider's view of one video task, already in the unified vocabulary."""

    upstream_id: str
    status: VideoStatus
    progress: int = 0
    output_url: str | None = None
    cost_usd: float | None = None
    error_code: str | None = None
    error_message: str | None = None


def progress_percent(value: Any, scale: float = 1.0) -> int:
    """A provider's progress (0..scale) as an integer from 0 to 100."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return 0
    return max(0, min(100, round(value * 100 / scale)))
