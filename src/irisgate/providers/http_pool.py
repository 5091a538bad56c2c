"""A lean keep-alive HTTP/1.1 client for provider API calls: asyncio protocols + httptools.

Provider API calls are small JSON requests and answers, made on every gateway request. aiohttp's
client spends ~170 µs of CPU on each such call on this machine; this client, which does only what
those calls need, spends ~45 µs (`bench/RESULTS.md`). Media downloads, which stream, still use
aiohttp (`UpstreamClient.open_stream`).

What it does: one pool of idle connections per origin (scheme, host, port), reused most recent
first and dropped after `IDLE_SECONDS`; TLS for https; a cap on open connections (callers wait for
one to come free); a total deadline per call; `Connection: close` and HTTP/1.0 answers honoured;
bodies ended by content-length, chunked encoding, or the connection's end; gzip/deflate answers
decoded. A GET on a reused connection that the server had already closed is sent again once on a
new one; a POST is not (it may have been received), and fails as `ConnectionLostError`.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httptools

IDLE_SECONDS = 15.0  # below the usual 60 s idle timeout of load balancers in front of APIs
MAX_IDLE_PER_ORIGIN = 256
SAFE_TARGET = "/?=&%:@!$'()*+,;~-._"
USER_AGENT = "irisgate"


class ConnectionLostError(ConnectionError):
    """The connection ended before a whole answer arrived (the request may have been received)."""

    def __init__(self, message: str, *, answer_started: bool) -> None:
        super().__init__(message)
        self.answer_started = answer_started


class ConnectFailedError(ConnectionError):
    """No connection could be made: nothing reached the server."""


class BadAnswerError(ConnectionError):
    """The server's bytes are not an HTTP/1.1 answer."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # names in lower case; repeated headers joined with ", "
    body: bytes


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    host_header: str

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def split_url(url: str, origins: dict[str, Origin]) -> tuple[Origin, str]:
    """The origin (parsed once per authority, then cached) and the request target of ``url``."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("http", "https"):
        raise ValueError("the URL is not http(s)")  # not echoed: it may hold credentials
    end = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1 and found < end:
            end = found
    authority, target = rest[:end], rest[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    if not (target.isascii() and target.isprintable()) or " " in target:
        target = quote(target, safe=SAFE_TARGET)
    key = scheme + "://" + authority
    origin = origins.get(key)
    if origin is None:
        origin = origins[key] = parse_origin(scheme, authority)
    return origin, target


def parse_origin(scheme: str, authority: str) -> Origin:
    if not authority or "@" in authority or not (authority.isascii() and authority.isprintable()):
        raise ValueError("the URL's host is empty, not ASCII, or has credentials in it")
    if authority.startswith("["):  # an IPv6 literal, [::1]:8080
        host, _, port_text = authority[1:].partition("]")
        port_text = port_text.removeprefix(":")
    else:
        host, _, port_text = authority.partition(":")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    return Origin(scheme, host, port, authority)


class Connection(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self.used = False  # has carried a request before (a stale reused connection is retried)
        self._waiter: asyncio.Future[Answer] | None = None
        self._headers: dict[str, str] = {}
        self._body: list[bytes] = []
        self._started = False  # bytes of the current answer have arrived
        self._headers_done = False
        self._ends_with_connection = False

    # --- asyncio.Protocol ---
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._started = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(BadAnswerError(f"malformed HTTP answer: {exc}"))
            self.close()

    def eof_received(self) -> bool:
        self.closed = True
        return False  # let the transport close; connection_lost ends or fails the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            if self._headers_done and self._ends_with_connection:
                self.on_message_complete()  # a body delimited by the end of the connection
            else:
                lost = ConnectionLostError(
                    "the connection closed before the whole answer arrived", answer_started=self._started
                )
                self._fail(lost)

    # --- httptools callbacks ---
    def on_header(self, name: bytes, value: bytes) -> None:  # whole: httptools joins split reads
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        previous = self._headers.get(key)
        self._headers[key] = text if previous is None else f"{previous}, {text}"

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self._ends_with_connection = (
            "content-length" not in self._headers
            and "chunked" not in self._headers.get("transfer-encoding", "").lower()
        )

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.parser.get_status_code() < 200:  # an interim answer (103 Early Hints…)
            self._reset()
            self._started = True
            return
        waiter, self._waiter = self._waiter, None
        body = b"".join(self._body)
        headers = self._headers
        self._reset()
        if not self.parser.should_keep_alive():
            self.close()
        if waiter is None or waiter.done():
            return
        try:
            body = decoded(body, headers.get("content-encoding"))
        except zlib.error as exc:
            waiter.set_exception(BadAnswerError(f"could not decode the answer: {exc}"))
            return
        waiter.set_result(Answer(self.parser.get_status_code(), headers, body))

    # --- use ---
    def send(self, head: bytes, body: bytes | None, waiter: asyncio.Future[Answer]) -> None:
        self._waiter = waiter
        self.used = True
        assert self.transport is not None
        self.transport.write(head + body if body else head)

    def reusable(self) -> bool:
        """Open, and its server has not said it is closing it."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def answered(self) -> bool:
        return self._waiter is None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, error: Exception) -> None:
        waiter, self._waiter = self._waiter, None
        self._reset()
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _reset(self) -> None:
        self._headers = {}
        self._body = []
        self._started = False
        self._headers_done = False
        self._ends_with_connection = False


