"""The provider catalog: the one list of the providers irisgate has, one descriptor line each.

Adding a provider is adding its package (``providers/<name>/``: mapping tables, request builders,
answer parsers, errors, the provider class and its ``descriptor.py``), its simulator, and one line
below.
"""

from __future__ import annotations

from irisgate.providers.descriptor import ProviderDescriptor
from irisgate.providers.fal.descriptor import FAL
from irisgate.providers.google.descriptor import GOOGLE
from irisgate.providers.openai.descriptor import OPENAI
from irisgate.providers.runware.descriptor import RUNWARE
from irisgate.providers.runway.descriptor import RUNWAY

PROVIDERS: dict[str, ProviderDescriptor] = {
    RUNWARE.name: RUNWARE,
    RUNWAY.name: RUNWAY,
    FAL.name: FAL,
    OPENAI.name: OPENAI,
    GOOGLE.name: GOOGLE,
}

# What the playground offers first, when these providers are configured.
DEFAULT_IMAGE_MODEL = "runware/runware:100@1"
DEFAULT_VIDEO_MODEL = "runway/gen4.5"


def labels() -> dict[str, str]:
    """Provider name → label, in the catalog's order."""
    return {name: descriptor.label for name, descriptor in PROVIDERS.items()}
