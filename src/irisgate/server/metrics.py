"""Prometheus metrics: requests by route, provider, model and status; latency; cost.

Each process counts in memory and exposes its counts through a custom collector (prometheus_client's
documented extension point). With several workers, each one writes a snapshot of its counts every
second to a file of its own in a directory made for them outside the app dir (``irisgate serve``
makes it in the system's temporary directory and passes it in ``IRISGATE_METRICS_DIR``), and
``/metrics`` adds them up. Plain file writes, not prometheus_client's memory-mapped multiprocess
files: on a full disk a write fails with an error, which is logged, where a write into a mapped
page kills the process with SIGBUS.

Labels carry names only (routes, providers, models, error codes), never a key or a secret. Models
and error codes come from clients and providers, so their number is bounded: past the limit, new
ones are counted under ``other``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from bisect import bisect_left
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, HistogramMetricFamily, Metric

log = logging.getLogger("irisgate.metrics")

DIR_ENV = "IRISGATE_METRICS_DIR"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
FLUSH_INTERVAL_SECONDS = 1.0
MAX_MODELS = 200  # distinct (provider, model) label values; more are counted as "other"
MAX_ERROR_CODES = 100
OTHER = "other"
_BOUNDS = (*LATENCY_BUCKETS, float("inf"))
REQUEST_LABELS = ("route", "method", "status", "provider", "model", "error_code")

Key = tuple[str, str, str, str, str, str]  # REQUEST_LABELS' values
# label values -> [requests, bucket counts (each value in the first bound that holds it), seconds, cost]
Counts = dict[Key, list[Any]]


class Counter:
    """This process's counts, and the label values seen so far (to bound them)."""

    def __init__(self) -> None:
        self.counts: Counts = {}
        self._models: set[tuple[str, str]] = set()
        self._error_codes: set[str] = set()

    def observe(
        self,
        route: str,
        method: str,
        status: int,
        provider: str | None,
        model: str | None,
        error_code: str | None,
        seconds: float,
        cost_usd: float | None,
    ) -> None:
        key = (
            route,
            method,
            str(status),
            provider or "",
            self._model(provider, model),
            self._error(error_code),
        )
        counts = self.counts.get(key)
        if counts is None:
            counts = self.counts[key] = [0, [0] * len(_BOUNDS), 0.0, 0.0]
        counts[0] += 1
        counts[1][bisect_left(_BOUNDS, seconds)] += 1  # Prometheus buckets count values <= their bound
        counts[2] += seconds
        if cost_usd:
            counts[3] += cost_usd

    def _model(self, provider: str | None, model: str | None) -> str:
        if not model:
            return ""
        seen = (provider or "", model)
        if seen in self._models:
            return model
        if len(self._models) >= MAX_MODELS:
            return OTHER
        self._models.add(seen)
        return model

    def _error(self, code: str | None) -> str:
        if not code or code in self._error_codes:
            return code or ""
        if len(self._error_codes) >= MAX_ERROR_CODES:
            return OTHER
        self._error_codes.add(code)
        return code


COUNTER = Counter()
observe = COUNTER.observe


def added_up(many: list[Counts]) -> Counts:
    total: Counts = {}
    for counts in many:
        for key, (requests, buckets, seconds, cost) in counts.items():
            into = total.get(key)
            if into is None:
                total[key] = [requests, list(buckets), seconds, cost]
                continue
            into[0] += requests
            into[1] = [a + b for a, b in zip(into[1], buckets, strict=True)]
            into[2] += seconds
            into[3] += cost
    return total


