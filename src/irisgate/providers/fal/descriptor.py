"""fal.ai's entry in the provider catalog."""

from irisgate.providers.descriptor import ProviderDescriptor, SimulatorSpec
from irisgate.providers.fal.models import IMAGE_MODELS, VIDEO_MODELS

FAL = ProviderDescriptor(
    name="fal",
    label="fal.ai",
    default_base_url="https://queue.fal.run",
    provider_class="irisgate.providers.fal.provider:FalProvider",
    image_models=tuple(IMAGE_MODELS),
    video_models=tuple(VIDEO_MODELS),
    simulator=SimulatorSpec(
        app="irisgate.simulators.fal:simulator_app",
        port=8703,
        key="sim-fal-key-id:sim-fal-key-secret",
        note="queue API: POST /<endpoint id>, GET|PUT /<owner>/<app>/requests/<id>[/status|/cancel], "
        "Authorization: Key <key>; media at /files/*; control plane /__fake/*",
    ),
)
