"""Which provider module serves which provider name."""

from __future__ import annotations

from collections.abc import Mapping

from irisgate.config import ProviderConfig
from irisgate.providers.base import Provider
from irisgate.providers.runware import RunwareProvider
from irisgate.providers.runway import RunwayProvider

PROVIDER_CLASSES: dict[str, type] = {"runware": RunwareProvider, "runway": RunwayProvider}


def build_providers(configs: Mapping[str, ProviderConfig]) -> dict[str, Provider]:
    """One provider instance (and so one pooled HTTP session) per configured provider we implement."""
    return {
        name: PROVIDER_CLASSES[name](config.network)
        for name, config in configs.items()
        if name in PROVIDER_CLASSES
    }
