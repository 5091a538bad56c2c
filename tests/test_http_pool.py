"""The pooled HTTP/1.1 client of provider API calls, against a real scripted TCP server."""

from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import trustme

from irisgate.providers import http_pool
from irisgate.providers.http import UpstreamClient
from irisgate.providers.http_pool import ConnectFailedError, ConnectionLostError, HttpPool
from irisgate.schemas.errors import GatewayError

HANG = b"hang"  # answer nothing and keep the connection open
DROP = b"drop"  # close the connection without answering


def ok(body: bytes = b'{"ok":true}', extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


@dataclass
class Seen:
    connection: int
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Answers each request with ``script(seen)``; records what arrived and on which connection."""

    script: Callable[[Seen], bytes]
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    server: asyncio.Server | None = None

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def start(self, tls: ssl.SSLContext | None = None) -> ScriptedServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                method, target, _ = request_line.split(" ")
                headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                seen = Seen(number, method, target, headers, body)
                self.seen.append(seen)
                answer = self.script(seen)
                if answer == DROP:
                    return
                if answer == HANG:
                    await asyncio.sleep(3600)
                writer.write(answer)
                await writer.drain()
                if answer.startswith(b"HTTP/1.0") or b"Connection: close" in answer:
                    return
        finally:
            self.open_now -= 1
            writer.close()

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()


@pytest.fixture
async def serve():
    servers: list[ScriptedServer] = []

    async def start(script: Callable[[Seen], bytes], tls: ssl.SSLContext | None = None) -> ScriptedServer:
        server = await ScriptedServer(script).start(tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def pool():
    pool = HttpPool()
    yield pool
    pool.close()


async def test_connections_are_kept_alive_and_reused(serve, pool):
    server = await serve(lambda seen: ok())
    for _ in range(5):
        answer = await pool.request("POST", server.base + "/v1", b"[1]", {"Authorization": "Bearer k"}, 5)
        assert (answer.status, answer.body) == (200, b'{"ok":true}')
    assert server.connections == 1
    assert [seen.body for seen in server.seen] == [b"[1]"] * 5
    first = server.seen[0]
    assert first.headers["authorization"] == "Bearer k"
    assert first.headers["content-length"] == "3"
    assert first.headers["host"] == server.base.removeprefix("http://")


async def test_connection_close_answers_are_not_reused(serve, pool):
    server = await serve(lambda seen: ok(extra="Connection: close\r\n"))
    for _ in range(3):
        assert (await pool.request("GET", server.base + "/x", None, {}, 5)).status == 200
    assert server.connections == 3


async def test_chunked_gzip_and_close_delimited_bodies(serve, pool):
    packed = gzip.compress(b'{"zipped":1}')

    def script(seen: Seen) -> bytes:
        if seen.target == "/chunked":
            return b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
        if seen.target == "/gzip":
            return ok(packed, "Content-Encoding: gzip\r\n")
        return b'HTTP/1.0 200 OK\r\nX-Thing: a\r\nX-Thing: b\r\n\r\n{"until":"close"}'

    server = await serve(script)
    assert (await pool.request("GET", server.base + "/chunked", None, {}, 5)).body == b'{"a":1}'
    assert (await pool.request("GET", server.base + "/gzip", None, {}, 5)).body == b'{"zipped":1}'
    answer = await pool.request("GET", server.base + "/close", None, {}, 5)
    assert answer.body == b'{"until":"close"}'
    assert answer.headers["x-thing"] == "a, b"


async def test_interim_answers_are_skipped(serve, pool):
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    server = await serve(lambda seen: early + ok(b'{"final":true}'))
    for _ in range(2):
        answer = await pool.request("GET", server.base + "/x", None, {}, 5)
        assert (answer.status, answer.body) == (200, b'{"final":true}')
        assert "link" not in answer.headers
    assert server.connections == 1


async def test_idle_connections_are_dropped_after_the_idle_limit(serve, pool, monkeypatch):
    server = await serve(lambda seen: ok())
    await pool.request("GET", server.base + "/a", None, {}, 5)
    await pool.request("GET", server.base + "/b", None, {}, 5)
    assert server.connections == 1  # reused while fresh
    monkeypatch.setattr(http_pool, "IDLE_SECONDS", 0.0)
    await pool.request("GET", server.base + "/c", None, {}, 5)
    assert server.connections == 2  # idle past the limit: a new connection, the old one closed
    for _ in range(500):  # the server sees the old connection end soon after
        if server.open_now == 1:
            break
        await asyncio.sleep(0.01)
    assert server.open_now == 1


async def test_a_call_past_its_deadline_times_out_and_its_connection_is_dropped(serve, pool):
    server = await serve(lambda seen: HANG if seen.target == "/slow" else ok())
    with pytest.raises(TimeoutError):
        await pool.request("GET", server.base + "/slow", None, {}, 0.2)
    assert (await pool.request("GET", server.base + "/fast", None, {}, 5)).status == 200
    assert server.connections == 2


async def test_a_stale_connection_is_retried_for_get_but_not_for_post(serve, pool):
    # the server answers once per connection and then drops it on the next request, as a server
    # closing an idle keep-alive connection just as a request arrives does
    def script(seen: Seen) -> bytes:
        return DROP if sum(s.connection == seen.connection for s in server.seen) > 1 else ok()

    server = await serve(script)
    await pool.request("GET", server.base + "/a", None, {}, 5)
    answer = await pool.request("GET", server.base + "/b", None, {}, 5)  # sent again, on a new connection
    assert answer.status == 200
    assert [s.target for s in server.seen] == ["/a", "/b", "/b"]
    with pytest.raises(ConnectionLostError) as lost:
        await pool.request("POST", server.base + "/c", b"{}", {}, 5)
    assert lost.value.answer_started is False
    assert [s.target for s in server.seen][-1:] == ["/c"]  # sent once only


async def test_open_connections_are_capped_and_waiting_calls_get_one(serve):
    server = await serve(lambda seen: ok())
    pool = HttpPool(limit_per_origin=2)
    try:
        calls = [pool.request("GET", server.base + f"/{i}", None, {}, 5) for i in range(8)]
        answers = await asyncio.gather(*calls)
    finally:
        pool.close()
    assert [a.status for a in answers] == [200] * 8
    assert server.most_open <= 2
    assert len(server.seen) == 8


async def test_a_cancelled_call_drops_its_connection(serve, pool):
    server = await serve(lambda seen: HANG if seen.target == "/slow" else ok())
    call = asyncio.ensure_future(pool.request("GET", server.base + "/slow", None, {}, 5))
    while not server.seen:
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await pool.request("GET", server.base + "/fast", None, {}, 5)).status == 200
    assert server.connections == 2


async def test_unsafe_characters_in_targets_are_escaped_and_in_headers_refused(serve, pool):
    server = await serve(lambda seen: ok())
    await pool.request("GET", server.base + "/v1/tasks/a b\r\nX-Evil: 1", None, {}, 5)
    assert server.seen[0].target == "/v1/tasks/a%20b%0D%0AX-Evil:%201"
    assert "x-evil" not in server.seen[0].headers
    with pytest.raises(ValueError, match="line break"):
        await pool.request("GET", server.base + "/", None, {"Authorization": "Bearer k\r\nX-Evil: 1"}, 5)


async def test_malformed_answers_and_dead_ports_map_to_gateway_errors(serve):
    server = await serve(lambda seen: b"NOT HTTP AT ALL\r\n\r\n")
    client = UpstreamClient("runway", 5)
    try:
        with pytest.raises(GatewayError) as bad:
            await client.request("GET", server.base + "/x")
        assert (bad.value.status, bad.value.code) == (502, "upstream_unreachable")
        assert bad.value.nothing_created is False  # the request may have been received
        base = server.base
        await server.stop()
        with pytest.raises(GatewayError) as unreachable:
            await client.request("GET", base + "/x")
        assert unreachable.value.nothing_created is True
        assert "Could not reach runway: ConnectionRefusedError" in unreachable.value.message
    finally:
        await client.aclose()


async def test_a_request_that_cannot_be_sent_is_a_502_naming_the_header_not_its_value(serve):
    server = await serve(lambda seen: ok())
    client = UpstreamClient("runware", 5, {"X-Team": "a\r\nX-Evil: 1"})
    try:
        with pytest.raises(GatewayError) as refused:
            await client.post_json(server.base + "/v1", [], {"Authorization": "Bearer secret-key"})
    finally:
        await client.aclose()
    assert (refused.value.status, refused.value.code) == (502, "upstream_request_invalid")
    assert refused.value.nothing_created is True
    assert "'X-Team'" in refused.value.message
    assert "X-Evil" not in refused.value.message and "secret-key" not in refused.value.message
    assert server.seen == []


async def test_a_url_with_credentials_is_refused_without_echoing_them(pool):
    with pytest.raises(ValueError) as refused:
        await pool.request("GET", "https://user:hunter2@api.example.com/v1", None, {}, 5)
    assert "hunter2" not in str(refused.value)


async def test_connect_failures_are_told_apart_from_lost_connections(pool):
    with pytest.raises(ConnectFailedError):
        await pool.request("GET", "http://127.0.0.1:9/x", None, {}, 5)


async def test_https_is_verified_against_trusted_authorities(serve):
    authority = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(server_tls)
    server = await serve(lambda seen: ok(), server_tls)
    url = server.base.replace("http://127.0.0.1", "https://localhost") + "/v1"
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    pool = HttpPool(ssl_context=trusting)
    try:
        for _ in range(2):
            assert (await pool.request("POST", url, b"[]", {}, 5)).body == b'{"ok":true}'
    finally:
        pool.close()
    assert server.connections == 1
    assert server.seen[0].headers["host"] == url.removeprefix("https://").removesuffix("/v1")
    untrusting = HttpPool()  # the system's authorities do not know this one
    try:
        with pytest.raises(ConnectFailedError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.request("POST", url, b"[]", {}, 5)
    finally:
        untrusting.close()
