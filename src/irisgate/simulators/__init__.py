"""Offline simulators of the providers' APIs, and a runner that serves any ASGI app on a thread."""

from .runner import ServerThread, serve_forever
from .runware import Fault, RecordedRequest, RunwareSimSettings, RunwareSimulator
from .runway import RunwayFault, RunwaySimSettings, RunwaySimulator

__all__ = [
    "Fault",
    "RecordedRequest",
    "RunwareSimSettings",
    "RunwareSimulator",
    "RunwayFault",
    "RunwaySimSettings",
    "RunwaySimulator",
    "ServerThread",
    "serve_forever",
]
