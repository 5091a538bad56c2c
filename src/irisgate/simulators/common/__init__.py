"""Pieces shared by the provider simulators: request recording, the `/__fake` control plane, settings
patching, fault bookkeeping, media serving with byte ranges, images, JSON value checks and small HTTP
helpers. Nothing here knows a provider's wire format."""
