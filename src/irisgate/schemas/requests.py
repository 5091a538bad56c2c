"""What every unified generation request shares: model, prompt, size, and provider-native extras.

Any top-level field a request model does not declare is kept and flows to the
provider as a native field; `extra_params` entries win over top-level ones of
the same name.
"""

from __future__ import annotations

import functools
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

# ASCII only (re.ASCII): a Unicode `\d` would take full-width digits (U+FF10..U+FF19) and `\s`
# exotic spaces, which no provider reads.
SIZE_PATTERN = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$", re.ASCII)
AUTO_PATTERN = re.compile(r"^\s*auto\s*$", re.ASCII | re.IGNORECASE)
MAX_SIDE = 16384
MIN_SIDE = 64  # below every provider's minimum: "1x1" is refused here, not upstream
MAX_FALLBACKS = 10
INTEGER_TEXT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def _integer(value: Any) -> Any:
    """Guard pydantic's lax int: it reads `true` as 1 and the text "1_0" as 10 (int()'s rules, which also
    take full-width digits). Text stays welcome when it is ASCII digits: multipart forms send numbers so."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, not a boolean")
    if isinstance(value, str) and not INTEGER_TEXT.fullmatch(value):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


# An optional integer field of a request (counts, seeds); give it bounds with Field(ge=…, le=…).
Integer = Annotated[int | None, BeforeValidator(_integer)]


@functools.lru_cache(maxsize=256)  # validated, then read again for the wire request: a handful of sizes
def parse_size(size: str) -> tuple[int, int] | None:
    """`"1024x768"` → (1024, 768); `"auto"` → None (the provider's default). Raises ValueError otherwise."""
    if AUTO_PATTERN.match(size):
        return None
    match = SIZE_PATTERN.match(size)
    if not match:
        raise ValueError(f"expected WIDTHxHEIGHT such as 1024x1024, got {size!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise ValueError(f"width and height must be between {MIN_SIDE} and {MAX_SIDE}, got {size!r}")
    return width, height


class GenerationRequest(BaseModel):
    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    model: str = Field(min_length=1)
    prompt: str = Field(min_length=1, max_length=32000)
    size: str | None = None
    negative_prompt: str | None = None
    extra_params: dict[str, Any] | None = None
    fallbacks: list[str] | None = Field(default=None, max_length=MAX_FALLBACKS)

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must contain more than whitespace")
        return value

    @field_validator("size")
    @classmethod
    def _check_size(cls, value: str | None) -> str | None:
        if value is not None:
            parse_size(value)
        return value

    @field_validator("fallbacks")
    @classmethod
    def _check_fallbacks(cls, value: list[str] | None) -> list[str] | None:
        for index, model in enumerate(value or []):
            provider, slash, name = model.partition("/")
            if not slash or not provider.strip() or not name.strip():
                raise ValueError(f"fallbacks[{index}] must be 'provider/model', got {model!r}")
        return value

    @property
    def dimensions(self) -> tuple[int, int] | None:
        return parse_size(self.size) if self.size else None

    @property
    def extras(self) -> dict[str, Any]:
        """Provider-native fields: unknown top-level fields, then `extra_params` on top."""
        merged = dict(self.model_extra or {})
        merged.update(self.extra_params or {})
        return merged
