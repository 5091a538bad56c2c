"""Bounded resources (issue 17): large bodies are read once, without copies that multiply them, and
only so many at a time; stalled connections are closed."""

from __future__ import annotations

import base64
import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from serve_helpers import free_port, start_serve, wait_for_health, write_config

MIB = 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class PeakRss:
    """Samples a process's resident memory every few milliseconds while in use."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def large_video_body(megabytes: int) -> bytes:
    """A video create whose `input_reference` is a data URI of that many MiB (a PNG by its first
    bytes, too large to be accepted)."""
    image = PNG_MAGIC + b"\0" * (megabytes * MIB * 3 // 4 - len(PNG_MAGIC))
    uri = b"data:image/png;base64," + base64.b64encode(image)
    return b'{"model": "runway/gen4.5", "prompt": "a lighthouse", "input_reference": "' + uri + b'"}'


@contextlib.contextmanager
def serving(tmp_path, runware_sim, **limits: int) -> Iterator[tuple[str, subprocess.Popen]]:
    """`irisgate serve` (one worker) with these `limits`."""
    config = write_config(tmp_path / "config.json", runware_sim.api_url, key=runware_sim.api_key)
    config.write_text(json.dumps({**json.loads(config.read_text()), "limits": limits}))
    port = free_port()
    process = start_serve(config, tmp_path / "data", port)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
        yield url, process
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


@pytest.fixture
def served(tmp_path, runware_sim):
    with serving(tmp_path, runware_sim) as server:
        yield server


def test_eight_concurrent_60_mb_bodies_cost_less_than_twice_their_size(served):
    url, process = served
    body = large_video_body(60)
    with httpx.Client(base_url=url, timeout=120) as client:  # warm up what a large request touches
        client.post("/v1/videos", content=large_video_body(2), headers={"content-type": "application/json"})
    before = rss_bytes(process.pid)

    def send(_: int) -> httpx.Response:
        with httpx.Client(base_url=url, timeout=120) as client:
            return client.post("/v1/videos", content=body, headers={"content-type": "application/json"})

    with PeakRss(process.pid) as rss, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    accepted = [a for a in answers if a.status_code != 503]
    assert {a.status_code for a in accepted} == {413}, [a.text[:200] for a in answers]
    assert accepted[0].json()["error"]["param"] == "input_reference"
    in_flight = len(accepted) * len(body)
    growth = rss.peak - before
    assert growth < 2 * in_flight, f"{len(accepted)} bodies in flight: RSS grew {growth / MIB:.0f} MiB"


def test_past_the_cap_a_large_body_is_refused_before_it_is_read(tmp_path, runware_sim):
    """Two uploads that hold their slots (their bodies half sent), then a third large request: 503 at
    once. The holders are raw connections, so that whether each got its slot is known, not guessed:
    a refused one has its answer already, a holding one has none."""
    head, tail = b'{"model": "runway/gen4.5", "prompt": "', b"x" * (2 * MIB) + b'"}'
    large = large_video_body(2)
    json_body = {"content-type": "application/json"}

    def hold_a_slot(port: int) -> socket.socket | None:
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(
            f"POST /v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(head) + len(tail)}\r\n\r\n".encode()
            + head
        )
        sock.settimeout(1.0)
        try:
            sock.recv(1)  # an answer already: refused
        except TimeoutError:
            sock.settimeout(60)
            return sock  # no answer: it holds a slot, waiting for the rest of its body
        sock.close()
        return None

    with serving(tmp_path, runware_sim, max_concurrent_large_bodies=2) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        holders: list[socket.socket] = []
        while len(holders) < 2:  # (a slot freed a moment late after an earlier test's request: again)
            if (holder := hold_a_slot(port)) is not None:
                holders.append(holder)
        refused = httpx.post(url + "/v1/videos", content=large, headers=json_body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"]["code"] == "too_many_large_requests"
        assert refused.headers["retry-after"] == "1"
        assert httpx.get(url + "/health").status_code == 200  # small requests are not held up
        small = {"model": "runway/gen4.5", "prompt": "a lighthouse", "seconds": "nope"}
        assert httpx.post(url + "/v1/videos", json=small).status_code == 400
        for holder in holders:  # the rest of their bodies: read and judged (the prompt is too long)
            holder.sendall(tail)
            assert holder.recv(64).startswith(b"HTTP/1.1 400"), "the holder's answer"
            holder.close()
        for _ in range(100):  # a slot comes free as its request ends, a moment after its answer left
            answer = httpx.post(url + "/v1/videos", content=large, headers=json_body)
            if answer.status_code != 503:
                break
            time.sleep(0.02)
        assert answer.status_code == 400, answer.text  # read and judged: a slot is free again
        assert answer.json()["error"]["code"] == "unknown_provider"  # (this gateway has Runware only)


def test_slowloris_connections_are_closed_while_health_keeps_answering(tmp_path, runware_sim):
    """200 connections trickle a request (100 a header line, 100 a body) a few bytes a second; each is
    closed once its request has taken longer than limits.request_read_timeout_seconds to arrive."""
    with serving(tmp_path, runware_sim, request_read_timeout_seconds=3) as (url, _):
        port = int(url.rsplit(":", 1)[1])
        connections = []
        for n in range(200):
            sock = socket.create_connection(("127.0.0.1", port))
            if n % 2:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            else:
                sock.sendall(
                    b"POST /v1/images/generations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
                )
            sock.setblocking(False)
            connections.append((n % 2, sock))
        open_ones = list(connections)
        health = []
        deadline = time.monotonic() + 45
        while open_ones and time.monotonic() < deadline:
            for in_headers, sock in list(open_ones):
                try:
                    sock.send(b"X-Slow: 1\r\n" if in_headers else b" ")
                    if sock.recv(65536) == b"":
                        raise ConnectionResetError
                except BlockingIOError:
                    continue  # still open, nothing to read
                except OSError:
                    open_ones.remove((in_headers, sock))
                    sock.close()
            health.append(httpx.get(url + "/health", timeout=10).status_code)
            time.sleep(0.5)
        assert not open_ones, f"{len(open_ones)} slow connections still open after 45 s"
        assert health and set(health) == {200}