def decoded(body: bytes, encoding: str | None) -> bytes:
    if not encoding or encoding == "identity" or not body:
        return body
    if encoding in ("gzip", "x-gzip", "deflate"):
        return zlib.decompress(body, wbits=47)  # gzip or zlib headers, detected
    raise zlib.error(f"unsupported content-encoding {encoding!r}")


class OriginPool:
    """Idle connections to one origin, most recently used first, and a cap on open ones."""

    def __init__(self, origin: Origin, limit: int, ssl_context: ssl.SSLContext | None) -> None:
        self.origin = origin
        self.limit = limit
        self.ssl_context = ssl_context
        self.idle: list[Connection] = []
        self.open = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, connect_timeout: float) -> Connection:
        now = time.monotonic()
        while self.idle:
            connection = self.idle.pop()
            if connection.reusable() and now - connection.idle_since < IDLE_SECONDS:
                return connection
            self._drop(connection)
        while self.open >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self.waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter in self.waiters:
                    self.waiters.remove(waiter)
                raise
            if self.idle:
                return await self.acquire(connect_timeout)
        self.open += 1
        try:
            return await asyncio.wait_for(self._connect(), connect_timeout)
        except BaseException as exc:
            self.open -= 1
            self._wake_one()
            if isinstance(exc, OSError) and not isinstance(exc, TimeoutError):
                raise ConnectFailedError(f"{type(exc).__name__}: {exc}") from exc
            raise

    async def _connect(self) -> Connection:
        origin = self.origin
        _, connection = await asyncio.get_running_loop().create_connection(
            Connection,
            origin.host,
            origin.port,
            ssl=self.ssl_context if origin.tls else None,
            server_hostname=origin.host if origin.tls else None,
        )
        return connection

    def release(self, connection: Connection) -> None:
        if connection.closed or not connection.answered() or len(self.idle) >= MAX_IDLE_PER_ORIGIN:
            self._drop(connection)
            return
        connection.idle_since = time.monotonic()
        self.idle.append(connection)
        self._wake_one()

    def _drop(self, connection: Connection) -> None:
        connection.close()
        self.open -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class HttpPool:
    """Pooled HTTP/1.1 calls: ``await pool.request("POST", url, body, headers, timeout)``."""

    def __init__(self, limit_per_origin: int = 1000, ssl_context: ssl.SSLContext | None = None) -> None:
        self.limit_per_origin = limit_per_origin
        self._origins: dict[str, Origin] = {}
        self._pools: dict[Origin, OriginPool] = {}
        self._ssl = ssl_context  # the system's trusted CAs unless given

    def _pool(self, origin: Origin) -> OriginPool:
        pool = self._pools.get(origin)
        if pool is None:
            if origin.tls and self._ssl is None:
                self._ssl = ssl.create_default_context()
            pool = self._pools[origin] = OriginPool(origin, self.limit_per_origin, self._ssl)
        return pool

    async def request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float,
    ) -> Answer:
        """Send one request and read its whole answer within ``timeout`` seconds (TimeoutError)."""
        origin, target = split_url(url, self._origins)
        head = request_head(method, target, origin.host_header, headers, body)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pool = self._pool(origin)
        while True:
            connection = await pool.acquire(max(deadline - loop.time(), 0.001))
            reused = connection.used
            waiter: asyncio.Future[Answer] = loop.create_future()
            timer = loop.call_at(deadline, _expire, waiter)
            try:
                connection.send(head, body, waiter)
                return await waiter
            except ConnectionLostError as lost:
                if method == "GET" and reused and not lost.answer_started and loop.time() < deadline:
                    continue  # a stale keep-alive connection: send again on a fresh one
                raise
            finally:
                timer.cancel()
                if not connection.answered():
                    connection.close()  # timed out, cancelled or failed mid-answer: never reused
                pool.release(connection)

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def _expire(waiter: asyncio.Future[Any]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def request_head(
    method: str, target: str, host: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\n"]
    for name, value in headers.items():
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
            raise ValueError(f"header {name!r} has a line break or a colon in it")
        lines.append(f"{name}: {value}\r\n")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body) if body else 0}\r\n")
    lines.append("\r\n")
    return "".join(lines).encode("latin-1")
