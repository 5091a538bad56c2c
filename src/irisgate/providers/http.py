"""A provider's HTTP client: API calls and streamed media downloads over one aiohttp session.

The session (`http_session.py`) holds the provider's TLS and connection-limit settings, each request
goes through the proxy `http_proxy.py` chooses, and transport failures become gateway errors in
`http_errors.py`.

An API call has one deadline, `network_config.default_request_timeout_in_seconds`, covering the
wait for a free connection, connecting (proxy tunnel and TLS included), sending, and reading the
whole answer. Redirects are followed for GET (aiohttp's limit of 10, credentials dropped when the
host changes), never for a POST or DELETE: a provider that redirects those is misconfigured
(`base_url`), and re-sending a create elsewhere is not irisgate's to decide. Answers are decoded
(gzip, deflate, br) and refused past `limits.max_upstream_body_mb`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
from yarl import URL

from irisgate.config import NetworkConfig
from irisgate.providers.http_errors import NEVER_SENT, never_sent, transport_error
from irisgate.providers.http_proxy import ProxyRoutes
from irisgate.providers.http_session import CallProgress, new_session
from irisgate.schemas.errors import GatewayError

FOLLOWS_REDIRECTS = frozenset({"GET", "HEAD"})
READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


@dataclass(frozen=True)
class FilePart:
    """A file of a multipart/form-data request: its field name, bytes, file name and media type."""

    name: str
    data: bytes
    filename: str
    content_type: str


class UpstreamClient:
    """One provider's calls and downloads, over a session made on first use inside the running loop."""

    def __init__(self, provider: str, network: NetworkConfig) -> None:
        self.provider = provider
        self.network = network
        self.timeout_seconds = network.timeout_seconds
        self.extra_headers = dict(network.extra_headers)
        self._call_timeout = aiohttp.ClientTimeout(total=network.timeout_seconds)
        # Downloads stream for as long as the body lasts: only getting a connection and each read
        # are bounded.
        self._stream_timeout = aiohttp.ClientTimeout(
            total=None, connect=network.timeout_seconds, sock_read=network.timeout_seconds
        )
        self._session: aiohttp.ClientSession | None = None
        self._proxies: ProxyRoutes | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = new_session(self.network)
        return self._session

    @property
    def proxies(self) -> ProxyRoutes:
        """Made with the first call, so the environment is read once the process has set it up."""
        if self._proxies is None:
            self._proxies = ProxyRoutes(self.network.proxy)
        return self._proxies

    async def post_json(self, url: str, payload: Any, headers: Mapping[str, str]) -> UpstreamResponse:
        return await self.request("POST", url, payload, headers)

    async def post_multipart(
        self,
        url: str,
        fields: Sequence[tuple[str, str]],
        files: Sequence[FilePart],
        headers: Mapping[str, str],
    ) -> UpstreamResponse:
        """A multipart/form-data POST (text fields, then files; a name may repeat), answered as
        `request` answers. Field names are sent as given (`image[]`, `svg[model]`), not percent-encoded."""
        form = aiohttp.FormData(quote_fields=False)  # made per call: aiohttp sends a FormData once
        for name, value in fields:
            form.add_field(name, value)
        for part in files:
            form.add_field(part.name, part.data, filename=part.filename, content_type=part.content_type)
        return await self._send("POST", url, form, {**self.extra_headers, **headers})

    async def request(
        self, method: str, url: str, payload: Any = None, headers: Mapping[str, str] | None = None
    ) -> UpstreamResponse:
        """One call to the provider's API, its answer read in full (up to the size cap)."""
        all_headers = {**self.extra_headers, **headers} if headers else dict(self.extra_headers)
        data = None
        if payload is not None:
            all_headers["Content-Type"] = "application/json"
            data = orjson.dumps(payload)
        return await self._send(method, url, data, all_headers)

    async def _send(
        self, method: str, url: str, data: bytes | aiohttp.FormData | None, all_headers: dict[str, str]
    ) -> UpstreamResponse:
        target = self._checked(url, all_headers)
        proxy, proxy_headers = self.proxies.route(target)
        if proxy_headers and target.scheme == "http":  # sent to the proxy as it is: no CONNECT
            all_headers.update(proxy_headers)
        progress = CallProgress()
        try:
            async with self.session.request(
                method,
                target,
                data=data,
                headers=all_headers,
                timeout=self._call_timeout,
                allow_redirects=method in FOLLOWS_REDIRECTS,
                proxy=proxy,
                proxy_headers=proxy_headers,
                trace_request_ctx=progress,
            ) as response:
                if 300 <= response.status < 400:
                    raise self._redirected(method, response)
                body = await self._read_capped(response)
                return UpstreamResponse(response.status, response.headers, body)
        except GatewayError:
            raise
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise transport_error(
                self.provider, error, progress, self.network, self.timeout_seconds
            ) from None

    async def open_stream(self, url: str, headers: Mapping[str, str]) -> aiohttp.ClientResponse:
        """Start a GET of a media URL and return the response with its body unread, for streaming.

        The caller must `release()` it. No provider credentials are sent: output URLs are public
        or signed. The bytes are passed on as they come (`identity` asked for, nothing decoded).
        """
        target = self._checked(url, headers)
        proxy, proxy_headers = self.proxies.route(target)
        sent = {"Accept-Encoding": "identity", **headers}
        if proxy_headers and target.scheme == "http":
            sent.update(proxy_headers)
        progress = CallProgress()
        try:
            return await self.session.get(
                target,
                headers=sent,
                timeout=self._stream_timeout,
                auto_decompress=False,
                proxy=proxy,
                proxy_headers=proxy_headers,
                trace_request_ctx=progress,
            )
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise transport_error(
                self.provider, error, progress, self.network, self.timeout_seconds
            ) from None

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            await asyncio.sleep(0)  # let the connector close its transports

    def _checked(self, url: str, headers: Mapping[str, str]) -> URL:
        """Refuse, before anything is sent, what a request cannot carry; name the header, never a value."""
        for name, value in headers.items():
            if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
                raise never_sent(
                    502,
                    f"irisgate could not send the request to {self.provider}: header {name!r} has a line "
                    f"break or a colon in it (check the provider's keys and extra_headers); {NEVER_SENT}",
                    "upstream_request_invalid",
                    transient=False,
                )
        try:
            target = URL(url)
        except ValueError:
            target = None
        if target is None or target.scheme not in ("http", "https") or not target.host or target.user:
            raise never_sent(  # the URL is not echoed: it may hold credentials
                502,
                f"irisgate could not send the request to {self.provider}: the URL is not an http(s) URL "
                f"with a host and no credentials (check the provider's base_url); {NEVER_SENT}",
                "upstream_request_invalid",
                transient=False,
            )
        return target

    def _redirected(self, method: str, response: aiohttp.ClientResponse) -> GatewayError:
        location = response.headers.get("Location", "")
        shown = urlsplit(location)._replace(query="", fragment="").geturl() if location else "nowhere"
        if method in FOLLOWS_REDIRECTS:  # a 3xx aiohttp could not follow (no Location, 300, 304)
            detail = " that irisgate cannot follow"
        else:
            detail = "; irisgate follows redirects of GETs only: check network_config.base_url"
        return GatewayError(
            502,
            f"{self.provider} answered a {method} with a redirect "
            f"(HTTP {response.status} to {shown}){detail}",
            code="upstream_redirect",
        )

    async def _read_capped(self, response: aiohttp.ClientResponse) -> bytes:
        """The whole (decoded) body, refused once it passes `limits.max_upstream_body_mb`."""
        cap = self.network.max_response_bytes
        length = response.content_length
        if length is not None and length > cap:
            raise self._too_large(cap)
        if length is not None and "Content-Encoding" not in response.headers:
            return await response.read()  # the common case: a small answer of known size
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(READ_CHUNK):
            size += len(chunk)
            if size > cap:  # also bounds what a small compressed answer decodes to
                raise self._too_large(cap)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, cap: int) -> GatewayError:
        return GatewayError(
            502,
            f"{self.provider}'s answer is larger than {cap / (1024 * 1024):g} MiB "
            "(limits.max_upstream_body_mb); it was not read",
            code="upstream_response_too_large",
        )
