"""One webhook send: a signed POST with aiohttp, its own timeout, no redirect followed.

One session per process, made when the gateway starts; its connector resolves names through
`urls.CheckedResolver` (no DNS cache: every connection's addresses are checked) and holds at most
``webhooks.max_in_flight`` connections. Proxies are not used: a webhook goes straight to its host.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from irisgate import __version__
from irisgate.config.models import WebhooksConfig
from irisgate.schemas.errors import parse_retry_after
from irisgate.webhooks.signing import signed_headers
from irisgate.webhooks.urls import CheckedResolver, UrlRefused, check_literal

USER_AGENT = f"irisgate/{__version__} (webhooks)"
MAX_ANSWER_READ = 64 * 1024  # of a receiver's answer, read (and dropped) so the connection can be reused


@dataclass(frozen=True)
class Outcome:
    """What one send came to: the receiver's status, or why there was none."""

    latency_ms: float
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender:
    def __init__(self, config: WebhooksConfig) -> None:
        self.config = config
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        connector = aiohttp.TCPConnector(
            limit=self.config.max_in_flight,
            resolver=CheckedResolver(self.config.allow_private_urls),
            use_dns_cache=False,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=aiohttp.ClientTimeout(total=self.config.timeout_seconds),
            trust_env=False,
            auto_decompress=False,
            headers={"user-agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, url: str, body: bytes, message_id: str, secrets: Sequence[str]) -> Outcome:
        """POST ``body`` to ``url`` signed with ``secrets``; never raises for the receiver's sake."""
        assert self._session is not None, "Sender.start() first"
        started = time.perf_counter()
        try:
            check_literal(url, self.config.allow_private_urls)
        except UrlRefused as refused:
            return Outcome(0.0, error=f"refused: {refused}")
        headers = {"content-type": "application/json", **signed_headers(message_id, body, secrets)}
        try:
            async with self._session.post(url, data=body, headers=headers, allow_redirects=False) as answer:
                await answer.content.read(MAX_ANSWER_READ)
                retry_after = parse_retry_after(answer.headers)
                return Outcome(_since(started), status_code=answer.status, retry_after=retry_after)
        except TimeoutError:
            return Outcome(_since(started), error=f"timed out after {self.config.timeout_seconds:g} s")
        except aiohttp.ClientConnectorError as error:
            return Outcome(_since(started), error=_connect_error(error))
        except (aiohttp.ClientError, OSError) as error:
            return Outcome(_since(started), error=f"{type(error).__name__}: {error}"[:500])


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _connect_error(error: aiohttp.ClientConnectorError) -> str:
    cause = error.os_error
    text = str(cause.strerror or cause) if cause is not None else str(error)
    if text.startswith("refused:"):  # CheckedResolver's: the name resolves to a private address
        return text
    if isinstance(cause, ConnectionRefusedError) or "refused" in text.lower():
        return f"connection refused by {error.host}:{error.port}"
    return f"could not connect to {error.host}:{error.port}: {text}"[:500]
