"""Streaming download benchmark: irisgate's memory and throughput relaying a large video.

Starts the Runway simulator (in this process) serving a padded MP4 of --size-mb, a real
`irisgate serve` (a separate process, so its RSS is its own), creates a video through
irisgate, then downloads it (1) directly from the simulator — the baseline — and (2) through
irisgate, sampling irisgate's RSS every 5 ms. Appends the figures to bench/RESULTS.md.

    .venv/bin/python bench/download_memory.py --size-mb 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from irisgate.simulators.runner import ServerThread
from irisgate.simulators.runway import RunwaySimSettings, RunwaySimulator

KEY = "key_" + "0" * 128
RESULTS = Path(__file__).parent / "RESULTS.md"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def download(url: str) -> tuple[int, float]:
    started = time.perf_counter()
    total = 0
    with httpx.stream("GET", url, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes(256 * 1024):
            total += len(chunk)
    return total, time.perf_counter() - started


class PeakSampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, rss_kib(pid), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200)
    args = parser.parse_args()
    padding = args.size_mb * 1024 * 1024

    sim = RunwaySimulator(RunwaySimSettings(api_keys={KEY}, https_only_inputs=False, video_padding_bytes=padding))
    with ServerThread(sim.app) as upstream, tempfile.TemporaryDirectory() as app_dir:
        config = Path(app_dir) / "config.json"
        config.write_text(json.dumps({"providers": {"runway": {
            "keys": [{"name": "bench", "value": KEY}], "network_config": {"base_url": upstream.url},
        }}}))
        port = free_port()
        gateway = subprocess.Popen(
            [sys.executable, "-m", "irisgate", "serve", "-c", str(config), "--app-dir", app_dir,
             "--port", str(port), "--log-level", "warning"],
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            video = httpx.post(base + "/v1/videos", json={"model": "runway/gen4.5", "prompt": "benchmark", "seconds": "2"})
            video_id = video.json()["id"]
            for _ in range(100):
                state = httpx.get(f"{base}/v1/videos/{video_id}").json()
                if state["status"] == "completed":
                    break
            output_url = sim.tasks()[0]["output"][0]

            direct_bytes, direct_seconds = download(output_url)
            idle = rss_kib(gateway.pid)
            sampler = PeakSampler(gateway.pid)
            sampler.start()
            relayed_bytes, relayed_seconds = download(f"{base}/v1/videos/{video_id}/content")
            sampler.running = False
            sampler.join()
            after = rss_kib(gateway.pid)
        finally:
            gateway.send_signal(signal.SIGINT)
            gateway.wait(timeout=60)
    assert relayed_bytes == direct_bytes, (relayed_bytes, direct_bytes)
    report(args.size_mb, direct_bytes, direct_seconds, relayed_seconds, idle, sampler.peak, after)


def report(size_mb: int, size: int, direct_s: float, relayed_s: float, idle: int, peak: int, after: int) -> None:
    mib = size / 1_048_576
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"### Streaming download, {size_mb} MB video — {dt.date.today()} (commit {commit})",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        "Runway simulator and client in one process, `irisgate serve` (1 worker) in another.",
        "",
        "| path | bytes | seconds | MiB/s |",
        "|---|---|---|---|",
        f"| direct from the simulator (baseline) | {size} | {direct_s:.2f} | {mib / direct_s:.0f} |",
        f"| through irisgate | {size} | {relayed_s:.2f} | {mib / relayed_s:.0f} |",
        "",
        f"irisgate RSS: {idle / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB during, {after / 1024:.1f} MiB after "
        f"(growth at peak: {(peak - idle) / 1024:.1f} MiB for a {mib:.0f} MiB file). "
        f"Throughput through irisgate: {direct_s / relayed_s:.2f}x the direct baseline.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if not RESULTS.exists():
        RESULTS.write_text("# Benchmark results\n\nAppended by the scripts in `bench/` (see bench/README.md).\n\n")
    with RESULTS.open("a") as out:
        out.write(text + "\n")


if __name__ == "__main__":
    main()
