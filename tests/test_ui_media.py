"""Playground, Videos and Logs in Chromium, on a gateway whose Runware and Runway keys reach the simulators
(configured in its config file)."""

from __future__ import annotations

import time

import httpx
import openai
import pytest
from playwright.sync_api import Page, expect

from fixtures_browser import admin_token, login, nav, screenshot
from fixtures_gateway import media_config
from media_helpers import image_bytes

PLAYER_READY = "v => v.readyState >= 1 || v.error !== null"


@pytest.fixture
def gateway(start_gateway, runware_sim, runway_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    return start_gateway(media_config(runware_sim, runway_sim))


def check_player(page: Page, selector: str) -> bool:
    """Whether Chromium decoded the video's metadata; either way, its src serves an MP4."""
    player = page.locator(selector)
    expect(player).to_be_attached()
    player.evaluate(
        f"v => new Promise(done => {{ const check = () => ({PLAYER_READY})(v) ? done() : "
        "setTimeout(check, 50); check(); })"
    )
    decoded = player.evaluate("v => v.readyState >= 1")
    if decoded:  # a frame to show in the screenshots (best effort)
        player.evaluate(
            "v => new Promise(done => { v.readyState >= 2 ? done() : v.addEventListener('loadeddata', done); "
            "setTimeout(done, 3000); })"
        )
    if not decoded:  # a Chromium without H.264 support (proprietary codecs): the bytes must still be right
        assert player.evaluate("v => v.error && v.error.code") in (3, 4)
    answer = page.request.get(player.evaluate("v => v.currentSrc || v.src"))
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("video/mp4")
    assert answer.body()[4:8] == b"ftyp"
    return decoded


def wait_for_logs(gateway, count: int) -> list[dict]:
    """The request-log writer batches every half second: wait until `count` records are stored."""
    headers = {"authorization": f"Bearer {admin_token(gateway)}"}
    deadline = time.monotonic() + 10
    while True:
        logs = httpx.get(gateway.url + "/api/logs", headers=headers).json()["data"]
        if len(logs) >= count or time.monotonic() > deadline:
            return logs
        time.sleep(0.1)


def test_playground_shows_a_generated_image_and_plays_a_generated_video(
    page, gateway, runware_sim, runway_sim
):
    runway_sim.sim.settings.running_polls = 2
    login(page, gateway)
    nav(page, "Playground")

    image_form = page.locator("#image-form")
    expect(image_form.get_by_label("Model")).to_have_value("runware/runware:100@1")
    image_form.get_by_label("Prompt").fill("a red fox in the snow")
    image_form.get_by_label("Size").select_option("256x256")
    image_form.get_by_role("button", name="Generate").click()
    image = page.locator("#image-results img").first
    expect(image).to_be_visible()
    image.evaluate("i => i.decode()")
    assert image.evaluate("i => i.naturalWidth") > 0
    screenshot(page, "playground-image")

    edit_form = page.locator("#edit-form")
    edit_form.get_by_label("Image", exact=True).set_input_files(
        files=[{"name": "photo.png", "mimeType": "image/png", "buffer": image_bytes(64, 64)}]
    )
    edit_form.get_by_label("Prompt").fill("make it autumn")
    edit_form.get_by_role("button", name="Edit").click()
    edited = page.locator("#edit-results img").first
    expect(edited).to_be_visible()
    edited.evaluate("i => i.decode()")
    assert edited.evaluate("i => i.naturalWidth") > 0
    assert [r for r in runware_sim.sim.tasks("imageInference") if r.get("seedImage")]

    video_form = page.locator("#video-form")
    expect(video_form.get_by_label("Model")).to_have_value("runway/gen4.5")
    video_form.get_by_label("Prompt").fill("waves at dusk")
    video_form.get_by_label("Seconds").fill("2")
    video_form.get_by_role("button", name="Generate video").click()
    badge = page.locator("#video-job [data-role=badge]")
    expect(badge).to_have_text("in progress")
    assert 0 < page.locator("#video-progress").evaluate("p => p.value") < 100
    screenshot(page, "playground-video-progress")
    expect(badge).to_have_text("completed")
    assert page.locator("#video-progress").evaluate("p => p.value") == 100
    check_player(page, "#playground-video")
    screenshot(page, "playground-video")


def test_api_errors_show_their_message_in_the_playground(page, gateway):
    login(page, gateway)
    page.goto(gateway.url + "/playground")
    form = page.locator("#image-form")
    form.get_by_label("Model").fill("nowhere/model-x")
    form.get_by_label("Prompt").fill("anything")
    form.get_by_role("button", name="Generate").click()
    expect(form.get_by_role("alert")).to_contain_text("Unknown provider 'nowhere'")


def test_videos_list_refreshes_running_jobs_and_the_job_page_plays_and_downloads(page, gateway, runway_sim):
    runway_sim.sim.settings.running_polls = 1
    client = gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a lantern in fog", seconds="2")
    assert client.videos.retrieve(video.id).status == "queued"  # the task's first poll: PENDING

    login(page, gateway)
    nav(page, "Videos")
    row = page.locator(f'#jobs-table tr[data-video="{video.id}"]')
    expect(row).to_have_attribute("data-status", "in_progress")  # this page asked the provider again
    expect(row).to_contain_text("runway")
    expect(row).to_contain_text("gen4.5")
    assert row.locator("progress").evaluate("p => p.value") == 50
    screenshot(page, "videos-running")
    expect(row).to_have_attribute("data-status", "completed")  # htmx polling, no reload
    expect(row.locator(".badge")).to_have_text("completed")
    expect(page.locator("#jobs")).to_have_attribute("data-active", "false")
    screenshot(page, "videos")

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(video.id)
    decoded = check_player(page, "#player")
    print(f"Chromium decoded the H.264 video: {decoded}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download MP4").click()
    assert download.value.suggested_filename == f"{video.id}.mp4"
    screenshot(page, "video-job")


def test_cancel_a_runway_job_and_see_why_runware_cannot(page, gateway, runway_sim, runware_sim):
    runway_sim.sim.settings.running_polls = 50
    client = gateway.openai()
    running = client.videos.create(model="runway/gen4.5", prompt="a long take", seconds="4")
    runware = client.videos.create(model="runware/klingai:5@3", prompt="a red balloon", seconds="5")

    login(page, gateway)
    page.goto(f"{gateway.url}/videos/{running.id}")
    expect(page.locator("#video-status")).to_have_attribute("data-status", "in_progress")
    page.get_by_role("button", name="Cancel job").click()  # the confirmation is accepted
    expect(page).to_have_url(gateway.url + "/videos?done=cancelled")
    expect(page.get_by_role("status")).to_contain_text("cancelled")
    expect(page.locator(f'tr[data-video="{running.id}"]')).to_have_count(0)
    assert runway_sim.sim.tasks()[0]["status"] == "CANCELLED"

    page.goto(f"{gateway.url}/videos/{runware.id}")
    page.locator("#cancel-job").click()
    expect(page.locator("#action-error")).to_contain_text("not supported by the runware provider")
    expect(page.locator("#video-status")).to_be_visible()


def test_logs_list_filter_and_detail(page, gateway):
    client = gateway.openai()
    client.images.generate(model="runware/runware:100@1", prompt="a red fox", size="256x256")
    client.videos.create(model="runway/gen4.5", prompt="a paper boat", seconds="2")
    with pytest.raises(openai.BadRequestError):
        client.images.generate(model="<b>nowhere</b>/model-x", prompt="x")  # shown escaped
    wait_for_logs(gateway, 3)

    login(page, gateway)
    nav(page, "Logs")
    rows = page.locator("#logs-table tbody tr")
    expect(rows).to_have_count(3)
    image_row = page.locator('#logs-table tr[data-provider="runware"]')
    expect(image_row).to_contain_text("runware:100@1")
    expect(image_row).to_contain_text("main")
    expect(image_row).to_contain_text("200")
    expect(image_row).to_contain_text("/v1/images/generations")
    screenshot(page, "logs")

    page.get_by_label("Provider").select_option("runway")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-provider", "runway")
    expect(rows.first).to_contain_text("gen4.5")

    page.get_by_role("link", name="Reset").click()
    page.get_by_label("Status code").fill("400")
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    details = page.locator("#log-details")
    expect(details).to_contain_text("unknown_provider")
    expect(details).to_contain_text("in model '<b>nowhere</b>/model-x'")
    expect(details.locator("b")).to_have_count(0)
    screenshot(page, "log-detail")


def test_the_videos_list_shows_the_first_frame_of_each_kept_video(page, gateway, runway_sim):
    runway_sim.sim.settings.polls_per_state = 0  # the task ends at its first poll
    client = gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a lighthouse at dawn", seconds="2")
    assert client.videos.retrieve(video.id).status == "completed"

    login(page, gateway)
    nav(page, "Videos")
    row = page.locator(f'#jobs-table tr[data-video="{video.id}"]')
    expect(row).to_have_attribute("data-status", "completed")
    thumbnail = row.locator("img.thumb")
    expect(thumbnail).to_be_visible()  # the list refreshes itself until the copy is kept
    expect(row).to_have_attribute("data-media", "kept")
    thumbnail.evaluate("i => i.decode()")
    assert thumbnail.evaluate("i => [i.naturalWidth, i.naturalHeight]") == [1280, 720]
    expect(page.locator("#jobs")).to_have_attribute("data-active", "false")  # and then stops
    screenshot(page, "videos-thumbnails")

    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(video.id)
    poster = page.locator("#player").get_attribute("poster")
    assert poster == f"/v1/videos/{video.id}/content?variant=thumbnail"
