"""Google's (Gemini API) entry in the provider catalog."""

from irisgate.providers.descriptor import ProviderDescriptor, SimulatorSpec
from irisgate.providers.google.models import IMAGEN_MODELS, VEO_MODELS

GOOGLE = ProviderDescriptor(
    name="google",
    label="Google (Gemini API)",
    default_base_url="https://generativelanguage.googleapis.com",
    provider_class="irisgate.providers.google.provider:GoogleProvider",
    image_models=tuple(IMAGEN_MODELS),
    video_models=tuple(VEO_MODELS),
    simulator=SimulatorSpec(
        app="irisgate.simulators.google:simulator_app",
        port=8704,
        key="sim-google-key",
        note="/v1beta/models/*, x-goog-api-key: <key>; control plane /__fake/*",
    ),
)
