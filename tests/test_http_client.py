"""A provider's HTTP client (`UpstreamClient`) against real scripted TCP servers: keep-alive, deadlines,
the connection limit, redirects, decoding, the answer-size cap, TLS, and transport errors."""

from __future__ import annotations

import asyncio
import gzip
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import brotli
import pytest
import trustme

from irisgate.config import NetworkConfig, ProxyConfig
from irisgate.providers.http import UpstreamClient
from irisgate.schemas.errors import GatewayError

from scripted_server import DROP, HANG, ScriptedServer, Seen, ok

Serve = Callable[..., Awaitable[ScriptedServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[ScriptedServer] = []

    async def start(script: Callable[[Seen], bytes], tls: ssl.SSLContext | None = None) -> ScriptedServer:
        server = await ScriptedServer(script).start(tls)
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., UpstreamClient]]:
    clients: list[UpstreamClient] = []

    def make(provider: str = "runway", **network: Any) -> UpstreamClient:
        network.setdefault("timeout_seconds", 5)
        network.setdefault("proxy", ProxyConfig(type="none"))
        client = UpstreamClient(provider, NetworkConfig(base_url="http://unused", **network))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


async def failure(call: Awaitable[Any]) -> GatewayError:
    with pytest.raises(GatewayError) as info:
        await call
    return info.value


async def test_connections_are_kept_alive_and_reused(serve, make_client):
    server = await serve(lambda seen: ok())
    client = make_client()
    for _ in range(5):
        answer = await client.post_json(server.base + "/v1", [1], {"Authorization": "Bearer k"})
        assert (answer.status, answer.json()) == (200, {"ok": True})
    assert server.connections == 1
    assert [seen.body for seen in server.seen] == [b"[1]"] * 5
    first = server.seen[0]
    assert first.headers["authorization"] == "Bearer k"
    assert first.headers["content-type"] == "application/json"
    assert first.headers["host"] == server.base.removeprefix("http://")
    assert first.headers["user-agent"].startswith("irisgate/")


async def test_connection_close_answers_are_not_reused(serve, make_client):
    server = await serve(lambda seen: ok(extra="Connection: close\r\n"))
    client = make_client()
    for _ in range(3):
        assert (await client.request("GET", server.base + "/x")).status == 200
    assert server.connections == 3


async def test_chunked_gzip_brotli_and_close_delimited_bodies(serve, make_client):
    def script(seen: Seen) -> bytes:
        if seen.target == "/chunked":
            return b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n:1}\r\n0\r\n\r\n'
        if seen.target == "/gzip":
            return ok(gzip.compress(b'{"zipped":1}'), "Content-Encoding: gzip\r\n")
        if seen.target == "/br":
            return ok(brotli.compress(b'{"brotli":1}'), "Content-Encoding: br\r\n")
        return b'HTTP/1.0 200 OK\r\nX-Thing: a\r\n\r\n{"until":"close"}'

    server = await serve(script)
    client = make_client()
    assert (await client.request("GET", server.base + "/chunked")).body == b'{"a":1}'
    assert (await client.request("GET", server.base + "/gzip")).body == b'{"zipped":1}'
    assert (await client.request("POST", server.base + "/br", {})).json() == {"brotli": 1}
    assert "br" in server.seen[-1].headers["accept-encoding"]
    answer = await client.request("GET", server.base + "/close")
    assert answer.body == b'{"until":"close"}'
    assert answer.headers["x-thing"] == answer.headers["X-THING"] == "a"


async def test_interim_answers_are_skipped(serve, make_client):
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    server = await serve(lambda seen: early + ok(b'{"final":true}'))
    client = make_client()
    for _ in range(2):
        answer = await client.request("GET", server.base + "/x")
        assert (answer.status, answer.body) == (200, b'{"final":true}')
    assert server.connections == 1


async def test_a_call_past_its_deadline_is_an_ambiguous_504_and_its_connection_is_dropped(serve, make_client):
    server = await serve(lambda seen: HANG if seen.target == "/slow" else ok())
    client = make_client(timeout_seconds=0.3)
    error = await failure(client.post_json(server.base + "/slow", {}, {}))
    assert (error.status, error.code, error.transient, error.nothing_created) == (
        504,
        "upstream_timeout",
        True,
        False,
    )
    assert "did not answer within 0.3 seconds" in error.message
    assert error.headers["x-should-retry"] == "false"
    assert (await client.request("GET", server.base + "/fast")).status == 200
    assert server.connections == 2


