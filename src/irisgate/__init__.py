"""irisgate: one OpenAI-compatible API for image and video generation providers."""

__version__ = "0.1.0"
