"""Activity > Webhooks in Chromium: add an endpoint (its secret shown once), send a test, see a job's
delivery with its attempts, redeliver it, disable and enable, delete; errors beside the field."""

from __future__ import annotations

import time

import pytest
from openai import OpenAI
from playwright.sync_api import Page, expect

from fixtures_browser import login, nav, screenshot
from fixtures_gateway import media_config

RUNWARE_VIDEO = {"model": "runware/sim:video@1", "size": "320x192", "seconds": "1"}


@pytest.fixture
def gateway(start_gateway, runware_sim, runway_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    runware_sim.sim.settings.async_delay_seconds = 0.5
    config = media_config(runware_sim, runway_sim)
    webhooks = {"allow_private_urls": True, "retry_backoff_initial": "200ms"}
    return start_gateway({**config, "webhooks": webhooks})


def rows(page: Page):
    return page.locator("#deliveries-table tbody tr")


def wait_received(receiver, count: int) -> None:
    deadline = time.monotonic() + 30
    while len(receiver.events()) < count:
        assert time.monotonic() < deadline, f"the receiver got {len(receiver.events())} events, not {count}"
        time.sleep(0.1)


def test_add_an_endpoint_test_it_see_a_jobs_delivery_and_redeliver_it(page, gateway, receiver):
    login(page, gateway)
    nav(page, "Webhooks")
    expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(page.get_by_text("No webhook endpoints yet")).to_be_visible()

    form = page.locator("#webhook-form")
    form.get_by_label("Name").fill("my app")
    form.get_by_label("URL").fill("ftp://example.com/hook")
    form.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#error-url")).to_contain_text("https://")
    page.locator("#webhook-form").get_by_label("URL").fill(receiver.url)
    page.locator("#webhook-form").get_by_role("button", name="Add endpoint").click()
    box = page.locator("#created-secret-box")
    expect(box).to_contain_text("will not be shown again")
    secret = page.locator("#created-secret").inner_text().strip()
    assert secret.startswith("whsec_")
    row = page.locator('#webhooks-table tr[data-endpoint="my app"]')
    expect(row).to_contain_text(f"whsec_…{secret[-4:]}")
    expect(row).to_contain_text("every job")
    expect(row).to_contain_text("video.completed")
    screenshot(page, "webhook-created")
    page.goto(gateway.url + "/webhooks")
    expect(page.locator("#created-secret-box")).to_have_count(0)
    assert secret not in page.content()

    row.get_by_role("link", name="my app").click()
    expect(page.get_by_role("heading", name="my app")).to_be_visible()
    page.locator("#test-form").get_by_label("Test event").select_option("video.failed")
    page.locator("#test-form").get_by_role("button", name="Send test").click()
    expect(page.locator("#test-result")).to_contain_text("HTTP 200")
    [tested] = receiver.received
    OpenAI(api_key="unused").webhooks.verify_signature(tested.body, tested.headers, secret=secret)
    assert tested.event["type"] == "video.failed"
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("test")
    expect(rows(page).first.locator(".attempt")).to_contain_text("HTTP 200")
    assert secret not in page.content()

    video = gateway.openai().videos.create(**RUNWARE_VIDEO, prompt="a paper boat")
    wait_received(receiver, 2)
    page.reload()
    job_row = page.locator("#deliveries-table tbody tr", has_text=video.id)
    expect(job_row).to_contain_text("delivered")
    expect(job_row).to_contain_text("video.completed")
    expect(job_row.locator(".attempt")).to_contain_text("HTTP 200")
    job_row.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status").first).to_contain_text("queued again")
    wait_received(receiver, 3)
    assert receiver.events()[2]["id"] == receiver.events()[1]["id"]  # the same event, delivered again
    page.reload()
    expect(page.locator("#deliveries-table tbody tr", has_text=video.id)).to_have_count(2)
    screenshot(page, "webhook-deliveries")

    page.get_by_role("button", name="Disable").click()
    expect(page.locator("#disabled-reason")).to_contain_text("disabled by hand")
    page.get_by_role("button", name="Enable").click()
    expect(page.locator("#disabled-reason")).to_have_count(0)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Webhook endpoint deleted")
    expect(page.get_by_text("No webhook endpoints yet")).to_be_visible()
