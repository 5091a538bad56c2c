"""Load and validate the irisgate config file (JSON or YAML; Bifrost-compatible ``providers`` block).

This module is the public face of configuration; the pieces live in ``models`` (the objects),
``parse`` (validation; ``fields`` the names each level may hold, ``network`` the network, proxy and
TLS settings), ``secrets`` (``env.NAME`` references, redaction), ``durations`` and ``errors``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import yaml

from irisgate.config.durations import parse_duration
from irisgate.config.errors import ConfigError, field_path
from irisgate.config.models import (
    GatewayConfig,
    KeyConfig,
    MediaConfig,
    NetworkConfig,
    ProviderConfig,
    ProxyConfig,
    key_id_for,
)
from irisgate.config.parse import parse_document, parse_key, parse_models, parse_network_config
from irisgate.config.secrets import env_var_of, redact_secret, resolve_secret

__all__ = [
    "ConfigError",
    "GatewayConfig",
    "KeyConfig",
    "MediaConfig",
    "NetworkConfig",
    "ProviderConfig",
    "ProxyConfig",
    "env_var_of",
    "field_path",
    "key_id_for",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_key",
    "parse_models",
    "parse_network_config",
    "redact_secret",
    "resolve_secret",
]


def parse_config(data: Any, source: str = "<config>") -> GatewayConfig:
    """Validate an already-decoded document (dicts and lists). ``source`` names it in top-level errors."""
    try:
        return parse_document(data, source)
    except ConfigError as error:
        error.source = source
        raise


def load_config(path: Path | str | None) -> GatewayConfig:
    """Read, parse and validate a config file. ``None`` gives an empty config (no providers)."""
    if path is None:
        return GatewayConfig()
    path = Path(path)
    name = str(path)
    data = _decode(_read_text(path), path)
    return dataclasses.replace(parse_config(data, name), source_path=path)


def _read_text(path: Path) -> str:
    name = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(name, "config file not found", name) from None
    except IsADirectoryError:
        raise ConfigError(name, "is a directory, not a config file", name) from None
    except OSError as error:
        raise ConfigError(name, f"cannot read the config file ({error.strerror or error})", name) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ConfigError(name, f"not valid UTF-8 text (byte offset {error.start})", name) from None


def _decode(text: str, path: Path) -> Any:
    """JSON for .json, YAML for .yaml/.yml, otherwise JSON then YAML. Errors give line and column."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _parse_json(text, str(path))
    if suffix in (".yaml", ".yml"):
        return _parse_yaml(text, str(path))
    try:
        return _parse_json(text, str(path))
    except ConfigError as json_error:
        try:
            return _parse_yaml(text, str(path))
        except ConfigError as yaml_error:
            message = f"neither {json_error.message} nor {yaml_error.message}"
            raise ConfigError(str(path), message, str(path)) from None


def _parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        # error.msg is the bare reason ("Expecting ',' delimiter"); it never quotes file content.
        where = f"line {error.lineno}, column {error.colno}"
        raise ConfigError(name, f"invalid JSON at {where}: {error.msg}", name) from None


def _parse_yaml(text: str, name: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        # Only the mark's position and the short problem text: str(error) would quote file lines.
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ConfigError(name, f"invalid YAML{where}: {problem}", name) from None