def families(counts: Counts) -> Iterator[Metric]:
    """The metric families of ``counts``, as Prometheus scrapes them."""
    requests = CounterMetricFamily("irisgate_requests", "Requests to the unified API", labels=REQUEST_LABELS)
    latency = HistogramMetricFamily(
        "irisgate_request_duration_seconds",
        "Time to answer a request of the unified API (to the first byte for downloads)",
        labels=("route", "provider"),
    )
    cost = CounterMetricFamily(
        "irisgate_cost_usd",
        "Provider cost reported for served requests, in USD",
        labels=("provider", "model"),
    )
    by_route: dict[tuple[str, str], list[Any]] = {}
    by_model: dict[tuple[str, str], float] = {}
    for key, (count, buckets, seconds, spent) in counts.items():
        requests.add_metric(key, count)
        route = by_route.setdefault((key[0], key[3]), [[0] * len(_BOUNDS), 0.0])
        route[0] = [a + b for a, b in zip(route[0], buckets, strict=True)]
        route[1] += seconds
        if spent:
            by_model[(key[3], key[4])] = by_model.get((key[3], key[4]), 0.0) + spent
    for labels, (buckets, seconds) in by_route.items():
        cumulative, running = [], 0
        for bound, count in zip(_BOUNDS, buckets, strict=True):
            running += count
            cumulative.append(("+Inf" if bound == float("inf") else str(float(bound)), running))
        latency.add_metric(labels, cumulative, seconds)
    for labels, spent in by_model.items():
        cost.add_metric(labels, spent)
    yield from (requests, latency, cost)


class _Collector:
    def __init__(self, counts: Counts) -> None:
        self._counts = counts

    def collect(self) -> Iterator[Metric]:
        return families(self._counts)


def exposition_of(counts: Counts) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Collector(counts))
    return generate_latest(registry)


# -- several workers -------------------------------------------------------------------------------


def snapshot_dir() -> Path | None:
    folder = os.environ.get(DIR_ENV)
    return Path(folder) if folder else None


def _own_file(folder: Path) -> Path:
    return folder / f"{os.getpid()}.json"


def write_snapshot(folder: Path, counts: Counts) -> None:
    """This worker's counts, replacing its previous snapshot whole (a reader never sees half)."""
    path = _own_file(folder)
    partial = path.with_suffix(".partial")
    partial.write_bytes(orjson.dumps([[list(key), *value] for key, value in counts.items()]))
    os.replace(partial, path)


def read_snapshots(folder: Path) -> list[Counts]:
    """Every other worker's last snapshot (a worker that exited keeps its counts there)."""
    own = _own_file(folder)
    found: list[Counts] = []
    for path in folder.glob("*.json"):
        if path == own:
            continue
        try:
            rows = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError):  # gone meanwhile, or being replaced: next time
            continue
        found.append({tuple(row[0]): row[1:] for row in rows})  # type: ignore[misc]
    return found


async def exposition() -> bytes:
    """The text format of every metric: this process's counts, plus the other workers' snapshots
    (at most ``FLUSH_INTERVAL_SECONDS`` old)."""
    folder = snapshot_dir()
    if folder is None:
        return exposition_of(COUNTER.counts)
    others = await asyncio.to_thread(read_snapshots, folder)
    return exposition_of(added_up([COUNTER.counts, *others]))


async def share_every(interval: float = FLUSH_INTERVAL_SECONDS) -> None:
    """With several workers, write this worker's snapshot every ``interval`` (in a thread: file I/O
    stays off the event loop), and once more when cancelled. A failed write is logged, not raised."""
    folder = snapshot_dir()
    if folder is None:
        return

    async def share() -> None:
        snapshot = {
            key: [value[0], list(value[1]), value[2], value[3]] for key, value in COUNTER.counts.items()
        }
        try:
            await asyncio.to_thread(write_snapshot, folder, snapshot)
        except OSError as error:
            log.warning("could not share this worker's metrics in %s: %s", folder, error.strerror or error)

    try:
        while True:
            await asyncio.sleep(interval)
            await share()
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(share())


__all__ = ["CONTENT_TYPE", "DIR_ENV", "FLUSH_INTERVAL_SECONDS", "exposition", "observe", "share_every"]
