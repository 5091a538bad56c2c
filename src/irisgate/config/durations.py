"""Go-style duration strings ("500ms", "1.5s", "2m", "1h30m") as used by Bifrost's config."""

from __future__ import annotations

import math
import re

_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "\u00b5s": 1e-6,  # micro sign
    "\u03bcs": 1e-6,  # Greek mu
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)")
_HINT = "use a duration such as '500ms', '1.5s' or '2m', or an integer number of milliseconds"


def parse_duration(value: object) -> float:
    """Return a non-negative duration in seconds.

    Accepts a Go duration string, or a number meaning milliseconds (Bifrost's legacy form).
    Raises ``ValueError`` with a message suitable for a config error.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"must be a duration: {_HINT}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"must be a non-negative number of milliseconds or a duration: {_HINT}")
        return value / 1000.0
    text = value.strip()
    if text == "0":
        return 0.0
    shown = text if len(text) <= 40 else text[:40] + "..."
    if not text:
        raise ValueError(f"must not be empty: {_HINT}")
    if text.startswith("-"):
        raise ValueError(f"must not be negative (got {shown!r})")
    text = text.removeprefix("+")
    total = 0.0
    position = 0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None:
            raise ValueError(f"invalid duration {shown!r}: {_HINT}")
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0:
        raise ValueError(f"invalid duration {shown!r}: {_HINT}")
    return total
