"""The validated, immutable configuration objects (what the rest of irisgate reads)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irisgate.config.secrets import env_var_of, redact_secret
from irisgate.providers.catalog import PROVIDERS

DEFAULT_TIMEOUT_SECONDS = 120.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRIES_LIMIT = 10
DEFAULT_RETRY_BACKOFF_INITIAL = 0.5
DEFAULT_RETRY_BACKOFF_MAX = 5.0
DEFAULT_MAX_BODY_MB = 64.0
MAX_BODY_MB_LIMIT = 4096.0
DEFAULT_MAX_UPSTREAM_BODY_MB = 256.0
DEFAULT_MAX_CONCURRENT_LARGE_BODIES = 16
MAX_CONCURRENT_LARGE_BODIES_LIMIT = 10_000
DEFAULT_REQUEST_READ_TIMEOUT_SECONDS = 30.0
MAX_READ_TIMEOUT_SECONDS = 3600.0
DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_GIVE_UP_SECONDS = 24 * 3600.0
DEFAULT_MAX_POLLS_IN_FLIGHT = 64
DEFAULT_WEBHOOK_BACKOFF_INITIAL = 30.0
DEFAULT_WEBHOOK_BACKOFF_MAX = 3600.0
DEFAULT_WEBHOOK_GIVE_UP_SECONDS = 24 * 3600.0
DEFAULT_WEBHOOK_TIMEOUT_SECONDS = 10.0
DEFAULT_WEBHOOK_DISABLE_AFTER_FAILURES = 20
DEFAULT_WEBHOOK_DISABLE_FAILING_SECONDS = 12 * 3600.0
DEFAULT_WEBHOOK_MAX_IN_FLIGHT = 64
DEFAULT_MAX_CONNS_PER_HOST = 1000
MAX_CONNS_PER_HOST_LIMIT = 10000  # Bifrost's upper bound
PROXY_TYPES = ("environment", "http", "none")
MEDIA_STORES = ("local", "s3")
DEFAULT_MEDIA_DIR = "media"  # the local media store's folder in the app dir
MAX_RETENTION_DAYS = 36500.0
MIB = 1024 * 1024


def key_id_for(provider: str, name: str) -> str:
    """Stable id of a file-managed key: uuid5(NAMESPACE_URL, f"file:{provider}:{name}")."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"file:{provider}:{name}"))


def _milliseconds(seconds: float) -> int | float:
    ms = seconds * 1000.0
    return round(ms) if abs(ms - round(ms)) < 1e-6 else ms


@dataclass(frozen=True)
class ProxyConfig:
    """Bifrost's provider-level ``proxy_config``: how a provider's calls and downloads go out.

    ``environment`` (the default) honours ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``NO_PROXY``; ``http``
    sends everything through ``url``; ``none`` connects directly whatever the environment says.
    ``username`` and ``password`` are resolved values; the ``*_ref`` fields keep them as written
    (``env.NAME`` or the literal), which is what ``to_dict`` gives back.
    """

    type: str = "environment"
    url: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    username_ref: str | None = field(default=None, repr=False)
    password_ref: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """As written, except a literal password, which is left out: like a file key's secret it
        stays in memory and is never written to the store or shown (give it as ``env.NAME`` to keep it)."""
        data: dict[str, Any] = {"type": self.type}
        if self.url is not None:
            data["url"] = self.url
        if self.username_ref is not None:
            data["username"] = self.username_ref
        if self.password_ref is not None and env_var_of(self.password_ref) is not None:
            data["password"] = self.password_ref
        return data

    @property
    def display(self) -> str:
        """What `config check` shows: never the password."""
        if self.type != "http":
            return {"environment": "from the environment (HTTPS_PROXY/HTTP_PROXY/NO_PROXY)"}.get(
                self.type, self.type
            )
        user = f" as {self.username_ref}" if self.username_ref else ""
        password = ""
        if self.password_ref is not None:
            password = f", password {self.password_ref if env_var_of(self.password_ref) else 'set'}"
        return f"{self.url}{user}{password}"


