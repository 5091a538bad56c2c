"""Prometheus metrics: requests by route, provider, model and status; latency; cost; errors.

Labels carry names only (routes, providers, models, error codes), never a key or a secret.
With several workers, `irisgate serve` points `PROMETHEUS_MULTIPROC_DIR` at a fresh folder in
the app dir before anything imports prometheus_client, so `/metrics` adds up every worker.
"""

from __future__ import annotations

import os
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
    series = _series.get(key)
    if series is None:
        if len(_series) >= MAX_CACHED_SERIES:
            _series.clear()
        series = _series[key] = [
            REQUESTS.labels(route, method, str(status), provider or "", model or "", error_code or ""),
            LATENCY.labels(route, provider or ""),
            None,  # the cost child, made with the first cost (no zero series for errors)
        ]
    series[0].inc()
    series[1].observe(seconds)
    if cost_usd:
        if series[2] is None:
            series[2] = COST.labels(provider or "", model or "")
        series[2].inc(cost_usd)


def exposition() -> bytes:
    """The text format of every metric (of every worker, in multiprocess mode)."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


__all__ = ["CONTENT_TYPE", "MULTIPROC_ENV", "exposition", "observe"]
