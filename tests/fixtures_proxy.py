"""Pytest plugin: a real forward proxy (Debian's tinyproxy) and the provider simulators over TLS.

`tinyproxy` runs once per session on a free loopback port, with its own config in a temporary
folder: it accepts clients from 127.0.0.1 only, asks for HTTP Basic credentials (`PROXY_USER`,
`PROXY_PASSWORD`), allows CONNECT to any port (no `ConnectPort` line), and opens its own outgoing
connections from 127.0.0.2. So a simulator knows which requests came through the proxy: their peer
is 127.0.0.2, where a direct connection's is 127.0.0.1. Its log names every tunnel it opened.

`tls_sims` serves a Runware and a Runway simulator over HTTPS with a certificate for
127.0.0.1/localhost from a `trustme` CA, each app wrapped to record the peer of every request.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme

from irisgate.simulators.runner import ServerThread
from irisgate.simulators.runware import RunwareSimSettings, RunwareSimulator
from irisgate.simulators.runway import RunwaySimSettings, RunwaySimulator

from fixtures_runway_sim import RUNWAY_TEST_KEY
from fixtures_simulators import RUNWARE_TEST_KEY

PROXY_USER = "gateway"
PROXY_PASSWORD = "proxy-pass-0123456789"
PROXY_PEER = "127.0.0.2"  # tinyproxy's `Bind`: the source address of what it forwards
TUNNEL = re.compile(r"Request \(file descriptor \d+\): CONNECT (\S+) HTTP")
PROXY_ENV = (
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
)

# Providers honour HTTPS_PROXY / HTTP_PROXY / NO_PROXY by default: the machine's own proxy settings must
# not decide where any test's calls to loopback simulators go (this plugin loads before every test).
for _name in PROXY_ENV:
    os.environ.pop(_name, None)


@dataclass
class TinyProxy:
    port: int
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """Without credentials: give them in `proxy_config` or with `url_with_credentials`."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url_with_credentials(self) -> str:
        return f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{self.port}"

    def tunnels(self) -> list[str]:
        """The `host:port` of every CONNECT it was asked for, oldest first."""
        return TUNNEL.findall(self.log.read_text(errors="replace"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def tinyproxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TinyProxy]:
    binary = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
    if not Path(binary).exists():
        pytest.skip("tinyproxy is not installed (apt-get install tinyproxy; scripts/test.sh does it as root)")
    folder = tmp_path_factory.mktemp("tinyproxy")
    port = free_port()
    log = folder / "tinyproxy.log"
    config = folder / "tinyproxy.conf"
    config.write_text(
        f"Port {port}\nListen 127.0.0.1\nBind {PROXY_PEER}\nTimeout 600\nMaxClients 200\n"
        f'LogFile "{log}"\nLogLevel Connect\nAllow 127.0.0.1\nDisableViaHeader Yes\n'
        f"BasicAuth {PROXY_USER} {PROXY_PASSWORD}\n"
    )
    process = subprocess.Popen(
        [binary, "-d", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tinyproxy exited: {process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("tinyproxy did not start listening") from None
                time.sleep(0.05)
        yield TinyProxy(port=port, log=log, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def proxy_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No proxy variable set: each test sets what it means to test, undone after it."""
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


class PeerLog:
    """ASGI middleware recording (peer address, method, path) of every HTTP request."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append((scope["client"][0], scope["method"], scope["path"]))
        await self.app(scope, receive, send)

    def peers(self) -> set[str]:
        return {peer for peer, _, _ in self.seen}


@dataclass
class TlsSims:
    authority: trustme.CA
    runware: RunwareSimulator
    runway: RunwaySimulator
    runware_url: str  # https://127.0.0.1:PORT/v1
    runway_url: str  # https://127.0.0.1:PORT
    runware_log: PeerLog
    runway_log: PeerLog
    servers: list[ServerThread] = field(default_factory=list)

    @property
    def ca_pem(self) -> str:
        return self.authority.cert_pem.bytes().decode()

    def ports(self) -> set[str]:
        return {url.split("://")[1].split("/")[0] for url in (self.runware_url, self.runway_url)}

    def seen(self) -> list[tuple[str, str, str]]:
        return [*self.runware_log.seen, *self.runway_log.seen]

    def reset(self) -> None:
        self.runware.reset()
        self.runway.reset()
        self.runware_log.seen.clear()
        self.runway_log.seen.clear()


@pytest.fixture(scope="session")
def tls_sims_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsSims]:
    authority = trustme.CA()
    folder = tmp_path_factory.mktemp("tls")
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certificate.cert_chain_pems[0].write_to_path(certfile)
    for extra in certificate.cert_chain_pems[1:]:
        extra.write_to_path(certfile, append=True)
    certificate.private_key_pem.write_to_path(keyfile)
    runware = RunwareSimulator(RunwareSimSettings(api_keys={RUNWARE_TEST_KEY}, async_polls_to_complete=1))
    runway = RunwaySimulator(RunwaySimSettings(api_keys={RUNWAY_TEST_KEY}, https_only_inputs=False))
    runware_log, runway_log = PeerLog(runware.app), PeerLog(runway.app)
    tls = {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}
    servers = [ServerThread(runware_log, **tls).start(), ServerThread(runway_log, **tls).start()]
    try:
        yield TlsSims(
            authority=authority,
            runware=runware,
            runway=runway,
            runware_url=servers[0].url + "/v1",
            runway_url=servers[1].url,
            runware_log=runware_log,
            runway_log=runway_log,
            servers=servers,
        )
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def tls_sims(tls_sims_server: TlsSims) -> TlsSims:
    tls_sims_server.reset()
    return tls_sims_server