@dataclass(frozen=True)
class NetworkConfig:
    """A provider's network settings: everything its HTTP client is built from (a change of any
    field makes the registry build a new provider, with a new client)."""

    base_url: str
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_retries: int = DEFAULT_MAX_RETRIES
    retry_backoff_initial: float = DEFAULT_RETRY_BACKOFF_INITIAL  # seconds
    retry_backoff_max: float = DEFAULT_RETRY_BACKOFF_MAX  # seconds
    # Hidden from repr: a header such as Authorization may carry a credential.
    extra_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    # The PEM text of CA certificates trusted besides the system's, and how it was written
    # (env.NAME or the text itself); long, so kept out of repr.
    ca_cert_pem: str | None = field(default=None, repr=False)
    ca_cert_ref: str | None = field(default=None, repr=False)
    insecure_skip_verify: bool = False
    max_conns_per_host: int = DEFAULT_MAX_CONNS_PER_HOST
    # `limits.max_upstream_body_mb` of the file, in bytes: the largest API answer read. Not a
    # network_config field, so not in `to_dict`; the registry applies the file's limit.
    max_response_bytes: int = int(DEFAULT_MAX_UPSTREAM_BODY_MB * MIB)

    def to_dict(self) -> dict[str, Any]:
        """The Bifrost-compatible ``network_config`` object (backoffs as integer milliseconds), with
        ``proxy_config`` inside it when not the default (the store keeps one JSON per provider).

        ``parse_network_config`` accepts this back unchanged (a literal proxy password excepted,
        see ``ProxyConfig.to_dict``).
        """
        data: dict[str, Any] = {
            "base_url": self.base_url,
            "default_request_timeout_in_seconds": self.timeout_seconds,
            "max_retries": self.max_retries,
            "retry_backoff_initial": _milliseconds(self.retry_backoff_initial),
            "retry_backoff_max": _milliseconds(self.retry_backoff_max),
            "extra_headers": dict(self.extra_headers),
            "max_conns_per_host": self.max_conns_per_host,
            "insecure_skip_verify": self.insecure_skip_verify,
        }
        if self.ca_cert_ref is not None:
            data["ca_cert_pem"] = self.ca_cert_ref
        if self.proxy != ProxyConfig():
            data["proxy_config"] = self.proxy.to_dict()
        return data


@dataclass(frozen=True)
class KeyConfig:
    id: str
    name: str
    value_ref: str = field(repr=False)  # exactly as written: "env.NAME" or the literal (then a secret)
    secret: str = field(repr=False)  # the resolved value
    models: tuple[str, ...] = ("*",)
    weight: float = 1.0
    enabled: bool = True

    def admits(self, model: str) -> bool:
        return "*" in self.models or model in self.models

    @property
    def env_var(self) -> str | None:
        return env_var_of(self.value_ref)

    @property
    def value_kind(self) -> str:
        """``"env"`` for an ``env.NAME`` reference, else ``"literal"``."""
        return "env" if self.env_var is not None else "literal"

    @property
    def secret_hint(self) -> str | None:
        """The redacted literal (safe to store and show); ``None`` for an env reference."""
        return None if self.env_var is not None else redact_secret(self.secret)

    @property
    def display_value(self) -> str:
        """What a UI may show: ``"env.NAME"`` or the redacted literal."""
        return self.value_ref if self.env_var is not None else redact_secret(self.secret)


@dataclass(frozen=True)
class ProviderConfig:
    name: str
    keys: tuple[KeyConfig, ...]
    network: NetworkConfig

    @property
    def display_name(self) -> str:
        descriptor = PROVIDERS.get(self.name)
        return descriptor.label if descriptor is not None else self.name


@dataclass(frozen=True)
class SettlementConfig:
    """`settlement`: a process holds a job it asks about for ``lease_seconds`` (renewed while it
    asks; another process takes the job over once a lease runs out), a job whose provider cannot be
    reached for ``give_up_seconds`` ends failed, and a process asks about at most
    ``max_polls_in_flight`` jobs at once."""

    lease_seconds: float = DEFAULT_LEASE_SECONDS
    give_up_seconds: float = DEFAULT_GIVE_UP_SECONDS
    max_polls_in_flight: int = DEFAULT_MAX_POLLS_IN_FLIGHT


