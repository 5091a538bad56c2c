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
    # Google's own samples poll a Veo operation every 10 s (the Gemini API's video guide, and the
    # google-genai `generate_videos` docstring); a video takes from seconds to minutes.
    poll_first_seconds=10.0,
    poll_max_seconds=30.0,
    simulator=SimulatorSpec(
        app="irisgate.simulators.google:simulator_app",
        port=8704,
        key="sim-google-key",
        note="/v1beta/models/*, x-goog-api-key: <key>; control plane /__fake/*",
    ),
)
