"""`provider/model` → the provider and the key that serve it.

The model string is split on the first `/` (`runware/runware:100@1` → `runware`,
`runware:100@1`). Among the provider's enabled keys whose `models` allowlist
admits the model, one is chosen at random in proportion to its `weight`.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from irisgate.config import KeyConfig, ProviderConfig
from irisgate.providers.base import Provider
from irisgate.schemas.errors import GatewayError, invalid_request


@dataclass(frozen=True)
class Route:
    provider_name: str
    model: str
    provider: Provider
    key: KeyConfig


def split_model(model: str) -> tuple[str, str]:
    provider, slash, name = model.partition("/")
    if not slash or not provider.strip() or not name.strip():
        raise invalid_request(
            f"'model' must be 'provider/model' (for example 'runware/runware:100@1'), got {model!r}",
            "model",
        )
    return provider.strip().lower(), name.strip()


def choose_key(keys: Sequence[KeyConfig], rng: random.Random | None = None) -> KeyConfig:
    """Weighted random choice; keys of weight 0 are picked only when every weight is 0."""
    if len(keys) == 1:
        return keys[0]
    weights = [max(key.weight, 0.0) for key in keys]
    if sum(weights) <= 0:
        weights = [1.0] * len(keys)
    return (rng or random).choices(list(keys), weights=weights, k=1)[0]


class ProviderSource(Protocol):
    """Where the router reads the providers and keys in force (the registry; reloaded on change)."""

    configs: Mapping[str, ProviderConfig]
    providers: Mapping[str, Provider]


MAX_CACHED_MODELS = 4096


class Router:
    def __init__(self, source: ProviderSource, rng: random.Random | None = None) -> None:
        self.source = source
        self.rng = rng
        # model string → what `_admitting` found, valid while the source's mappings stay the same
        # objects (the registry replaces them whole on every reload)
        self._cache: dict[str, tuple[str, str, Provider, list[KeyConfig]]] = {}
        self._cached_for: tuple[object, object] = (None, None)

    def route(self, model_string: str, avoid: Collection[str] = ()) -> Route:
        """A route for the model; `avoid` names keys (by id) not to use now (set aside after failures)."""
        source = (self.source.configs, self.source.providers)
        if source[0] is not self._cached_for[0] or source[1] is not self._cached_for[1]:
            self._cache.clear()
            self._cached_for = source
        found = self._cache.get(model_string)
        if found is None:
            found = self._admitting(model_string)
            if len(self._cache) >= MAX_CACHED_MODELS:
                self._cache.clear()
            self._cache[model_string] = found
        provider_name, model, provider, admitting = found
        usable = [key for key in admitting if key.id not in avoid] if avoid else admitting
        if not usable:
            raise GatewayError(
                502,
                f"Every {provider_name} key that may serve '{model}' was refused or throttled "
                f"({len(admitting)} key{'s' if len(admitting) > 1 else ''} set aside)",
                code="upstream_credentials_exhausted",
                param="model",
                headers={"x-should-retry": "false"},
            )
        return Route(provider_name, model, provider, choose_key(usable, self.rng))

    def _admitting(self, model_string: str) -> tuple[str, str, Provider, list[KeyConfig]]:
        """The provider of the model and its enabled keys that admit it, or the error saying why not."""
        provider_name, model = split_model(model_string)
        config = self.source.configs.get(provider_name)
        provider = self.source.providers.get(provider_name)
        if config is None or provider is None:
            configured = ", ".join(sorted(self.source.configs)) or "none"
            raise invalid_request(
                f"Unknown provider '{provider_name}' in model '{model_string}' (configured: {configured})",
                "model",
                code="unknown_provider",
            )
        enabled = [key for key in config.keys if key.enabled]
        if not enabled:
            raise GatewayError(
                400,
                f"Provider '{provider_name}' has no enabled keys; add one in the config file or dashboard",
                code="no_provider_keys",
                param="model",
            )
        admitting = [key for key in enabled if key.admits(model)]
        if not admitting:
            raise GatewayError(
                403,
                f"Model '{model}' is not in the allowed models of any enabled {provider_name} key",
                code="model_not_allowed",
                param="model",
            )
        return provider_name, model, provider, admitting

    def key_route(self, provider_name: str, key_id: str, model: str) -> Route:
        """The route of an existing job: the same provider and the very key that created it."""
        config = self.source.configs.get(provider_name)
        provider = self.source.providers.get(provider_name)
        if config is None or provider is None:
            raise GatewayError(
                409,
                f"This video was created on provider '{provider_name}', which is no longer configured",
                code="provider_unavailable",
            )
        key = next((key for key in config.keys if key.id == key_id), None)
        if key is None:
            raise GatewayError(
                409,
                f"The {provider_name} key that created this video is no longer configured",
                code="key_unavailable",
            )
        return Route(provider_name, model, provider, key)