@dataclass(frozen=True)
class MediaConfig:
    """`media`: where irisgate keeps a copy of each completed video and its thumbnail (media/).

    ``local`` (the default): files under ``path`` (None: ``media`` in the app dir; a relative path is
    taken from the app dir). ``s3``: objects in ``bucket`` under ``prefix``, on AWS or any
    S3-compatible server at ``endpoint_url``; the access key pair is resolved (``env.NAME`` or the
    literal), the ``*_ref`` fields keep it as written; without it, the AWS SDK's usual sources
    (``AWS_ACCESS_KEY_ID``…, ``~/.aws``, an instance role) are used. ``retention_days``: how long a
    video's media is kept after the video completed (None: for good)."""

    store: str = "local"
    path: Path | None = None
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: str | None = None
    region: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    access_key_id_ref: str | None = field(default=None, repr=False)
    secret_access_key_ref: str | None = field(default=None, repr=False)
    retention_days: float | None = None

    def local_path(self, app_dir: Path) -> Path:
        """The local store's folder."""
        if self.path is None:
            return app_dir / DEFAULT_MEDIA_DIR
        return self.path if self.path.is_absolute() else app_dir / self.path

    @property
    def retention_seconds(self) -> float | None:
        return None if self.retention_days is None else self.retention_days * 86400.0

    def display(self, app_dir: Path | None = None) -> str:
        """What `config check` shows: never a secret."""
        kept = "kept for good" if self.retention_days is None else f"kept {self.retention_days:g} day(s)"
        if self.store == "local":
            where = (
                str(self.local_path(app_dir)) if app_dir is not None else str(self.path or "<app dir>/media")
            )
            return f"local directory {where}, {kept}"
        endpoint = f" at {self.endpoint_url}" if self.endpoint_url else ""
        credentials = "the AWS SDK's own credentials"
        if self.access_key_id_ref is not None:
            shown = self.access_key_id_ref if env_var_of(self.access_key_id_ref) else "set"
            secret = self.secret_access_key_ref or ""
            credentials = f"key {shown}, secret {secret if env_var_of(secret) else 'set'}"
        return f"S3 bucket {self.bucket}/{self.prefix}{endpoint} ({credentials}), {kept}"


@dataclass(frozen=True)
class WebhooksConfig:
    """`webhooks`: how events reach webhook endpoints (webhooks/deliverer.py). A delivery is retried
    after a non-2xx answer, a timeout or a refused connection, ``backoff_initial`` doubling up to
    ``backoff_max`` (±20 % jitter), until ``give_up_seconds`` after its event; each attempt may take
    ``timeout_seconds``. An endpoint whose last ``disable_after_failures`` attempts all failed, the
    first of them at least ``disable_failing_seconds`` ago, is disabled. URLs that resolve to
    loopback, private, link-local or other non-public addresses are refused unless
    ``allow_private_urls``."""

    allow_private_urls: bool = False
    backoff_initial: float = DEFAULT_WEBHOOK_BACKOFF_INITIAL
    backoff_max: float = DEFAULT_WEBHOOK_BACKOFF_MAX
    give_up_seconds: float = DEFAULT_WEBHOOK_GIVE_UP_SECONDS
    timeout_seconds: float = DEFAULT_WEBHOOK_TIMEOUT_SECONDS
    disable_after_failures: int = DEFAULT_WEBHOOK_DISABLE_AFTER_FAILURES
    disable_failing_seconds: float = DEFAULT_WEBHOOK_DISABLE_FAILING_SECONDS
    max_in_flight: int = DEFAULT_WEBHOOK_MAX_IN_FLIGHT


@dataclass(frozen=True)
class GatewayConfig:
    providers: Mapping[str, ProviderConfig] = field(default_factory=dict)
    store_url: str | None = field(default=None, repr=False)  # may hold a database password
    admin_token: str | None = field(default=None, repr=False)
    max_body_mb: float = DEFAULT_MAX_BODY_MB  # `limits.max_body_mb`: the largest request body accepted
    # `limits.max_upstream_body_mb`: the largest provider API answer read (also in each NetworkConfig)
    max_upstream_body_mb: float = DEFAULT_MAX_UPSTREAM_BODY_MB
    # `limits.max_concurrent_large_bodies`: requests with bodies over 1 MiB a worker serves at once
    max_concurrent_large_bodies: int = DEFAULT_MAX_CONCURRENT_LARGE_BODIES
    # `limits.request_read_timeout_seconds`: how long a request may take to arrive (slowloris)
    request_read_timeout_seconds: float = DEFAULT_REQUEST_READ_TIMEOUT_SECONDS
    # `server.allowed_hosts` (None: the defaults, see server/local_guard.py) and `server.allowed_origins`
    allowed_hosts: tuple[str, ...] | None = None
    allowed_origins: tuple[str, ...] | None = None
    # `settlement`: how jobs are settled in the background (jobs/settler.py)
    settlement: SettlementConfig = field(default_factory=lambda: SettlementConfig())
    # `media`: where completed videos are kept (media/stores.py)
    media: MediaConfig = field(default_factory=lambda: MediaConfig())
    # `webhooks`: webhook deliveries (webhooks/)
    webhooks: WebhooksConfig = field(default_factory=lambda: WebhooksConfig())
    source_path: Path | None = None
    # Paths of Bifrost fields irisgate accepts but does not use (unknown fields are errors).
    ignored_fields: tuple[str, ...] = ()

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * MIB)

    @property
    def max_upstream_body_bytes(self) -> int:
        return int(self.max_upstream_body_mb * MIB)
