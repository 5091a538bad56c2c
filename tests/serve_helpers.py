"""Running the real `irisgate` command in a subprocess, for the CLI's and the metrics' tests."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

IRISGATE = [sys.executable, "-m", "irisgate"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen) -> httpx.Response:
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"irisgate exited with {process.returncode}: {process.stderr.read()}")
        try:
            return httpx.get(url + "/health")
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("irisgate never answered /health")


def write_config(path: Path, api_url: str, key: str = "env.IRISGATE_CLI_KEY") -> Path:
    path.write_text(
        json.dumps(
            {
                "providers": {
                    "runware": {
                        "keys": [{"name": "main", "value": key, "models": ["*"]}],
                        "network_config": {"base_url": api_url},
                    }
                }
            }
        )
    )
    return path


def start_serve(
    config: Path, app_dir: Path, port: int, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen:
    """`irisgate serve` in a subprocess (text pipes), on 127.0.0.1:`port`."""
    return subprocess.Popen(
        [*IRISGATE, "serve", "--config", str(config), "--app-dir", str(app_dir), "--port", str(port), *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
