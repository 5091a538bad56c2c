"""The seed's setup flow in Chromium: Models > Model Providers → Add New Provider → Add Key → Save,
then the OpenAI SDK through the key just made; errors beside the field; the dashboard's access rules."""

from __future__ import annotations

import openai
import pytest
from playwright.sync_api import Page, expect

from fixtures_browser import add_key, add_provider, login, nav, save_base_url, screenshot
from fixtures_gateway import runware_provider


@pytest.fixture
def empty_gateway(start_gateway, runware_sim, runway_sim, monkeypatch):
    """A gateway with no providers in its config; RUNWARE_API_KEY holds the simulator's key."""
    monkeypatch.setenv("RUNWARE_API_KEY", runware_sim.api_key)
    return start_gateway({"providers": {}})


def key_row(page: Page, name: str):
    return page.locator(f'#keys-table tr[data-key="{name}"]')


def test_runware_setup_flow_with_an_env_key_then_the_sdk_generates(page, empty_gateway, runware_sim):
    login(page, empty_gateway, shot="login")
    screenshot(page, "providers-empty")

    add_provider(page, empty_gateway, "Runware")
    save_base_url(page, runware_sim.api_url)
    add_key(page, "main", "env.RUNWARE_API_KEY")  # Allowed Models: All Models (the default)

    row = key_row(page, "main")
    expect(row).to_be_visible()
    expect(row.locator(".key-value")).to_have_text("env.RUNWARE_API_KEY")
    expect(row.locator(".badge", has_text="set")).to_have_text("set")
    expect(row).to_contain_text("All Models")
    screenshot(page, "provider-runware-keys")

    nav(page, "Model Providers")
    configured = page.locator("#configured")
    expect(configured.locator('tr[data-provider="runware"]')).to_contain_text("ready")
    expect(configured.locator('tr[data-provider="runware"]')).to_contain_text("dashboard")
    screenshot(page, "providers")

    result = empty_gateway.openai().images.generate(
        model="runware/runware:100@1", prompt="a red fox", size="256x256"
    )
    assert result.data and (result.data[0].url or result.data[0].b64_json)
    inference = [r for r in runware_sim.sim.requests if r.path == "/v1"]
    assert inference and inference[-1].headers["authorization"] == f"Bearer {runware_sim.api_key}"


def test_runway_literal_key_with_an_allowlist_is_redacted_and_enforced(page, empty_gateway, runway_sim):
    secret = runway_sim.api_key
    login(page, empty_gateway)
    add_provider(page, empty_gateway, "Runway ML")
    save_base_url(page, runway_sim.url)
    add_key(page, "main", secret, models=["gen4.5"])

    row = key_row(page, "main")
    expect(row.locator(".key-value")).to_have_text(secret[:4] + "****" + secret[-4:])
    expect(row.locator(".chip")).to_have_text(["gen4.5"])
    assert secret not in page.content()
    page.reload()
    assert secret not in page.content()
    screenshot(page, "provider-runway-keys")

    client = empty_gateway.openai()
    video = client.videos.create(model="runway/gen4.5", prompt="a paper boat", seconds="4")
    assert video.id.startswith("video_")
    with pytest.raises(openai.PermissionDeniedError) as refused:
        client.videos.create(model="runway/gen4_turbo", prompt="a paper boat", seconds="4")
    assert refused.value.status_code == 403
    assert refused.value.body["code"] == "model_not_allowed"

    # Deleting the key (after the confirmation) applies to the next request, without a restart.
    row.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Key deleted")
    expect(row).to_have_count(0)
    expect(page.locator("#provider-status")).to_contain_text("no usable keys")
    with pytest.raises(openai.BadRequestError) as no_keys:
        client.videos.create(model="runway/gen4.5", prompt="a paper boat", seconds="4")
    assert no_keys.value.body["code"] == "no_provider_keys"


