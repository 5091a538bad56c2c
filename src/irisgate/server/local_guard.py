"""A gateway on someone's machine that the web pages they visit cannot drive.

While no virtual key exists, `/v1` is open to whoever reaches it, and a page in the user's browser
reaches a gateway on 127.0.0.1 too: a form or a `fetch` without preflight (`text/plain`,
form-encoded) sends a POST, and a DNS-rebinding name makes the page's own origin resolve to the
gateway. So, before anything else:
- ``Host`` must name the gateway (``server.allowed_hosts``; by default the address it is bound to,
  ``localhost``, ``127.0.0.1`` and ``::1``), else 421: a rebinding name is refused;
- a request that carries ``Origin`` (browsers add it to every cross-origin request, and to same-
  origin POSTs) must come from the gateway's own origin (the dashboard, the playground) or one of
  ``server.allowed_origins``, else 403. Clients that are not browsers send no ``Origin``;
- JSON routes take ``Content-Type: application/json`` only (415 otherwise: ``forms.read_json_object``),
  which a page cannot send cross-origin without a preflight irisgate never answers.
``"*"`` in either list turns that check off (behind a proxy that does its own).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from irisgate.schemas.errors import GatewayError
from irisgate.server.limits import send_error

BIND_HOST_ENV = "IRISGATE_BIND_HOST"  # set by `irisgate serve`: the address it listens on
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")
WILDCARDS = ("", "0.0.0.0", "::")


def default_hosts() -> tuple[str, ...]:
    bound = os.environ.get(BIND_HOST_ENV, "").strip().lower()
    return LOCAL_NAMES if bound in WILDCARDS or bound in LOCAL_NAMES else (*LOCAL_NAMES, bound)


def host_name(value: str) -> str:
    """The name in a ``Host`` header, without its port (``[::1]:8080`` → ``::1``)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0].rstrip(".") if value.count(":") == 1 else value.rstrip(".")


class LocalGuard:
    def __init__(
        self, app: ASGIApp, allowed_hosts: tuple[str, ...] | None, allowed_origins: tuple[str, ...] | None
    ) -> None:
        self.app = app
        hosts = allowed_hosts if allowed_hosts is not None else default_hosts()
        self.hosts = None if "*" in hosts else frozenset(hosts)
        origins = allowed_origins or ()
        self.origins = None if "*" in origins else frozenset(origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = None
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
        if host is not None and self.hosts is not None and host_name(host) not in self.hosts:
            await send_error(send, misdirected(host))
            return
        if origin is not None and self.origins is not None and not self._same_or_allowed(origin, host):
            await send_error(send, cross_origin(origin))
            return
        await self.app(scope, receive, send)

    def _same_or_allowed(self, origin: str, host: str | None) -> bool:
        origin = origin.strip().lower()
        if self.origins and origin.rstrip("/") in self.origins:
            return True
        parts = urlsplit(origin)
        return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host.strip().lower()


def misdirected(host: str) -> GatewayError:
    shown = host if len(host) <= 100 else host[:100] + "…"
    return GatewayError(
        421,
        f"This gateway does not answer for host {shown!r}; its names are set by server.allowed_hosts",
        code="misdirected_request",
        param="Host",
        headers={"connection": "close"},
    )


def cross_origin(origin: str) -> GatewayError:
    shown = origin if len(origin) <= 100 else origin[:100] + "…"
    return GatewayError(
        403,
        f"Requests from web pages at {shown!r} are refused: only the gateway's own pages and "
        "server.allowed_origins may call it from a browser",
        code="cross_origin_request",
        param="Origin",
    )
