"""The protocol `irisgate serve` runs (server/http_protocol.py): an answer's head leaves in the same
write as its body, and never waits where a client would wait for it.

Served by real uvicorn on uvloop, as `irisgate serve` does; each connection's socket transport is
watched (every write still goes to the socket) to see how many writes each answer took."""

from __future__ import annotations

import asyncio
import http.client
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from irisgate.server.http_protocol import HeadWithBody, OneWriteHttpProtocol
from irisgate.simulators.runner import ServerThread

JSON = b'{"ok":true}'
CLIENT_TIMEOUT_SECONDS = 30  # a held head would hang the client: fail instead of hanging the suite


class WatchedTransport:
    """The socket transport, with a record of what was written to it, one entry per call."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        lines = [bytes(line) for line in lines]
        self.writes.append(b"".join(lines))
        self._transport.writelines(lines)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


WATCHED: list[WatchedTransport] = []


def watched(protocol: type[HttpToolsProtocol]) -> type[HttpToolsProtocol]:
    class Watched(protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            WATCHED.append(WatchedTransport(transport))
            super().connection_made(WATCHED[-1])

    return Watched


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    path = scope["path"]
    if path == "/json":
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"%d" % len(JSON))],
            }
        )
        await send({"type": "http.response.body", "body": JSON})
    elif path == "/stream":  # chunked: no length
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.01)  # the first chunk comes in a later turn of the loop
        for chunk in (b"one", b"two"):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/upload":
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"%d" % size
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})
    elif path == "/fails-after-start":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"10")]})
        raise RuntimeError("the app fails after starting its answer")


def serve(protocol: type[HttpToolsProtocol]) -> Iterator[ServerThread]:
    WATCHED.clear()
    with ServerThread(app, http=watched(protocol), loop="uvloop") as server:
        yield server


@pytest.fixture
def one_write() -> Iterator[ServerThread]:
    yield from serve(OneWriteHttpProtocol)


def connect(server: ServerThread) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=CLIENT_TIMEOUT_SECONDS)


def raw(server: ServerThread) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=CLIENT_TIMEOUT_SECONDS)


def read_to_end(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize(
    ("protocol", "writes_per_answer"), [(OneWriteHttpProtocol, 1), (HttpToolsProtocol, 2)]
)
def test_a_json_answer_is_one_write_where_uvicorn_makes_two(
    protocol: type[HttpToolsProtocol], writes_per_answer: int
) -> None:
    for server in serve(protocol):
        conn = connect(server)
        for _ in range(2):  # two answers on one kept-alive connection
            conn.request("GET", "/json")
            response = conn.getresponse()
            assert (response.status, response.read()) == (200, JSON)
        conn.close()
        (transport,) = WATCHED
        assert len(transport.writes) == 2 * writes_per_answer
        if writes_per_answer == 1:
            for write in transport.writes:
                assert write.startswith(b"HTTP/1.1 200 OK\r\n") and write.endswith(b"\r\n\r\n" + JSON)


def test_a_streamed_answer_sends_its_head_with_the_first_chunk(one_write: ServerThread) -> None:
    conn = connect(one_write)
    conn.request("GET", "/stream")
    response = conn.getresponse()
    assert response.getheader("transfer-encoding") == "chunked"
    assert response.read() == b"onetwo"
    first = WATCHED[0].writes[0]
    assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"\r\n\r\n3\r\none\r\n")


def test_a_head_request_gets_its_head_though_no_body_is_written(one_write: ServerThread) -> None:
    conn = connect(one_write)
    conn.request("HEAD", "/json")
    response = conn.getresponse()
    assert response.status == 200 and response.getheader("content-length") == str(len(JSON))
    assert response.read() == b""
    conn.request("GET", "/json")  # the connection goes on
    assert conn.getresponse().read() == JSON


def test_100_continue_is_sent_at_once_and_the_answer_follows(one_write: ServerThread) -> None:
    with raw(one_write) as sock:
        sock.sendall(b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before the client sends its body
        sock.sendall(b"hello")
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 201 Created\r\n") and answer.endswith(b"\r\n\r\n5")


def test_an_app_that_fails_after_starting_its_answer_still_sends_the_head(one_write: ServerThread) -> None:
    with raw(one_write) as sock:
        sock.sendall(b"GET /fails-after-start HTTP/1.1\r\nHost: t\r\n\r\n")
        answer = read_to_end(sock)  # uvicorn closes the connection: the head goes out first
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and b"content-length: 10\r\n" in answer
    assert answer.endswith(b"\r\n\r\n")


def test_a_held_head_is_dropped_not_written_once_the_client_has_left() -> None:
    """uvicorn closes the transport of an app that fails after starting its answer; if the client
    left meanwhile, the held head has nowhere to go (and uvloop raises on a write then)."""

    async def scenario() -> bytes:
        loop = asyncio.get_running_loop()
        server_side, client_side = socket.socketpair()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, server_side)
        held = HeadWithBody(transport)
        held.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        client_side.close()
        while not transport.is_closing():  # until the loop has seen the client go
            await asyncio.sleep(0.01)
        held.close()
        return b"closed"

    assert uvloop.run(asyncio.wait_for(scenario(), CLIENT_TIMEOUT_SECONDS)) == b"closed"
