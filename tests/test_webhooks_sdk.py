"""Webhooks with the official OpenAI SDK (issue 19): endpoints made with `client.webhooks`, events of
videos nobody polls delivered to a receiver, verified by `client.webhooks.unwrap`; secret rotation;
`test`; who sees which endpoint and hears of which job."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from openai import OpenAI

from fixtures_gateway import media_config

RUNWARE_VIDEO = {"model": "runware/sim:video@1", "size": "320x192", "seconds": "1"}
RUNWAY_VIDEO = {"model": "runway/gen4.5", "seconds": "2"}
EVENTS = ["video.completed", "video.failed"]
FAST_RETRIES = {"allow_private_urls": True, "retry_backoff_initial": "200ms", "retry_backoff_max": "1s"}


@pytest.fixture
def hooks_gateway(make_gateway, runware_sim, runway_sim, monkeypatch):
    """Both providers, their tasks ending on their own within a second; webhooks to loopback allowed."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    runway_sim.sim.settings.delay_seconds = 0.5
    runware_sim.sim.settings.async_delay_seconds = 0.5
    return make_gateway({**media_config(runware_sim, runway_sim), "webhooks": FAST_RETRIES})


def create_video(client: OpenAI, body: dict, prompt: str) -> str:
    return client.videos.create(**body, prompt=prompt).id


def by_video(client: OpenAI, received: list, secret: str) -> dict[str, list]:
    """The verified events the receiver got, by video id."""
    events: dict[str, list] = {}
    for request in received:
        event = client.webhooks.unwrap(request.body, request.headers, secret=secret)
        events.setdefault(event.data.id, []).append(event)
    return events


