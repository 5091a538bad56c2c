"""Client authentication for /v1: virtual keys (`Authorization: Bearer sk-iris-…`).

With no virtual key configured, /v1 is open (bind to 127.0.0.1, see the README). Once one
exists, every /v1 request needs a valid, enabled key; each key may be limited to providers,
to models (`provider/model`, `provider/*` or `*`) and to a number of requests per minute
(429 with Retry-After past it; counted per process). Only a SHA-256 of each key is stored.
"""

from __future__ import annotations

import collections
import hashlib
import math
import secrets
import time
from dataclasses import dataclass

from irisgate.schemas.errors import GatewayError
from irisgate.store import Store, VirtualKeyRecord

KEY_PREFIX = "sk-iris-"
WINDOW_SECONDS = 60.0


def new_virtual_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_hint(key: str) -> str:
    return f"{key[:12]}****{key[-4:]}"


@dataclass(frozen=True)
class Client:
    """The virtual key a request authenticated with."""

    record: VirtualKeyRecord

    @property
    def id(self) -> str:
        return self.record.id

    def require_provider(self, provider: str, param: str | None = None) -> None:
        allowed = self.record.allowed_providers
        if "*" not in allowed and provider not in allowed:
            raise GatewayError(
                403,
                f"This API key may not use provider '{provider}'",
                code="provider_not_allowed",
                param=param,
            )

    def require_model(self, model: str, param: str = "model") -> None:
        provider = model.partition("/")[0]
        self.require_provider(provider, param)
        allowed = self.record.allowed_models
        if "*" in allowed or model in allowed or f"{provider}/*" in allowed:
            return
        raise GatewayError(
            403, f"This API key may not use model '{model}'", code="model_not_allowed", param=param
        )


class ClientAuth:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._by_hash: dict[str, VirtualKeyRecord] = {}
        self._windows: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)

    async def reload(self) -> None:
        self._by_hash = {record.key_hash: record for record in await self.store.list_virtual_keys()}

    @property
    def required(self) -> bool:
        return bool(self._by_hash)

    def authenticate(self, authorization: str | None) -> Client | None:
        """The client of a request (None while /v1 is open); 401/429 errors otherwise."""
        if not self._by_hash:
            return None
        scheme, _, value = (authorization or "").partition(" ")
        value = value.strip()
        record = self._by_hash.get(hash_key(value)) if scheme.lower() == "bearer" and value else None
        if record is None:
            raise GatewayError(
                401,
                "A valid API key is required: send Authorization: Bearer sk-iris-…",
                code="invalid_api_key",
                error_type="authentication_error",
            )
        if not record.enabled:
            raise GatewayError(
                401,
                f"API key '{record.name}' is disabled",
                code="api_key_disabled",
                error_type="authentication_error",
            )
        self._count(record)
        return Client(record)

    def _count(self, record: VirtualKeyRecord) -> None:
        if not record.rpm_limit:
            return
        now = time.monotonic()
        window = self._windows[record.id]
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= record.rpm_limit:
            wait = max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
            raise GatewayError(
                429,
                f"API key '{record.name}' may make {record.rpm_limit} requests a minute; retry in {wait} s",
                code="rate_limit_exceeded",
                headers={"retry-after": str(wait)},
            )
        window.append(now)


def require_models(client: Client | None, model: str, fallbacks: list[str] | None) -> None:
    """A request's model and fallbacks must all be allowed to its client."""
    if client is None:
        return
    client.require_model(model)
    for index, fallback in enumerate(fallbacks or []):
        client.require_model(fallback, f"fallbacks[{index}]")