async def test_with_one_connection_held_by_a_hung_upstream_a_second_call_fails_in_time_never_sent(
    serve, make_client
):
    """Acceptance: the deadline covers the wait for a free connection, and says nothing went out."""

    def script(seen: Seen) -> bytes:  # the video's head, then a body that never comes
        return b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nContent-Length: 9999999\r\n\r\n" + HANG

    server = await serve(script)
    client = make_client(timeout_seconds=0.5, max_conns_per_host=1)
    download = await client.open_stream(server.base + "/video.mp4", {})  # holds the only connection
    try:
        started = time.monotonic()
        error = await failure(client.post_json(server.base + "/v1", [{"taskType": "imageInference"}], {}))
        elapsed = time.monotonic() - started
    finally:
        download.release()
    assert elapsed < 2, elapsed  # about the 0.5 s given, not the 3 s the old pool took
    assert (error.status, error.code) == (504, "upstream_timeout")
    assert error.transient and error.nothing_created  # safe to send again
    assert "the request was never sent" in error.message
    assert "max_conns_per_host" in error.message
    assert [seen.target for seen in server.seen] == ["/video.mp4"]


async def test_a_stale_connection_is_retried_for_get_but_a_post_is_not_resent(serve, make_client):
    # the server answers once per connection and then drops it at the next request, as a server
    # closing an idle keep-alive connection just as a request arrives does
    def script(seen: Seen) -> bytes:
        return DROP if sum(s.connection == seen.connection for s in server.seen) > 1 else ok()

    server = await serve(script)
    client = make_client()
    await client.request("GET", server.base + "/a")
    assert (await client.request("GET", server.base + "/b")).status == 200  # sent again, on a new connection
    assert [s.target for s in server.seen] == ["/a", "/b", "/b"]
    error = await failure(client.post_json(server.base + "/c", {}, {}))
    assert (error.status, error.code, error.transient, error.nothing_created) == (
        502,
        "upstream_unreachable",
        True,
        False,  # the POST may have been received
    )
    assert [s.target for s in server.seen][-1:] == ["/c"]  # sent once only


async def test_open_connections_are_capped_and_waiting_calls_get_one(serve, make_client):
    server = await serve(lambda seen: ok())
    client = make_client(max_conns_per_host=2)
    answers = await asyncio.gather(*(client.request("GET", server.base + f"/{i}") for i in range(8)))
    assert [a.status for a in answers] == [200] * 8
    assert server.most_open <= 2
    assert len(server.seen) == 8


async def test_a_cancelled_call_drops_its_connection(serve, make_client):
    server = await serve(lambda seen: HANG if seen.target == "/slow" else ok())
    client = make_client()
    call = asyncio.ensure_future(client.request("GET", server.base + "/slow"))
    while not server.seen:
        await asyncio.sleep(0.01)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await client.request("GET", server.base + "/fast")).status == 200
    assert server.connections == 2


async def test_unsafe_characters_in_targets_are_escaped_and_in_headers_refused(serve, make_client):
    server = await serve(lambda seen: ok())
    client = make_client(extra_headers={"X-Team": "a\r\nX-Evil: 1"})
    error = await failure(client.post_json(server.base + "/v1", [], {"Authorization": "Bearer secret-key"}))
    assert (error.status, error.code, error.nothing_created) == (502, "upstream_request_invalid", True)
    assert "'X-Team'" in error.message and "never sent" in error.message
    assert "X-Evil" not in error.message and "secret-key" not in error.message
    assert server.seen == []
    await make_client().request("GET", server.base + "/v1/tasks/a b\r\nX-Evil: 1")
    assert server.seen[0].target == "/v1/tasks/a%20bX-Evil:%201"
    assert "x-evil" not in server.seen[0].headers


async def test_a_url_with_credentials_is_refused_without_echoing_them(make_client):
    error = await failure(make_client().request("GET", "https://user:hunter2@api.example.com/v1"))
    assert (error.code, error.nothing_created) == ("upstream_request_invalid", True)
    assert "hunter2" not in error.message


async def test_a_dead_port_is_unreachable_and_never_sent(serve, make_client):
    server = await serve(lambda seen: ok())
    base = server.base
    await server.stop()
    error = await failure(make_client().request("GET", base + "/x"))
    assert (error.status, error.code, error.transient, error.nothing_created) == (
        502,
        "upstream_unreachable",
        True,
        True,
    )
    assert "Could not reach runway (127.0.0.1:" in error.message and "ConnectionRefusedError" in error.message
    assert "never sent" in error.message


async def test_a_malformed_answer_is_an_invalid_response_that_may_have_been_received(serve, make_client):
    server = await serve(lambda seen: b"NOT HTTP AT ALL\r\n\r\n")
    error = await failure(make_client().request("POST", server.base + "/x", {}))
    assert (error.status, error.code, error.nothing_created) == (502, "upstream_invalid_response", False)


