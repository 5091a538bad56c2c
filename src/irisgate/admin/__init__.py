"""The control plane: admin authentication, secrets at rest, and provider/key management."""
