"""Which proxy, if any, a provider's request goes through (`proxy_config`).

- `http`: every request through the configured proxy, with its username and password.
- `environment` (the default): `HTTPS_PROXY` for https URLs, `HTTP_PROXY` for http ones (either
  case), none for a host `NO_PROXY` covers: the variables and the rules aiohttp's `trust_env` and
  curl follow (read with the standard library's `urllib.request`; credentials in the proxy URL are
  used). Unlike `trust_env`, the variables are read once, at the provider client's first call, and
  the choice is remembered per host: `trust_env` looks them up (and reads ~/.netrc) in a thread at
  every call, which cost ~0.6 ms of CPU per call here.
- `none`: straight to the host, whatever the environment says.

Proxies are spoken to in plain HTTP (CONNECT tunnels for https URLs); an `https://` proxy in the
environment is ignored with a warning, as aiohttp does. Credentials travel as a `Proxy-Authorization`
header: in the CONNECT of an https request (aiohttp's `proxy_headers`), and in the request itself
for an http URL, which goes to the proxy as it is.
"""

from __future__ import annotations

import logging
import urllib.request

import aiohttp
from yarl import URL

from irisgate.config import ProxyConfig

log = logging.getLogger("irisgate.providers.http")
Route = tuple[URL | None, dict[str, str] | None]  # (the proxy, its Proxy-Authorization header)
DIRECT: Route = (None, None)


def credentials(username: str, password: str) -> dict[str, str]:
    return {"Proxy-Authorization": aiohttp.encode_basic_auth(username, password)}


class ProxyRoutes:
    def __init__(self, config: ProxyConfig) -> None:
        self._fixed: Route | None = None
        self._by_scheme: dict[str, Route] = {}
        self._bypass: dict[str, str] = {}
        self._known: dict[tuple[str, str], Route] = {}
        if config.type == "http":
            assert config.url is not None
            auth = None if config.username is None else credentials(config.username, config.password or "")
            self._fixed = (URL(config.url), auth)
        elif config.type == "none":
            self._fixed = DIRECT
        else:
            self._read_environment()

    def _read_environment(self) -> None:
        found = urllib.request.getproxies_environment()
        for scheme in ("http", "https"):
            if not found.get(scheme):
                continue
            url = URL(found[scheme])
            if url.scheme != "http" or not url.host:
                log.warning("%s_PROXY is not an http:// proxy URL; ignored", scheme.upper())
                continue
            try:
                auth = credentials(url.user, url.password or "") if url.user else None
            except ValueError:  # a ':' in the user name: Basic authentication cannot carry it
                log.warning(
                    "%s_PROXY has a user name with ':' in it; its credentials are not sent", scheme.upper()
                )
                auth = None
            self._by_scheme[scheme] = (url.with_user(None), auth)
        if "no" in found:
            self._bypass = {"no": found["no"]}

    def route(self, url: URL) -> Route:
        """(the proxy URL, its `Proxy-Authorization` header) for ``url``; (None, None) to go direct."""
        if self._fixed is not None:
            return self._fixed
        key = (url.scheme, url.host or "")
        route = self._known.get(key)
        if route is None:
            route = self._by_scheme.get(url.scheme, DIRECT)
            if (
                route is not DIRECT
                and self._bypass
                and urllib.request.proxy_bypass_environment(key[1], self._bypass)
            ):
                route = DIRECT
            if len(self._known) < 1024:  # media hosts are few; never let the memo grow unbounded
                self._known[key] = route
        return route