def test_file_managed_providers_are_shown_read_only(page, start_gateway, runware_sim, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    gateway = start_gateway({"providers": {"runware": runware_provider(runware_sim.api_url)}})
    login(page, gateway)
    row = page.locator('#configured tr[data-provider="runware"]')
    expect(row).to_contain_text("config file")
    expect(page.locator("#add-provider")).not_to_contain_text("Runware")  # only Runway ML is left to add
    row.get_by_role("link", name="Runware").click()
    expect(page.get_by_text("managed by the config file").first).to_be_visible()
    expect(page.get_by_role("link", name="Add Key")).to_have_count(0)
    expect(page.locator("#network-form").get_by_role("button", name="Save")).to_have_count(0)
    expect(page.locator("#network-form").get_by_label("Base URL")).to_be_disabled()
    key = page.locator('#keys-table tr[data-key="main"]')
    expect(key).to_contain_text("env.IRISGATE_TEST_RUNWARE_KEY")
    expect(key.get_by_role("button", name="Delete")).to_have_count(0)
    csrf = page.request.get(gateway.url + "/api/session").json()["csrf_token"]
    refused = page.request.post(
        gateway.url + "/providers/runware/network", form={"csrf_token": csrf, "base_url": "http://x"}
    )
    assert refused.status == 403 and "read-only" in refused.text()


def test_key_form_shows_each_error_beside_its_field(page, empty_gateway, runware_sim):
    login(page, empty_gateway)
    add_provider(page, empty_gateway, "Runware")
    add_key(page, "", "env.RUNWARE_API_KEY", weight="0")

    form = page.locator("form.key-form")
    name_field = form.locator(".field", has=page.get_by_label("Name"))
    weight_field = form.locator(".field", has=page.get_by_label("Weight"))
    expect(name_field.locator(".field-error")).to_contain_text("'name' is required")
    expect(weight_field.locator(".field-error")).to_contain_text("greater than 0")
    expect(form.get_by_label("API key")).to_have_value("env.RUNWARE_API_KEY")  # kept (not a secret)
    screenshot(page, "add-key-errors")

    # The same form without htmx (a plain POST, Post/Redirect/Get) reports the same.
    page.goto(empty_gateway.url + "/providers/runware/keys/new")
    add_form = page.locator("form.key-form")
    add_form.get_by_label("Name").fill("main")
    add_form.get_by_label("API key").fill("env.RUNWARE_API_KEY")
    add_form.get_by_label("Weight").fill("-2")
    add_form.get_by_role("button", name="Save").click()
    expect(page.locator("#error-weight")).to_contain_text("greater than 0")
    expect(page.locator("#error-name")).to_have_count(0)

    page.goto(empty_gateway.url + "/providers/runware")
    network = page.locator("#network-form")
    network.get_by_label("Base URL").fill("ftp://example.com")
    network.get_by_role("button", name="Save").click()
    expect(network.locator("#error-base_url")).to_be_visible()


def test_pages_need_a_session_api_needs_the_token_and_posts_need_csrf(page, empty_gateway):
    page.goto(empty_gateway.url + "/providers")
    expect(page).to_have_url(empty_gateway.url + "/login?next=/providers")
    assert page.request.get(empty_gateway.url + "/api/providers").status == 401
    refused = page.request.post(
        empty_gateway.url + "/providers", form={"provider": "runware"}, max_redirects=0
    )
    assert refused.status == 303 and refused.headers["location"].startswith("/login")

    login(page, empty_gateway)
    cookie = next(c for c in page.context.cookies() if c["name"] == "irisgate_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["secure"]
    no_csrf = page.request.post(empty_gateway.url + "/providers", form={"provider": "runware"})
    assert no_csrf.status == 403
    assert "CSRF" in no_csrf.text()
    expect(page.locator("#configured")).not_to_contain_text("Runware")

    # Sign out ends the browser session: pages send the browser back to the login form.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(empty_gateway.url + "/login")
    page.goto(empty_gateway.url + "/videos")
    expect(page).to_have_url(empty_gateway.url + "/login?next=/videos")


def test_the_printed_login_url_signs_in_and_leaves_the_address_bar(page, empty_gateway):
    token = (empty_gateway.app_dir / "admin_token").read_text().strip()
    page.goto(f"{empty_gateway.url}/login?token=wrong")
    expect(page.locator(".field-error")).to_contain_text("not valid")
    page.goto(f"{empty_gateway.url}/login?token={token}")
    expect(page).to_have_url(empty_gateway.url + "/providers")
    assert token not in page.url
