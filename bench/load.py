"""Load for the performance suite: wrk runs (parsed from the Lua `done()` line), curl downloads, RSS."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import procs

WRK_DIR = Path(__file__).resolve().parent / "wrk"


@dataclass
class WrkResult:
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    errors: int  # connect/read/write errors, timeouts and non-2xx answers
    cpu_s: float | None = None  # the measured process tree's CPU seconds during the run

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_10k(self) -> float | None:
        return None if self.cpu_s is None or not self.requests else self.cpu_s * 10_000 / self.requests


def wrk(
    url: str,
    script: str,
    connections: int,
    seconds: float,
    *,
    cpu: int | None = None,
    auth: str | None = None,
    measure_pid: int | None = None,
    timeout_s: int = 10,
) -> WrkResult:
    """One wrk run; `cpu` pins wrk to that CPU; `measure_pid` is the tree whose CPU time is counted."""
    threads = 1 if connections == 1 else min(2, connections)
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={timeout_s}s",
        "-s",
        str(WRK_DIR / script),
        url,
    ]
    if cpu is not None:
        args = ["taskset", "-c", str(cpu), *args]
    env = {**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), "BENCH_AUTH": auth or ""}
    before = procs.cpu_seconds(measure_pid) if measure_pid else None
    out = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    after = procs.cpu_seconds(measure_pid) if measure_pid else None
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result for {url}: {out.stdout[-500:]} {out.stderr[-500:]}")
    raw = json.loads(line.removeprefix("WRK_RESULT "))
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "non2xx", "timeouts"))
    return WrkResult(
        connections=connections,
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        mean_ms=raw["mean_us"] / 1000,
        errors=errors,
        cpu_s=None if before is None or after is None else after - before,
    )


class PeakRss(threading.Thread):
    """Samples a process tree's RSS every 5 ms until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.start_kib = procs.rss_kib(pid)
        self.peak_kib = self.start_kib
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak_kib = max(self.peak_kib, procs.rss_kib(self.pid))
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class Download:
    bytes: int
    seconds: float

    @property
    def mib_s(self) -> float:
        return self.bytes / 1_048_576 / self.seconds if self.seconds else 0.0


def curl_download(url: str) -> Download:
    out = subprocess.run(
        ["curl", "-sS", "--fail", "-o", "/dev/null", "-w", "%{size_download} %{time_total}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    size, seconds = out.stdout.split()
    return Download(int(size), float(seconds))
