"""A thousand video jobs nobody polls (issue 19): every one reaches its end in the store with its cost,
and its `video.completed` reaches the receiver, signed, with one successful delivery each; duplicate
receipts (at least once allows them) are counted and reported."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from fixtures_gateway import media_config

RUNWARE_VIDEO = {"model": "runware/sim:video@1", "prompt": "a paper boat", "size": "320x192", "seconds": "1"}
RUNWAY_VIDEO = {"model": "runway/gen4.5", "prompt": "a paper boat", "seconds": "2"}
COUNT = 1000


def pages(client: httpx.Client, path: str, cursor: str, **query: Any) -> list[dict[str, Any]]:
    """Every item of an admin list, page after page."""
    items: list[dict[str, Any]] = []
    position = None
    while True:
        params = {"limit": 100, **query, **({cursor: position} if position else {})}
        page = client.get(path, params=params).json()
        items += page["data"]
        if not page["has_more"]:
            return items
        position = page["data"][-1]["id"]


def wait_for(check, limit: float, what: str) -> Any:
    deadline = time.monotonic() + limit
    while not (value := check()):
        assert time.monotonic() < deadline, what()
        time.sleep(1)
    return value


def test_a_thousand_jobs_nobody_polls_end_with_their_cost_and_one_delivery_each(
    make_gateway, runware_sim, runway_sim, monkeypatch, receiver
):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    runway_sim.sim.settings.delay_seconds = 0.5
    runway_sim.sim.settings.daily_limit = None
    runware_sim.sim.settings.async_delay_seconds = 0.5
    config = {**media_config(runware_sim, runway_sim), "webhooks": {"allow_private_urls": True}}
    gateway = make_gateway(config)
    client = gateway.openai()
    endpoint = client.webhooks.create(name="volume", url=receiver.url, event_types=["video.completed"])

    def create(n: int) -> str:
        body = RUNWAY_VIDEO if n % 2 else RUNWARE_VIDEO
        answer = httpx.post(gateway.base_url + "/videos", json={**body, "prompt": f"boat {n}"}, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        created = set(pool.map(create, range(COUNT)))
    assert len(created) == COUNT

    token = (gateway.app_dir / "admin_token").read_text().strip()
    admin = httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)

    def settled() -> list[dict[str, Any]] | None:
        jobs = pages(admin, "/api/jobs", "after")
        ended = [job for job in jobs if job["state"] in ("completed", "failed")]
        return jobs if len(ended) == COUNT else None

    jobs = wait_for(settled, 300, lambda: "the jobs did not all end")
    assert {job["id"] for job in jobs} == created
    assert {job["status"] for job in jobs} == {"completed"}
    assert all(job["usage"]["cost"] > 0 and job["completed_at"] for job in jobs)

    def delivered() -> list[dict[str, Any]] | None:
        done = pages(admin, "/api/webhooks/deliveries", "before", status="delivered")
        return done if len(done) >= COUNT else None

    def stuck() -> str:
        states = Counter(d["status"] for d in pages(admin, "/api/webhooks/deliveries", "before"))
        return f"the receiver got {len(receiver.events())} of {COUNT}; deliveries: {dict(states)}"

    deliveries = wait_for(delivered, 120, stuck)
    assert sorted(d["video_id"] for d in deliveries) == sorted(created)  # one successful delivery each
    assert pages(admin, "/api/webhooks/deliveries", "before", status="pending") == []
    assert pages(admin, "/api/webhooks/deliveries", "before", status="failed") == []

    time.sleep(2)  # a late duplicate would have come by now
    received = [r for r in receiver.received if r.status == 200]
    for request in received:
        client.webhooks.verify_signature(request.body, request.headers, secret=endpoint.signing_secret)
    per_video = Counter(r.event["data"]["id"] for r in received)
    duplicates = sum(count - 1 for count in per_video.values())
    attempts = sum(len(d["attempts"]) for d in deliveries)
    print(
        f"\n{COUNT} jobs: {len(deliveries)} deliveries delivered in {attempts} attempts; the receiver got "
        f"{len(received)} events for {len(per_video)} videos, {duplicates} duplicates"
    )
    assert set(per_video) == created
    assert duplicates == 0, f"{duplicates} duplicate receipts"