def test_videos_nobody_polls_reach_the_receiver_once_each_verified_by_the_sdk(hooks_gateway, receiver):
    client = hooks_gateway.openai()
    assert client.webhooks.event_types.list().data == EVENTS
    endpoint = client.webhooks.create(name="my app", url=receiver.url, event_types=EVENTS)
    secret = endpoint.signing_secret
    assert endpoint.id.startswith("whe_") and endpoint.object == "webhook_endpoint"
    assert secret.startswith("whsec_") and endpoint.signing_secret_hint == f"whsec_…{secret[-4:]}"
    assert (endpoint.name, endpoint.url, endpoint.event_types) == ("my app", receiver.url, EVENTS)
    shown = client.webhooks.retrieve(endpoint.id)
    assert shown.signing_secret_hint == endpoint.signing_secret_hint
    assert secret not in shown.model_dump_json() and secret not in str(list(client.webhooks.list()))
    assert [e.id for e in client.webhooks.list()] == [endpoint.id]

    completed = [
        create_video(client, RUNWAY_VIDEO, "a paper boat"),
        create_video(client, RUNWARE_VIDEO, "a paper boat"),
    ]
    failed = create_video(client, RUNWAY_VIDEO, "a storm [[sim:task_failure]]")
    receiver.wait_for(3)
    time.sleep(2)  # any duplicate would have come by now
    events = by_video(client, receiver.received, secret)
    assert sorted(events) == sorted([*completed, failed])
    assert all(len(one) == 1 for one in events.values()), events
    for video_id in completed:
        assert events[video_id][0].type == "video.completed"
    assert events[failed][0].type == "video.failed"
    event = events[completed[0]][0]
    assert event.id.startswith("evt_") and event.object == "event" and event.created_at > 0
    [first] = [r for r in receiver.received if r.event["data"]["id"] == completed[0]]
    assert first.headers["webhook-id"].startswith("whd_")
    assert first.headers["content-type"] == "application/json"

    # After a rotation only the new secret signs.
    rotated = client.webhooks.rotate_secret(endpoint.id)
    new_secret = rotated.signing_secret
    assert new_secret != secret and rotated.signing_secret_hint == f"whsec_…{new_secret[-4:]}"
    assert client.webhooks.retrieve(endpoint.id).signing_secret_hint == rotated.signing_secret_hint
    later = create_video(client, RUNWARE_VIDEO, "a second boat")
    receiver.wait_for(4)
    [last] = [r for r in receiver.received if r.event["data"]["id"] == later]
    assert client.webhooks.unwrap(last.body, last.headers, secret=new_secret).data.id == later
    with pytest.raises(openai.InvalidWebhookSignatureError):
        client.webhooks.unwrap(last.body, last.headers, secret=secret)

    # `test` sends a signed test event at once and reports the receiver's status.
    result = client.webhooks.test(endpoint.id, event_type="video.failed")
    assert (result.object, result.success, result.status_code) == ("webhook_endpoint.test", True, 200)
    assert (result.webhook_endpoint_id, result.event_type) == (endpoint.id, "video.failed")
    sent = receiver.received[-1]
    tested = client.webhooks.unwrap(sent.body, sent.headers, secret=new_secret)
    assert tested.type == "video.failed" and tested.data.id.startswith("video_")
    receiver.answers.append(418)
    assert client.webhooks.test(endpoint.id, event_type="video.completed").status_code == 418

    deleted = client.webhooks.delete(endpoint.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (endpoint.id, "webhook_endpoint.deleted", True)
    with pytest.raises(openai.NotFoundError):
        client.webhooks.retrieve(endpoint.id)


def test_rotation_may_keep_the_old_secret_signing_for_a_day(hooks_gateway, receiver):
    client = hooks_gateway.openai()
    endpoint = client.webhooks.create(name="app", url=receiver.url, event_types=["video.completed"])
    rotated = client.webhooks.rotate_secret(endpoint.id, keep_old_secret_active_for_24_hours=True)
    client.webhooks.test(endpoint.id, event_type="video.completed")
    [sent] = receiver.received
    assert len(sent.headers["webhook-signature"].split()) == 2
    for secret in (endpoint.signing_secret, rotated.signing_secret):
        client.webhooks.verify_signature(sent.body, sent.headers, secret=secret)


def test_update_and_the_errors_that_name_the_field(hooks_gateway, receiver, second_receiver):
    client = hooks_gateway.openai()
    endpoint = client.webhooks.create(name="app", url=receiver.url, event_types=["video.completed"])
    updated = client.webhooks.update(endpoint.id, name="renamed", url=second_receiver.url)
    assert (updated.name, updated.url) == ("renamed", second_receiver.url)
    assert updated.event_types == ["video.completed"]
    assert updated.updated_at >= endpoint.updated_at
    assert client.webhooks.test(endpoint.id, event_type="video.completed").status_code == 200
    assert len(second_receiver.received) == 1 and not receiver.received

    cases = [
        ({"event_types": []}, "event_types"),
        ({"event_types": ["video.completed", "batch.completed"]}, "event_types[1]"),
        ({"url": "ftp://example.com/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"name": ""}, "name"),
    ]
    for change, param in cases:
        body = {"name": "x", "url": receiver.url, "event_types": ["video.completed"], **change}
        with pytest.raises(openai.BadRequestError) as refused:
            client.webhooks.create(**body)
        assert refused.value.body["param"] == param, (change, refused.value.body)
    with pytest.raises(openai.BadRequestError) as refused:
        client.webhooks.update(endpoint.id, event_types=["response.completed"])
    assert refused.value.body["param"] == "event_types[0]"
    with pytest.raises(openai.BadRequestError) as refused:
        client.webhooks.test(endpoint.id, event_type="batch.completed")
    assert refused.value.body["param"] == "event_type"
    with pytest.raises(openai.NotFoundError):
        client.webhooks.update("whe_nope", name="x")


def test_a_receiver_that_cannot_be_reached_is_a_502_naming_the_endpoint(hooks_gateway, receiver):
    client = hooks_gateway.openai()
    endpoint = client.webhooks.create(name="gone", url="http://127.0.0.1:9/hook", event_types=EVENTS)
    with pytest.raises(openai.APIStatusError) as unreachable:
        client.webhooks.test(endpoint.id, event_type="video.completed")
    assert unreachable.value.status_code == 502
    assert endpoint.id in unreachable.value.message and "refused" in unreachable.value.message


def test_a_virtual_key_sees_and_hears_only_its_own(hooks_gateway, receiver, second_receiver):
    admin = httpx.Client(
        base_url=hooks_gateway.url,
        headers={"Authorization": f"Bearer {(hooks_gateway.app_dir / 'admin_token').read_text().strip()}"},
    )
    keys = [admin.post("/api/virtual-keys", json={"name": name}).json()["key"] for name in ("a", "b")]
    alice, bob = (OpenAI(api_key=key, base_url=hooks_gateway.base_url, max_retries=0) for key in keys)
    everything = OpenAI(api_key=admin.headers["Authorization"][7:], base_url=hooks_gateway.base_url)
    mine = alice.webhooks.create(name="alice's", url=receiver.url, event_types=EVENTS)
    every = everything.webhooks.create(name="all", url=second_receiver.url, event_types=EVENTS)
    assert [e.id for e in alice.webhooks.list()] == [mine.id]
    assert list(bob.webhooks.list()) == []
    assert {e.id for e in everything.webhooks.list()} == {mine.id, every.id}
    for call in (
        lambda: bob.webhooks.retrieve(mine.id),
        lambda: bob.webhooks.update(mine.id, name="taken"),
        lambda: bob.webhooks.rotate_secret(mine.id),
        lambda: bob.webhooks.test(mine.id, event_type="video.completed"),
        lambda: bob.webhooks.delete(mine.id),
        lambda: alice.webhooks.retrieve(every.id),
    ):
        with pytest.raises(openai.NotFoundError):
            call()

    alices = create_video(alice, RUNWARE_VIDEO, "alice's boat")
    bobs = create_video(bob, RUNWAY_VIDEO, "bob's boat")
    second_receiver.wait_for(2)
    receiver.wait_for(1)
    time.sleep(1.5)
    assert [e["data"]["id"] for e in receiver.events()] == [alices]
    assert sorted(e["data"]["id"] for e in second_receiver.events()) == sorted([alices, bobs])
