"""A real TCP server answering HTTP requests from a script, recording what arrived and on which connection."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

HANG = b"<hang>"  # at the end of an answer: write what comes before, then keep the connection open, silent
DROP = b"<drop>"  # close the connection without answering


def ok(body: bytes = b'{"ok":true}', extra: str = "", status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


@dataclass
class Seen:
    connection: int
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    """Answers each request with ``script(seen)``."""

    script: Callable[[Seen], bytes]
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    open_now: int = 0
    most_open: int = 0
    server: asyncio.Server | None = None
    scheme: str = "http"
    handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    async def start(self, tls: ssl.SSLContext | None = None) -> ScriptedServer:
        self.scheme = "https" if tls else "http"
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=tls)
        return self

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.handlers.add(task)
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
                hang = answer.endswith(HANG)
                writer.write(answer.removesuffix(HANG))
                await writer.drain()
                if hang:
                    await asyncio.sleep(3600)
                if answer.startswith(b"HTTP/1.0") or b"Connection: close" in answer:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self.handlers.discard(task)
            self.open_now -= 1
            writer.close()

    async def stop(self) -> None:
        """Stop listening and end every connection, hung ones included."""
        assert self.server is not None
        self.server.close()
        for task in list(self.handlers):
            task.cancel()
        await asyncio.sleep(0)
