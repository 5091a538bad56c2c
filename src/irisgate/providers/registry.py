"""Which provider module serves which provider name."""

from __future__ import annotations

from irisgate.providers.runware import RunwareProvider
from irisgate.providers.runway import RunwayProvider

PROVIDER_CLASSES: dict[str, type[RunwareProvider] | type[RunwayProvider]] = {
    "runware": RunwareProvider,
    "runway": RunwayProvider,
}
