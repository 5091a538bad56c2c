"""Run any ASGI app with uvicorn on a background thread, or several in the foreground until Ctrl-C.

with ServerThread(app) as server:          # binds 127.0.0.1:<ephemeral> before starting
    httpx.get(server.url + "/health")
ServerThread(app, ssl_certfile=..., ssl_keyfile=...)   # the same over HTTPS (server.url is https://…)

serve_forever(apps: Mapping[str, tuple[ASGIApp, int]], host: str = "127.0.0.1",
              notes: Mapping[str, str] | None = None, out: Callable[[str], None] = print) -> None
    Serves each named app on its port (0 = ephemeral), prints one line per app:
    "<name>: <url>  <note>" (notes[name], e.g. the accepted API keys), then blocks until
    KeyboardInterrupt / SIGTERM-as-KeyboardInterrupt and stops every server.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any

import uvicorn

ASGIApp = Any  # any ASGI 3 callable; kept loose so Starlette apps and plain callables both fit

_START_TIMEOUT_SECONDS = 30.0


class ServerThread:
    """uvicorn in a daemon thread, on a socket bound before the thread starts."""

    def __init__(
        self,
        app: ASGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
        **options: Any,
    ) -> None:
        """``ssl_certfile`` / ``ssl_keyfile`` (PEM files) serve HTTPS; ``options``: more of
        ``uvicorn.Config``'s (e.g. ``http``, ``loop``)."""
        self.app = app
        self.host = host
        self.port = port
        self.scheme = "https" if ssl_certfile else "http"
        if ssl_certfile:
            options.update(ssl_certfile=ssl_certfile, ssl_keyfile=ssl_keyfile)
        self._options = options
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self._error: BaseException | None = None

    def start(self) -> ServerThread:
        """Start serving; returns once the server accepts connections."""
        if self._thread is not None:
            return self
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(2048)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]
        host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.url = f"{self.scheme}://{host}:{self.port}"
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan="auto", access_log=False, **self._options
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"asgi-server-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"server on {self.url} failed to start") from self._error
            if time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.url} did not start within {_START_TIMEOUT_SECONDS}s")
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        assert self._server is not None and self._socket is not None
        try:
            self._server.run(sockets=[self._socket])
        except BaseException as exc:  # surfaced by start()
            self._error = exc

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def serve_forever(
    apps: Mapping[str, tuple[ASGIApp, int]],
    host: str = "127.0.0.1",
    notes: Mapping[str, str] | None = None,
    out: Callable[[str], None] = print,
) -> None:
    """Serve every named app on its port until Ctrl-C, printing the URLs (and notes, e.g. keys)."""
    servers: list[ServerThread] = []
    try:
        for name, (app, port) in apps.items():
            server = ServerThread(app, host=host, port=port).start()
            servers.append(server)
            note = (notes or {}).get(name)
            out(f"{name}: {server.url}" + (f"  {note}" if note else ""))
        out("Press Ctrl-C to stop.")
        while all(s._thread is not None and s._thread.is_alive() for s in servers):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
