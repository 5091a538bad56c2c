"""Runware's entry in the provider catalog."""

from irisgate.providers.descriptor import ProviderDescriptor, SimulatorSpec

RUNWARE = ProviderDescriptor(
    name="runware",
    label="Runware",
    default_base_url="https://api.runware.ai/v1",
    provider_class="irisgate.providers.runware.provider:RunwareProvider",
    image_models=("runware:100@1", "runware:101@1", "civitai:133005@782002"),
    video_models=("klingai:5@3", "google:3@3", "bytedance:1@1"),
    poll_first_seconds=3.0,  # getResponse is cheap; videoInference tasks take tens of seconds
    poll_max_seconds=20.0,
    simulator=SimulatorSpec(
        app="irisgate.simulators.runware:simulator_app",
        port=8702,
        key="sim-runware-key",
        note="POST /v1, Authorization: Bearer <key>; control plane /__fake/*",
    ),
)
