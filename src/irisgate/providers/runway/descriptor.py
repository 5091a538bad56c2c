"""Runway's entry in the provider catalog."""

from irisgate.providers.descriptor import ProviderDescriptor, SimulatorSpec
from irisgate.providers.runway.models import RUNWAY_MODELS

RUNWAY = ProviderDescriptor(
    name="runway",
    label="Runway ML",
    default_base_url="https://api.dev.runwayml.com",
    provider_class="irisgate.providers.runway.provider:RunwayProvider",
    video_models=tuple(RUNWAY_MODELS),
    # Runway's docs ask for polls at most every 5 seconds; tasks take about a minute.
    poll_first_seconds=5.0,
    poll_max_seconds=30.0,
    simulator=SimulatorSpec(
        app="irisgate.simulators.runway:simulator_app",
        port=8701,
        key="key_" + "0" * 128,
        note="/v1/*, Authorization: Bearer <key>, X-Runway-Version: 2024-11-06; control plane /__fake/*",
    ),
)