async def test_redirects_are_followed_for_get_and_refused_for_post(serve, make_client):
    def script(seen: Seen) -> bytes:
        if seen.target == "/old":
            return ok(b"", "Location: /new\r\n", status="301 Moved Permanently")
        if seen.target == "/elsewhere":
            return ok(b"", f"Location: http://localhost:{server.port}/new\r\n", status="302 Found")
        return ok(b'{"moved":true}')

    server = await serve(script)
    client = make_client()
    answer = await client.request("GET", server.base + "/old", headers={"Authorization": "Bearer k"})
    assert (answer.status, answer.json()) == (200, {"moved": True})
    assert server.seen[1].headers["authorization"] == "Bearer k"  # same origin: kept
    await client.request("GET", server.base + "/elsewhere", headers={"Authorization": "Bearer k"})
    assert "authorization" not in server.seen[-1].headers  # another host: the key is not passed on
    seen_before = len(server.seen)
    error = await failure(client.post_json(server.base + "/old", [], {"Authorization": "Bearer k"}))
    assert (error.status, error.code) == (502, "upstream_redirect")  # the provider's fault, not the client's
    assert "HTTP 301" in error.message and "base_url" in error.message
    assert len(server.seen) == seen_before + 1  # not followed


async def test_answers_past_the_size_cap_are_refused(serve, make_client):
    big = b'{"data":"' + b"x" * 4000 + b'"}'

    def script(seen: Seen) -> bytes:
        if seen.target == "/gzip-bomb":  # small on the wire, large once decoded
            return ok(gzip.compress(big), "Content-Encoding: gzip\r\n")
        if seen.target == "/chunked":
            return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"%x\r\n%s\r\n0\r\n\r\n" % (
                len(big),
                big,
            )
        return ok(big)

    server = await serve(script)
    client = make_client(max_response_bytes=1024)
    for target in ("/plain", "/gzip-bomb", "/chunked"):
        error = await failure(client.request("GET", server.base + target))
        assert (error.status, error.code) == (502, "upstream_response_too_large"), target
        assert "limits.max_upstream_body_mb" in error.message
    assert (await make_client(max_response_bytes=8192).request("GET", server.base + "/gzip-bomb")).body == big


async def test_a_download_streams_undecoded_bytes_and_follows_redirects(serve, make_client):
    def script(seen: Seen) -> bytes:
        if seen.target == "/signed":
            return ok(b"", "Location: /video.mp4\r\n", status="302 Found")
        return ok(b"\x00\x00\x00\x18ftypmp42", "Content-Type: video/mp4\r\n")

    server = await serve(script)
    response = await make_client().open_stream(server.base + "/signed", {"Range": "bytes=0-"})
    try:
        assert response.status == 200
        assert await response.read() == b"\x00\x00\x00\x18ftypmp42"
    finally:
        response.release()
    assert server.seen[-1].headers["accept-encoding"] == "identity"
    assert server.seen[-1].headers["range"] == "bytes=0-"


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


def tls_server_context(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


async def test_https_is_verified_against_the_configured_ca(serve, make_client, authority):
    server = await serve(lambda seen: ok(), tls_server_context(authority))
    trusting = make_client(ca_cert_pem=authority.cert_pem.bytes().decode())
    for _ in range(2):
        assert (await trusting.post_json(server.base + "/v1", [], {})).json() == {"ok": True}
    assert server.connections == 1

    error = await failure(
        make_client(ca_cert_pem=trustme.CA().cert_pem.bytes().decode()).request(
            "POST", server.base + "/v1", {}
        )
    )
    assert (error.status, error.code, error.transient, error.nothing_created) == (
        502,
        "upstream_tls_error",
        False,
        True,
    )
    assert "TLS certificate problem" in error.message
    assert "ca_cert_pem" in error.message and "insecure_skip_verify" in error.message
    assert len(server.seen) == 2  # the refused call never reached the server

    skipping = make_client(insecure_skip_verify=True)
    assert (await skipping.request("GET", server.base + "/v1")).status == 200


async def test_a_dead_proxy_is_unreachable_and_never_sent(serve, make_client):
    server = await serve(lambda seen: ok())
    proxy = await serve(lambda seen: ok())
    proxy_url = proxy.base
    await proxy.stop()
    client = make_client(proxy=ProxyConfig(type="http", url=proxy_url))
    error = await failure(client.request("GET", server.base + "/x"))
    assert (error.code, error.transient, error.nothing_created) == ("upstream_unreachable", True, True)
    assert "Could not connect to the proxy for runway" in error.message and "never sent" in error.message
    assert server.seen == []


async def test_a_proxy_refusing_the_tunnel_is_never_sent(serve, make_client, authority):
    server = await serve(lambda seen: ok(), tls_server_context(authority))
    proxy = await serve(lambda seen: ok(b"", status="407 Proxy Authentication Required"))
    client = make_client(
        proxy=ProxyConfig(type="http", url=proxy.base), ca_cert_pem=authority.cert_pem.bytes().decode()
    )
    error = await failure(client.request("POST", server.base + "/v1", {}))
    assert (error.code, error.transient, error.nothing_created) == ("upstream_unreachable", True, True)
    assert "HTTP 407" in error.message and "username and password" in error.message
    assert [seen.method for seen in proxy.seen] == ["CONNECT"]
    assert server.seen == []
