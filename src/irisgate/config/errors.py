"""The one exception type of configuration loading, and field-path formatting."""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(Exception):
    """A configuration problem, located by a field path such as ``providers.runware.keys[0].value``.

    ``str(error)`` is ``"<field>: <message>"``. Messages never contain secret values.
    ``source`` names the file (or other origin) the configuration came from, when known.
    """

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.source = source


def field_path(parts: Iterable[str | int]) -> str:
    """Join path parts the way errors name fields: ``("a", "b", 0, "c")`` -> ``"a.b[0].c"``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text
