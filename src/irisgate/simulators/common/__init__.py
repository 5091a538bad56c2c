"""Pieces shared by the provider simulators: request recording, the `/__fake` control plane, settings
patching, fault bookkeeping and small HTTP helpers. Nothing here knows a provider's wire format."""
