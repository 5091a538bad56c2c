"""`/metrics`: Prometheus counters and histograms of the unified API, across workers, without secrets."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from irisgate.server import metrics
from irisgate.server.metrics import FLUSH_INTERVAL_SECONDS

from fixtures_gateway import RUNWARE_MODEL
from serve_helpers import free_port, start_serve, wait_for_health, write_config


def samples(text: str, name: str) -> list:
    return [s for family in text_string_to_metric_families(text) for s in family.samples if s.name == name]


def requests_total(text: str, **labels: str) -> float:
    return sum(
        s.value
        for s in samples(text, "irisgate_requests_total")
        if all(s.labels.get(k) == v for k, v in labels.items())
    )


def test_metrics_count_requests_latency_and_cost(gateway, runware_sim):
    before = httpx.get(gateway.url + "/metrics").text
    body = {"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256"}
    assert httpx.post(gateway.base_url + "/images/generations", json=body).status_code == 200
    assert (
        httpx.post(gateway.base_url + "/images/generations", json={**body, "size": "nope"}).status_code == 400
    )
    response = httpx.get(gateway.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    ok = {"route": "/v1/images/generations", "status": "200", "provider": "runware", "model": "runware:100@1"}
    assert requests_total(after, **ok) - requests_total(before, **ok) == 1
    bad = {"route": "/v1/images/generations", "status": "400", "error_code": "invalid_value"}
    assert requests_total(after, **bad) - requests_total(before, **bad) == 1
    assert samples(after, "irisgate_request_duration_seconds_count")
    assert sum(s.value for s in samples(after, "irisgate_cost_usd_total")) > 0
    assert runware_sim.api_key not in after


def test_two_workers_serve_and_their_metrics_add_up(tmp_path, runware_sim):
    config = write_config(tmp_path / "config.json", runware_sim.api_url, key=runware_sim.api_key)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != metrics.DIR_ENV}
    process = start_serve(config, tmp_path, port, "--workers", "2", env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process)
        body = {"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "128x128"}
        for _ in range(20):  # fresh connections, so both workers answer some
            assert httpx.post(url + "/v1/images/generations", json=body).status_code == 200
        # The worker that answers /metrics counts its own requests at once, the other's arrive with
        # that worker's next flush (metrics.FLUSH_INTERVAL_SECONDS).
        for _ in range(100):
            text = httpx.get(url + "/metrics").text
            if requests_total(text, route="/v1/images/generations", status="200") >= 20:
                break
            time.sleep(FLUSH_INTERVAL_SECONDS / 4)
        assert requests_total(text, route="/v1/images/generations", status="200") == 20
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)


async def test_latencies_counted_in_process_land_in_the_histogram_buckets_they_belong_to():
    route = "/v1/test/buckets"
    for seconds in (0.005, 0.0051, 200.0):  # on a bound, just above it, above the last
        metrics.observe(route, "POST", 200, "runware", "m", None, seconds, 0.25)
    text = (await metrics.exposition()).decode()
    buckets = {
        s.labels["le"]: s.value
        for s in samples(text, "irisgate_request_duration_seconds_bucket")
        if s.labels["route"] == route
    }
    assert (buckets["0.005"], buckets["0.01"], buckets["120.0"], buckets["+Inf"]) == (1, 2, 2, 3)
    sums = samples(text, "irisgate_request_duration_seconds_sum")
    assert [s.value for s in sums if s.labels["route"] == route] == [pytest.approx(200.0101)]
    assert requests_total(text, route=route) == 3
    (cost,) = [s for s in samples(text, "irisgate_cost_usd_total") if s.labels["model"] == "m"]
    assert cost.value == pytest.approx(0.75)


def test_models_and_error_codes_from_clients_are_bounded_label_values():
    counter = metrics.Counter()
    for n in range(metrics.MAX_MODELS + 50):
        counter.observe(
            "/v1/images/generations", "POST", 400, "runware", f"made-up:{n}", f"code{n}", 0.01, None
        )
    text = metrics.exposition_of(counter.counts).decode()
    models = {s.labels["model"] for s in samples(text, "irisgate_requests_total")}
    codes = {s.labels["error_code"] for s in samples(text, "irisgate_requests_total")}
    assert len(models) == metrics.MAX_MODELS + 1 and metrics.OTHER in models
    assert len(codes) == metrics.MAX_ERROR_CODES + 1 and metrics.OTHER in codes
    assert requests_total(text) == metrics.MAX_MODELS + 50  # every request still counted
    counter.observe("/v1/images/generations", "POST", 200, "runware", "made-up:0", None, 0.01, None)
    assert requests_total(metrics.exposition_of(counter.counts).decode(), model="made-up:0") == 2
