"""OpenAI's entry in the provider catalog."""

from irisgate.providers.descriptor import ProviderDescriptor, SimulatorSpec

OPENAI = ProviderDescriptor(
    name="openai",
    label="OpenAI",
    default_base_url="https://api.openai.com/v1",
    provider_class="irisgate.providers.openai.provider:OpenAIProvider",
    image_models=("gpt-image-1", "gpt-image-1.5", "gpt-image-1-mini", "gpt-image-2", "dall-e-3", "dall-e-2"),
    simulator=SimulatorSpec(
        app="irisgate.simulators.openai:simulator_app",
        port=8705,
        key="sim-openai-key",
        note="POST /v1/images/generations and /v1/images/edits, Authorization: Bearer <key> "
        "(the openai SDK's base_url: this URL + /v1); control plane /__fake/*",
    ),
)
