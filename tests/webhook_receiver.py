"""A webhook receiver for the tests: a real HTTP server on a loopback port that keeps every request it
gets (body bytes and headers) and answers with the statuses it is told (200 once they run out), or
after a delay."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import orjson
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from irisgate.simulators.runner import ServerThread


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]
    at: float
    status: int  # what the receiver answered

    @property
    def event(self) -> dict:
        return orjson.loads(self.body)


@dataclass
class Receiver:
    url: str = ""
    answers: list[int] = field(default_factory=list)  # the next answers' statuses, in order
    delay_seconds: float = 0.0  # before each answer
    hang: int = 0  # the next requests get no answer for a minute (recorded with status 0)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, ok_only: bool = True) -> list[dict]:
        with self.lock:
            return [r.event for r in self.received if not ok_only or 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float = 60, ok_only: bool = True) -> list[dict]:
        deadline = time.monotonic() + timeout
        while len(self.events(ok_only)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got {len(self.events(ok_only))} events, not {count}")
            time.sleep(0.1)
        return self.events(ok_only)

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.answers.clear()
            self.delay_seconds = 0.0
            self.hang = 0

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self.lock:
                hanging = self.hang > 0
                self.hang -= hanging
            if hanging:
                with self.lock:
                    self.received.append(Received(body, dict(request.headers), time.time(), 0))
                await asyncio.sleep(60)
                return Response(b"too late", 200)
            if self.delay_seconds:
                await asyncio.sleep(self.delay_seconds)
            with self.lock:
                status = self.answers.pop(0) if self.answers else 200
                self.received.append(Received(body, dict(request.headers), time.time(), status))
            return Response(b"ok" if status < 300 else b"no", status)

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handle = Receiver()
    with ServerThread(handle.app()) as server:
        handle.url = server.url + "/hook"
        yield handle


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    handle = Receiver()
    with ServerThread(handle.app()) as server:
        handle.url = server.url + "/hook"
        yield handle
