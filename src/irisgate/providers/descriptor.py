"""What irisgate knows of a provider before it serves anything: one ``ProviderDescriptor`` each.

The catalog (``catalog.py``) lists them, and it is the only list of providers: the config file's
provider names and default base URLs, the dashboard's provider and model choices, the playground's
models, the provider classes the registry builds and the simulators ``irisgate simulate`` serves
all come from it. Classes and simulators are named by import path and loaded on first use, so that
reading the catalog (the config does, at start-up) imports no provider code.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from irisgate.config import NetworkConfig
    from irisgate.providers.base import Provider


@dataclass(frozen=True)
class SimulatorSpec:
    """How ``irisgate simulate`` serves the provider's simulator."""

    app: str  # import path of a factory: (api_keys: set[str]) -> an ASGI app
    port: int  # the default port
    key: str  # the default key it accepts (a test key, not a secret)
    note: str  # what to tell the user besides the URL


@dataclass(frozen=True)
class ProviderDescriptor:
    name: str  # the model strings' prefix ("runware/…") and the config file's provider name
    label: str  # for people: "Runware"
    default_base_url: str
    provider_class: str  # import path of the class that serves it ("irisgate.providers.x.provider:X")
    image_models: tuple[str, ...] = ()  # suggestions for the dashboard and playground
    video_models: tuple[str, ...] = ()
    simulator: SimulatorSpec | None = None
    # How often a video job is asked about while it runs: first this long after it was created,
    # then a little longer each time (jobs/cadence.py), never more than the max apart.
    poll_first_seconds: float = 5.0
    poll_max_seconds: float = 30.0

    @property
    def models(self) -> tuple[str, ...]:
        return self.image_models + self.video_models

    def build(self, network: NetworkConfig) -> Provider:
        """A provider object for these network settings."""
        return _load(self.provider_class)(network)  # type: ignore[no-any-return]

    def simulator_app(self, api_keys: set[str]) -> Any:
        if self.simulator is None:
            raise ValueError(f"{self.label} has no simulator")
        return _load(self.simulator.app)(api_keys)


@functools.cache
def _load(path: str) -> Any:
    """``"package.module:Name"`` → the object."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)
