"""The ``media`` block of the config file: where irisgate keeps completed videos, and for how long.

Read into a ``MediaConfig`` (already checked for unknown fields); a bad value is a ``ConfigError``
naming its path. S3 settings under ``store: local`` (or ``path`` under ``store: s3``) are errors too:
a setting that would be silently ignored is a typo waiting to bite.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from irisgate.config.errors import ConfigError
from irisgate.config.fields import MEDIA_S3_ONLY
from irisgate.config.models import MAX_RETENTION_DAYS, MEDIA_STORES, MediaConfig
from irisgate.config.secrets import resolve_secret

# S3's rules for bucket names (3-63 characters: lower-case letters, digits, dots and hyphens).
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def media_settings(media: Mapping[Any, Any]) -> MediaConfig:
    store = media.get("store", "local")
    if store is None:
        store = "local"
    if store not in MEDIA_STORES:
        raise ConfigError("media.store", f"must be one of {', '.join(MEDIA_STORES)}")
    retention = _retention(media.get("retention_days"))
    if store == "local":
        for name in MEDIA_S3_ONLY:
            if media.get(name) is not None:
                raise ConfigError(f"media.{name}", "applies to `store: s3` only")
        return MediaConfig(store="local", path=_path(media.get("path")), retention_days=retention)
    if media.get("path") is not None:
        raise ConfigError("media.path", "applies to `store: local` only (S3 objects go under `prefix`)")
    bucket = _text(media, "bucket")
    if bucket is None:
        raise ConfigError("media.bucket", "is required with `store: s3`")
    if not _BUCKET.fullmatch(bucket):
        raise ConfigError("media.bucket", "must be an S3 bucket name (3-63 of a-z, 0-9, '.', '-')")
    key_ref, secret_ref = _text(media, "access_key_id"), _text(media, "secret_access_key")
    if (key_ref is None) != (secret_ref is None):
        missing = "secret_access_key" if secret_ref is None else "access_key_id"
        raise ConfigError(f"media.{missing}", "is required with the other half of the access key")
    return MediaConfig(
        store="s3",
        bucket=bucket,
        prefix=_prefix(_text(media, "prefix")),
        endpoint_url=_endpoint(_text(media, "endpoint_url")),
        region=_text(media, "region"),
        access_key_id=resolve_secret(key_ref, "media.access_key_id") if key_ref else None,
        secret_access_key=resolve_secret(secret_ref, "media.secret_access_key") if secret_ref else None,
        access_key_id_ref=key_ref,
        secret_access_key_ref=secret_ref,
        retention_days=retention,
    )


def _text(media: Mapping[Any, Any], name: str) -> str | None:
    value = media.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"media.{name}", "must be a non-empty string")
    return value.strip()


def _path(value: object) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("media.path", "must be a non-empty string (a folder; relative: in the app dir)")
    return Path(value.strip()).expanduser()


def _prefix(value: str | None) -> str:
    """Object names begin with it: no leading slash, one trailing slash."""
    if value is None:
        return ""
    value = value.strip("/")
    return f"{value}/" if value else ""


def _endpoint(value: str | None) -> str | None:
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("media.endpoint_url", "must be an http(s) URL, e.g. https://s3.example.com")
    return value.rstrip("/")


def _retention(value: object) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0 < value <= MAX_RETENTION_DAYS
    ):
        return float(value)
    raise ConfigError(
        "media.retention_days",
        f"must be a number of days above 0 (fractions allowed), at most {MAX_RETENTION_DAYS:g}; "
        "leave it out to keep media for good",
    )
