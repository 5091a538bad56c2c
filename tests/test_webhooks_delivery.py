"""Webhook delivery (issue 19): retried with backoff on a non-2xx, a timeout or a refused connection,
every attempt kept; an endpoint that keeps failing is disabled and says why; URLs to private addresses
refused when created and again when sent; and a delivery survives irisgate being killed."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from fixtures_gateway import media_config, runway_provider
from serve_helpers import free_port, start_serve, wait_for_health

RUNWARE_VIDEO = {"model": "runware/sim:video@1", "size": "320x192", "seconds": "1"}
RUNWAY_VIDEO = {"model": "runway/gen4.5", "seconds": "2"}
EVENTS = ["video.completed", "video.failed"]
FAST = {"allow_private_urls": True, "retry_backoff_initial": "200ms", "retry_backoff_max": "500ms"}


def start(make_gateway, runware_sim, runway_sim, monkeypatch, **webhooks: Any):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    runway_sim.sim.settings.delay_seconds = 0.5
    runware_sim.sim.settings.async_delay_seconds = 0.5
    return make_gateway({**media_config(runware_sim, runway_sim), "webhooks": {**FAST, **webhooks}})


def admin(gateway) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def deliveries(gateway, **query: str) -> list[dict[str, Any]]:
    answer = admin(gateway).get("/api/webhooks/deliveries", params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def wait_until(check, timeout: float = 60, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_500_twice_then_200_is_delivered_on_the_third_attempt_and_all_three_are_kept(
    make_gateway, runware_sim, runway_sim, monkeypatch, receiver
):
    gateway = start(make_gateway, runware_sim, runway_sim, monkeypatch)
    client = gateway.openai()
    endpoint = client.webhooks.create(name="flaky", url=receiver.url, event_types=EVENTS)
    receiver.answers.extend([500, 500])
    video = client.videos.create(**RUNWARE_VIDEO, prompt="a paper boat")
    [event] = receiver.wait_for(1)
    assert event["data"]["id"] == video.id
    assert [r.status for r in receiver.received] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # one delivery, sent 3 times
    assert len({r.body for r in receiver.received}) == 1
    for request in receiver.received:  # each attempt signed afresh
        client.webhooks.verify_signature(request.body, request.headers, secret=endpoint.signing_secret)

    [delivery] = wait_until(
        lambda: [d for d in deliveries(gateway, endpoint_id=endpoint.id) if d["status"] == "delivered"],
        what="the delivery to be recorded",
    )
    assert (delivery["event_type"], delivery["video_id"]) == ("video.completed", video.id)
    assert delivery["id"] == receiver.received[0].headers["webhook-id"]
    attempts = delivery["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 500, 200]
    assert all(a["error"] is None and a["latency_ms"] > 0 for a in attempts)
    times = [a["attempted_at"] for a in attempts]
    assert times == sorted(times) and len(set(times)) == 3
    assert delivery["ended_at"] and delivery["next_attempt_at"] is None


def test_timeouts_and_refused_connections_are_retried_until_the_schedule_ends(
    make_gateway, runware_sim, runway_sim, monkeypatch, receiver
):
    gateway = start(
        make_gateway, runware_sim, runway_sim, monkeypatch, timeout_seconds=0.5, give_up_after="3s"
    )
    client = gateway.openai()
    refused = client.webhooks.create(
        name="nobody listens", url=f"http://127.0.0.1:{free_port()}/hook", event_types=EVENTS
    )
    slow = client.webhooks.create(name="too slow", url=receiver.url, event_types=EVENTS)
    receiver.delay_seconds = 2
    client.videos.create(**RUNWAY_VIDEO, prompt="a paper boat")

    def ended(endpoint_id: str) -> list[dict[str, Any]]:
        return [d for d in deliveries(gateway, endpoint_id=endpoint_id) if d["status"] == "failed"]

    [gave_up] = wait_until(lambda: ended(refused.id), what="the refused delivery to end")
    assert len(gave_up["attempts"]) >= 3
    assert all("connection refused" in a["error"] and a["status_code"] is None for a in gave_up["attempts"])
    [timed_out] = wait_until(lambda: ended(slow.id), what="the slow delivery to end")
    assert len(timed_out["attempts"]) >= 2
    assert all(a["error"] == "timed out after 0.5 s" for a in timed_out["attempts"])
    assert all(a["latency_ms"] >= 400 for a in timed_out["attempts"])


def test_an_endpoint_that_keeps_failing_is_disabled_says_why_and_can_be_enabled_and_redelivered(
    make_gateway, runware_sim, runway_sim, monkeypatch, receiver
):
    gateway = start(
        make_gateway,
        runware_sim,
        runway_sim,
        monkeypatch,
        disable_after_failures=3,
        disable_after_failing_for="0s",
        give_up_after="1h",
    )
    client = gateway.openai()
    endpoint = client.webhooks.create(name="broken", url=receiver.url, event_types=EVENTS)
    receiver.answers.extend([503] * 3)
    first = client.videos.create(**RUNWARE_VIDEO, prompt="a paper boat")
    shown = wait_until(
        lambda: (e := client.webhooks.retrieve(endpoint.id)).model_extra["status"] == "disabled" and e,
        what="the endpoint to be disabled",
    )
    reason = shown.model_extra["disabled_reason"]
    assert "3 failed attempts in a row" in reason and "HTTP 503" in reason
    [delivery] = deliveries(gateway, endpoint_id=endpoint.id)
    assert delivery["status"] == "failed" and len(delivery["attempts"]) == 3
    listed = admin(gateway).get("/api/webhooks/endpoints").json()["data"]
    assert listed[0]["status"] == "disabled" and listed[0]["failures_in_a_row"] == 3

    # Disabled: the next job's end is not queued for it.
    second = client.videos.create(**RUNWARE_VIDEO, prompt="another boat")
    wait_until(lambda: client.videos.retrieve(second.id).status == "completed", what="the second video")
    time.sleep(1)
    assert len(receiver.received) == 3
    refused = admin(gateway).post(f"/api/webhooks/deliveries/{delivery['id']}/redeliver")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "webhook_endpoint_disabled"

    enabled = client.webhooks.update(endpoint.id, extra_body={"enabled": True})
    assert enabled.model_extra["status"] == "enabled" and enabled.model_extra["disabled_reason"] is None
    again = admin(gateway).post(f"/api/webhooks/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 201, again.text
    assert again.json()["event_id"] == delivery["event_id"] and again.json()["id"] != delivery["id"]
    [event] = receiver.wait_for(1)
    assert event["data"]["id"] == first.id and event["id"] == delivery["event_id"]


def test_private_urls_are_refused_unless_allowed_and_again_when_sent(
    make_gateway, runware_sim, runway_sim, monkeypatch, receiver
):
    gateway = start(make_gateway, runware_sim, runway_sim, monkeypatch)
    client = gateway.openai()
    by_name = client.webhooks.create(
        name="by name", url=f"https://localhost:{free_port()}/hook", event_types=EVENTS
    )
    literal = client.webhooks.create(name="literal", url=receiver.url, event_types=EVENTS)
    config = json.loads((gateway.app_dir / "config.json").read_text())
    make_gateway.stop(gateway)
    config["webhooks"]["allow_private_urls"] = False  # as if the name now resolved somewhere private
    strict = make_gateway(config, app_dir=gateway.app_dir)
    client = strict.openai()
    for url, why in [
        (receiver.url, "https://"),
        ("https://127.0.0.1/hook", "loopback"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/hook", "link-local"),
        ("https://localhost/hook", "localhost resolves to a loopback address"),
    ]:
        with pytest.raises(openai.BadRequestError) as refused:
            client.webhooks.create(name="x", url=url, event_types=EVENTS)
        assert refused.value.body["param"] == "url" and why in refused.value.body["message"]

    client.videos.create(**RUNWARE_VIDEO, prompt="a paper boat")

    def refusals(endpoint_id: str) -> list[str]:
        return [a["error"] for d in deliveries(strict, endpoint_id=endpoint_id) for a in d["attempts"]]

    wait_until(lambda: refusals(by_name.id) and refusals(literal.id), what="refused attempts")
    assert all("refused: localhost resolves to a loopback address" in e for e in refusals(by_name.id))
    assert all("refused" in e and "https://" in e for e in refusals(literal.id))
    assert receiver.received == []


def test_a_delivery_cut_short_by_a_kill_is_made_after_a_restart(tmp_path, runway_sim, receiver):
    runway_sim.sim.settings.delay_seconds = 0.5
    config_file = tmp_path / "config.json"
    config_file.write_text(
        json.dumps(
            {
                "providers": {"runway": runway_provider(runway_sim.url, key=runway_sim.api_key)},
                "webhooks": {**FAST, "timeout_seconds": 2},
            }
        )
    )
    env = {**os.environ, "IRISGATE_ADMIN_TOKEN": "admin-token"}
    app_dir = tmp_path / "app"

    def serve() -> tuple[Any, str]:
        port = free_port()
        process = start_serve(config_file, app_dir, port, env=env)
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process)
        return process, url

    process, url = serve()
    try:
        client = OpenAI(api_key="unused", base_url=url + "/v1", max_retries=0)
        endpoint = client.webhooks.create(name="app", url=receiver.url, event_types=EVENTS)
        receiver.hang = 1  # the first send gets no answer: irisgate is killed while it waits
        video = client.videos.create(**RUNWAY_VIDEO, prompt="a paper boat")
        wait_until(lambda: receiver.received, what="the first send")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    [cut_short] = receiver.received
    assert cut_short.status == 0 and cut_short.event["data"]["id"] == video.id

    process, url = serve()  # the same store: the delivery is taken up once the dead one's lease ends
    try:
        [event] = receiver.wait_for(1, timeout=60)
        assert event["data"]["id"] == video.id and event["type"] == "video.completed"
        resent = receiver.received[-1]
        assert resent.headers["webhook-id"] == cut_short.headers["webhook-id"]
        client = OpenAI(api_key="unused", base_url=url + "/v1", max_retries=0)
        client.webhooks.unwrap(resent.body, resent.headers, secret=endpoint.signing_secret)
        log = httpx.get(
            url + "/api/webhooks/deliveries", headers={"Authorization": "Bearer admin-token"}
        ).json()["data"]
        [delivery] = log
        assert delivery["status"] == "delivered" and delivery["attempts"][-1]["status_code"] == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=60)
