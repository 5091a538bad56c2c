"""A provider's aiohttp session, built from its `NetworkConfig`: TLS and the connection limit.

One session per provider carries its API calls and its media downloads alike, so both honour the
same proxy (chosen per request by `http_proxy.ProxyRoutes`), the same trusted CAs (`ca_cert_pem`,
besides the system's) and the same cap on connections per host (`max_conns_per_host`).

A call's `CallProgress` is filled in by aiohttp's tracing hooks. It tells a call that never got a
connection (it waited for a free one, or connecting, the proxy's tunnel or the TLS handshake
failed: nothing was sent) from one that may have reached the provider.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

from irisgate import __version__
from irisgate.config import NetworkConfig

USER_AGENT = f"irisgate/{__version__}"
# Idle keep-alive connections are dropped after this long: below the usual 60 s idle timeout of the
# load balancers in front of APIs, so irisgate rarely sends on a connection the far end is closing.
KEEPALIVE_SECONDS = 15.0


@dataclass
class CallProgress:
    """How far one call got; set by the session's trace hooks (`trace_request_ctx`)."""

    waiting: bool = False  # queued for a free connection (all `max_conns_per_host` busy)
    connected: bool = False  # holds a connection: from here on the request may reach the provider


def _progress(context: SimpleNamespace) -> CallProgress | None:
    progress = context.trace_request_ctx
    return progress if isinstance(progress, CallProgress) else None


async def _queued(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
    if progress := _progress(context):
        progress.waiting = True


async def _dequeued(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
    if progress := _progress(context):
        progress.waiting = False


async def _connected(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
    if progress := _progress(context):
        progress.connected = True


def progress_tracing() -> aiohttp.TraceConfig:
    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(_queued)
    trace.on_connection_queued_end.append(_dequeued)
    # A new connection counts once it is usable: after the proxy's CONNECT and the TLS handshake.
    trace.on_connection_create_end.append(_connected)
    trace.on_connection_reuseconn.append(_connected)
    return trace


def tls_setting(network: NetworkConfig) -> ssl.SSLContext | bool:
    """The system's CAs plus `ca_cert_pem`; `False` (no verification) with `insecure_skip_verify`."""
    if network.insecure_skip_verify:
        return False
    context = ssl.create_default_context()
    if network.ca_cert_pem:
        context.load_verify_locations(cadata=network.ca_cert_pem)
    return context


def new_session(network: NetworkConfig) -> aiohttp.ClientSession:
    """Call inside the running loop that will use it."""
    connector = aiohttp.TCPConnector(
        limit=0,  # no cap across hosts; `limit_per_host` caps each (the API host, each media host)
        limit_per_host=network.max_conns_per_host,
        ssl=tls_setting(network),
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    return aiohttp.ClientSession(
        connector=connector,
        trust_env=False,  # the proxy is passed with each request (http_proxy.py says why)
        # One provider's cookies must not travel from one key's calls to another's.
        cookie_jar=aiohttp.DummyCookieJar(),
        headers={"User-Agent": USER_AGENT},
        trace_configs=[progress_tracing()],
        timeout=aiohttp.ClientTimeout(total=None),  # each call sets its own
    )
