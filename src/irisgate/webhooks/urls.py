"""Which webhook URLs irisgate sends to: https (http too when private URLs are allowed), to hosts whose
every address is public, unless the config file says ``webhooks: {allow_private_urls: true}``.

Checked when an endpoint is created or changed (the host resolved on the loop's resolver) and again at
every send: an address literal before connecting, and a name by the resolver the sender connects
through (`CheckedResolver`), so the addresses checked are the very ones connected to and a name that
resolves elsewhere later (DNS rebinding) is refused then.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

from irisgate.schemas.errors import invalid_request

MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_SECONDS = 5.0
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(Exception):
    """A URL irisgate will not send to (its message says why)."""


def address_problem(address: IPAddress) -> str | None:
    """Why an address is not one to send webhooks to (None: it is public)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, flag in (
        ("a loopback", address.is_loopback),
        ("an unspecified", address.is_unspecified),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("a reserved", address.is_reserved),
        ("a private", address.is_private),
    ):
        if flag:
            return f"{kind} address ({address})"
    if not address.is_global:
        return f"a non-public address ({address})"
    return None


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def split_url(url: Any, allow_private: bool) -> SplitResult:
    """The URL's parts, if its form is one irisgate sends to; else ``UrlRefused`` saying why."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRefused("must be an https:// URL")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UrlRefused(f"is not a valid URL ({error})") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme.lower() not in schemes:
        allowed = "https:// (or http:// while webhooks.allow_private_urls is true)"
        raise UrlRefused(f"must be an {allowed} URL, not {parts.scheme or 'one without a scheme'}")
    if not parts.hostname:
        raise UrlRefused("has no host")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("must not carry credentials (user:password@): they would be shown with the URL")
    if port == 0:
        raise UrlRefused("has port 0")
    return parts


def check_literal(url: str, allow_private: bool) -> SplitResult:
    """The checks made before each send: the URL's form, and its host if it is an address."""
    parts = split_url(url, allow_private)
    address = literal_address(parts.hostname or "")
    if address is not None and not allow_private:
        problem = address_problem(address)
        if problem:
            raise UrlRefused(f"{parts.hostname} is {problem}")
    return parts


async def check_url(url: str, allow_private: bool) -> str:
    """The URL (stripped) if irisgate may send to it now; else ``UrlRefused`` saying why."""
    parts = check_literal(url, allow_private)
    host = parts.hostname or ""
    if literal_address(host) is None and not allow_private:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_TIMEOUT_SECONDS
            )
        except (OSError, TimeoutError):
            raise UrlRefused(f"its host {host} cannot be resolved") from None
        for info in infos:
            address = literal_address(str(info[4][0]))
            problem = address_problem(address) if address is not None else "not an IP address"
            if problem:
                raise UrlRefused(f"{host} resolves to {problem}")
    return url.strip()


def refused_param(error: UrlRefused, param: str = "url") -> Exception:
    return invalid_request(f"'{param}' {error}", param, code="invalid_url")


class CheckedResolver(AbstractResolver):
    """The system's resolver (in a thread), refusing a name any of whose addresses is not public."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._resolver.resolve(host, port, family)
        if not self.allow_private:
            for result in results:
                address = literal_address(result["host"])
                problem = address_problem(address) if address is not None else "not an IP address"
                if problem:
                    raise OSError(f"refused: {host} resolves to {problem}")
        return results

    async def close(self) -> None:
        await self._resolver.close()
