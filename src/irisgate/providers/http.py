"""A provider's HTTP client: pooled API calls (`http_pool`), streamed media downloads (aiohttp), and
the mapping of transport failures to gateway errors."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from irisgate.providers.http_pool import ConnectFailedError, HttpPool
from irisgate.schemas.errors import GatewayError


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return orjson.loads(self.body) if self.body else None
        except orjson.JSONDecodeError:
            return None


class UpstreamClient:
    """Keep-alive connections to one provider: `HttpPool` for API calls, an aiohttp session (made
    on the first download) for streaming media."""

    def __init__(self, provider: str, timeout_seconds: float, extra_headers: Mapping[str, str] | None = None):
        self.provider = provider
        self.timeout_seconds = timeout_seconds
        self.extra_headers = dict(extra_headers or {})
        self.pool = HttpPool()
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The streaming session, created lazily inside the running loop."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=1000, keepalive_timeout=60, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout_seconds),
                json_serialize=lambda obj: orjson.dumps(obj).decode(),
                auto_decompress=True,
            )
        return self._session

    async def post_json(self, url: str, payload: Any, headers: Mapping[str, str]) -> UpstreamResponse:
        return await self.request("POST", url, payload, headers)

    async def request(
        self, method: str, url: str, payload: Any = None, headers: Mapping[str, str] | None = None
    ) -> UpstreamResponse:
        """One call to the provider's API, its body read in full (API answers are small)."""
        all_headers = {**self.extra_headers, **headers} if headers else self.extra_headers
        data = None
        if payload is not None:
            all_headers = {**all_headers, "Content-Type": "application/json"}
            data = orjson.dumps(payload)
        try:
            answer = await self.pool.request(method, url, data, all_headers, self.timeout_seconds)
            return UpstreamResponse(answer.status, answer.headers, answer.body)
        except TimeoutError:
            raise GatewayError(
                504,
                f"{self.provider} did not answer within {self.timeout_seconds:g} seconds "
                "(network_config.default_request_timeout_in_seconds)",
                code="upstream_timeout",
                headers={"x-should-retry": "false"},
                transient=True,
            ) from None
        except ConnectFailedError as exc:  # never connected: nothing reached the provider
            raise GatewayError(
                502,
                f"Could not reach {self.provider}: {type(exc.__cause__).__name__}",
                code="upstream_unreachable",
                transient=True,
                nothing_created=True,
            ) from None
        except ValueError as exc:  # a URL or header the request cannot carry: nothing was sent
            raise GatewayError(
                502,
                f"irisgate could not send the request to {self.provider}: {exc} "
                "(check the provider's base_url, keys and extra_headers)",
                code="upstream_request_invalid",
                nothing_created=True,
            ) from None
        except ConnectionError as exc:  # e.g. the connection dropped mid-answer: ambiguous
            raise GatewayError(
                502,
                f"Lost the connection to {self.provider}: {type(exc).__name__}",
                code="upstream_unreachable",
                transient=True,
            ) from None

    async def open_stream(self, url: str, headers: Mapping[str, str]) -> aiohttp.ClientResponse:
        """Start a GET of a media URL and return the response with its body unread, for streaming.

        The caller must `release()` it. No provider credentials are sent: output URLs are public
        or signed. Only the connect and each read are bounded by the timeout, not the whole body.
        """
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self.timeout_seconds, sock_read=self.timeout_seconds
        )
        try:
            return await self.session.get(url, headers=dict(headers), timeout=timeout, auto_decompress=False)
        except TimeoutError:
            raise GatewayError(
                504,
                f"{self.provider}'s media host did not answer in time",
                code="upstream_timeout",
                transient=True,
            ) from None
        except aiohttp.ClientError as exc:
            raise GatewayError(
                502,
                f"Could not download from {self.provider}: {type(exc).__name__}",
                code="upstream_unreachable",
                transient=True,
            ) from None

    async def aclose(self) -> None:
        self.pool.close()
        if self._session is not None and not self._session.closed:
            await self._session.close()
            await asyncio.sleep(0)
