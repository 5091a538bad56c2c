"""Prometheus metrics: requests by route, provider, model and status; latency; cost; errors.

Labels carry names only (routes, providers, models, error codes), never a key or a secret.
With several workers, `irisgate serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh folder in
the app dir before anything imports prometheus_client, so `/metrics` adds up every worker.
"""

from __future__ import annotations

import asyncio
import os
from bisect import bisect_left
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REQUESTS = Counter(
    "irisgate_requests_total",
    "Requests to the unified API",
    ["route", "method", "status", "provider", "model", "error_code"],
)
LATENCY = Histogram(
    "irisgate_request_duration_seconds",
    "Time to answer a request of the unified API (to the first byte for downloads)",
    ["route", "provider"],
    buckets=LATENCY_BUCKETS,
)
COST = Counter(
    "irisgate_cost_usd_total", "Provider cost reported for served requests, in USD", ["provider", "model"]
)


# Counted here first, per label set, and handed to prometheus_client in bulk by `flush()` (before
# every exposition, and every second from the gateway): in multiprocess mode each increment of a
# prometheus_client value takes a lock and writes into a memory-mapped file, three of them per
# request, which cost several times the plain additions below.
FLUSH_INTERVAL_SECONDS = 1.0
_BOUNDS = (*LATENCY_BUCKETS, float("inf"))
_pending: dict[tuple[Any, ...], list[Any]] = {}  # label set -> [requests, bucket counts, seconds, cost]

# The labelled children, found once per label set: `labels()` costs more than the increment itself.
MAX_CACHED_SERIES = 10_000
_series: dict[tuple[Any, ...], list[Any]] = {}


def observe(
    route: str,
    method: str,
    status: int,
    provider: str | None,
    model: str | None,
    error_code: str | None,
    seconds: float,
    cost_usd: float | None,
) -> None:
    key = (route, method, status, provider, model, error_code)
    counts = _pending.get(key)
    if counts is None:
        counts = _pending[key] = [0, [0] * len(_BOUNDS), 0.0, 0.0]
    counts[0] += 1
    counts[1][bisect_left(_BOUNDS, seconds)] += 1  # Prometheus buckets count values <= their bound
    counts[2] += seconds
    if cost_usd:
        counts[3] += cost_usd


def flush() -> None:
    """Hand what was counted since the last flush to prometheus_client."""
    global _pending
    pending, _pending = _pending, {}
    for key, (requests, buckets, seconds, cost) in pending.items():
        series = _children(key)
        series[0].inc(requests)
        latency = series[1]
        latency._sum.inc(seconds)  # what Histogram.observe() does, once per flush instead of per value
        for bucket, count in zip(latency._buckets, buckets, strict=True):
            if count:
                bucket.inc(count)
        if cost:
            if series[2] is None:  # made with the first cost (no zero series for errors)
                series[2] = COST.labels(key[3] or "", key[4] or "")
            series[2].inc(cost)


async def flush_every(interval: float = FLUSH_INTERVAL_SECONDS) -> None:
    """Flush periodically (so that another worker's `/metrics` sees this one's counts), and once
    more when cancelled."""
    try:
        while True:
            await asyncio.sleep(interval)
            flush()
    finally:
        flush()


def _children(key: tuple[Any, ...]) -> list[Any]:
    series = _series.get(key)
    if series is None:
        if len(_series) >= MAX_CACHED_SERIES:
            _series.clear()
        route, method, status, provider, model, error_code = key
        series = _series[key] = [
            REQUESTS.labels(route, method, str(status), provider or "", model or "", error_code or ""),
            LATENCY.labels(route, provider or ""),
            None,
        ]
    return series


def exposition() -> bytes:
    """The text format of every metric (of every worker, in multiprocess mode; the other workers'
    counts are at most ``FLUSH_INTERVAL_SECONDS`` old)."""
    flush()
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


__all__ = [
    "CONTENT_TYPE",
    "FLUSH_INTERVAL_SECONDS",
    "MULTIPROC_ENV",
    "exposition",
    "flush",
    "flush_every",
    "observe",
]
