"""Access > API Keys in Chromium: create a virtual key (shown once), use it with the OpenAI SDK (allowlists,
requests per minute), edit, disable/enable and delete it; errors beside the field; the page without
JavaScript; the Playground (the dashboard session) while a key exists."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI
from playwright.sync_api import Page, expect

from fixtures_browser import login, nav, screenshot
from fixtures_gateway import RUNWARE_MODEL, media_config


@pytest.fixture
def gateway(start_gateway, runware_sim, runway_sim, monkeypatch):
    """Runware and Runway configured in the config file, each pointed at its simulator."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    return start_gateway(media_config(runware_sim, runway_sim))


def sdk(gateway, key: str) -> OpenAI:
    return OpenAI(api_key=key, base_url=gateway.base_url, max_retries=0)


def generate(client: OpenAI, model: str = RUNWARE_MODEL):
    return client.images.generate(model=model, prompt="a red fox", size="256x256")


def plain_generate(gateway) -> httpx.Response:
    """/v1 with no Authorization header at all."""
    body = {"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256"}
    return httpx.post(gateway.base_url + "/images/generations", json=body, timeout=30)


def key_row(page: Page, name: str):
    return page.locator(f'#virtual-keys-table tr[data-key="{name}"]')


def open_api_keys(page: Page) -> None:
    nav(page, "API Keys")
    expect(page.get_by_role("heading", name="API Keys", exact=True)).to_be_visible()


def create_key(
    page: Page,
    name: str,
    providers: list[str] | None = None,
    models: list[str] | None = None,
    rpm: str | None = None,
) -> None:
    """Fill Create API key (All providers / All models unless given) and submit it."""
    form = page.locator("#vk-form")
    expect(form.get_by_role("heading", name="Create API key")).to_be_visible()
    form.get_by_label("Name").fill(name)
    if providers is not None:
        form.get_by_label("Only these:").check()
        for label in providers:
            form.get_by_label(label, exact=True).check()
    if models is not None:
        form.get_by_label("Specific models").check()
        form.get_by_label("Allowed models").fill(", ".join(models))
    if rpm is not None:
        form.get_by_label("Requests per minute").fill(rpm)
    form.get_by_role("button", name="Create API key").click()


def test_create_a_key_shown_once_then_the_sdk_is_held_to_it_until_it_is_disabled_and_deleted(
    page, gateway, runware_sim
):
    login(page, gateway)
    open_api_keys(page)
    expect(page.locator("#access-state")).to_contain_text("/v1 is open")
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    assert plain_generate(gateway).status_code == 200  # open while no key exists

    posted = lambda r: r.request.method == "POST" and r.url.endswith("/virtual-keys")  # noqa: E731
    with page.expect_response(posted) as sent:
        create_key(page, "mobile", providers=["Runware"], models=[RUNWARE_MODEL], rpm="2")
    box = page.locator("#created-key-box")
    expect(box).to_be_visible()
    expect(box).to_contain_text("will not be shown again")
    key = page.locator("#created-key").inner_text().strip()
    assert key.startswith("sk-iris-") and len(key) > 40
    answer = sent.value
    assert answer.status == 200 and "set-cookie" not in answer.headers
    assert answer.headers["cache-control"] == "no-store" and key not in answer.url
    expect(page).to_have_url(gateway.url + "/virtual-keys")

    row = key_row(page, "mobile")
    expect(row.locator(".key-value")).to_have_text(key[:12] + "****" + key[-4:])
    expect(row.locator(".chip")).to_have_text(["Runware", RUNWARE_MODEL])
    expect(row.locator(".rpm")).to_have_text("2")
    expect(row).to_contain_text("enabled")
    expect(page.locator("#access-state")).to_contain_text("/v1 requires an API key")

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=gateway.url)
    page.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-key")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == key
    screenshot(page, "virtual-key-created")

    page.reload()
    expect(key_row(page, "mobile")).to_be_visible()
    expect(page.locator("#created-key-box")).to_have_count(0)
    assert key not in page.content()
    assert key not in page.url and all(key not in c["value"] for c in page.context.cookies())
    screenshot(page, "virtual-keys")

    # The SDK with that key: its model works; no key is 401; another model 403; the 3rd call 429.
    client = sdk(gateway, key)
    assert generate(client).data
    assert plain_generate(gateway).status_code == 401
    with pytest.raises(openai.AuthenticationError) as no_key:
        generate(gateway.openai())  # a key that is not a virtual key
    assert no_key.value.status_code == 401 and no_key.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.PermissionDeniedError) as other_model:
        generate(client, "runware/runware:101@1")
    assert other_model.value.status_code == 403 and other_model.value.body["code"] == "model_not_allowed"
    with pytest.raises(openai.RateLimitError) as limited:
        generate(client)
    assert limited.value.status_code == 429 and int(limited.value.response.headers["retry-after"]) >= 1
    assert [r for r in runware_sim.sim.requests if r.path == "/v1"]  # the allowed call reached Runware
    database = b"".join(p.read_bytes() for p in gateway.app_dir.glob("irisgate.db*"))
    assert key.encode() not in database

    # Edit → untick Enabled → Save: the key is refused at once (401, before its rate limit).
    row.get_by_role("link", name="Edit").click()
    form = page.locator("#vk-form")
    expect(form.get_by_role("heading")).to_have_text("Edit API key “mobile”")
    expect(form.get_by_label("Requests per minute")).to_have_value("2")
    expect(form.get_by_label("Runware", exact=True)).to_be_checked()
    expect(form.get_by_label("Allowed models")).to_have_value(RUNWARE_MODEL)
    form.get_by_label("Accept requests with this key").uncheck()
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("API key saved.")
    expect(row).to_contain_text("disabled")
    expect(row.locator(".chip")).to_have_text(["Runware", RUNWARE_MODEL])  # the rest is unchanged
    expect(page.locator("#access-state")).to_contain_text("Every key is disabled")
    with pytest.raises(openai.AuthenticationError) as disabled:
        generate(client)
    assert disabled.value.body["code"] == "api_key_disabled"
    assert plain_generate(gateway).status_code == 401  # a disabled key still closes /v1

    # The row's Enable / Disable buttons.
    row.get_by_role("button", name="Enable").click()
    expect(page.get_by_role("status")).to_have_text("API key enabled.")
    expect(row).to_contain_text("enabled")
    with pytest.raises(openai.RateLimitError):  # accepted again, and still within its minute
        generate(client)
    row.get_by_role("button", name="Disable").click()
    expect(page.get_by_role("status")).to_have_text("API key disabled.")
    expect(row.get_by_role("button", name="Enable")).to_be_visible()

    # Delete (after the confirmation): no key left, /v1 is open again.
    row.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("API key deleted.")
    expect(row).to_have_count(0)
    expect(page.locator("#access-state")).to_contain_text("/v1 is open")
    assert plain_generate(gateway).status_code == 200
    assert generate(gateway.openai()).data


def test_create_form_shows_each_error_beside_its_field(page, gateway):
    login(page, gateway)
    open_api_keys(page)
    create_key(page, "", models=["runware:100@1"], rpm="0")

    form = page.locator("#vk-form")
    name_field = form.locator(".field", has=page.get_by_label("Name"))
    expect(name_field.locator(".field-error")).to_contain_text("'name' is required")
    expect(form.locator("#error-rpm_limit")).to_contain_text("whole number")
    expect(form.locator("#error-allowed_models")).to_contain_text("'provider/model'")
    expect(form.get_by_label("Allowed models")).to_have_value("runware:100@1")  # kept as typed
    expect(page.locator("#virtual-keys-table")).to_have_count(0)
    screenshot(page, "virtual-key-errors")

    # Fixed one at a time: the providers rule, then a name already taken (from the service, 409).
    form.get_by_label("Name").fill("ci")
    form.get_by_label("Requests per minute").fill("")
    form.get_by_label("All models").check()
    form.get_by_label("Only these:").check()
    form.get_by_role("button", name="Create API key").click()
    expect(form.locator("#error-allowed_providers")).to_contain_text("at least one provider")
    expect(form.locator("#error-name")).to_have_count(0)
    form.get_by_label("All providers").check()
    form.get_by_role("button", name="Create API key").click()
    expect(page.locator("#created-key-box")).to_be_visible()

    create_key(page, "ci")
    expect(page.locator("#vk-form #error-name")).to_contain_text("exists")
    expect(page.locator("#virtual-keys-table tbody tr")).to_have_count(1)


def test_without_javascript_the_post_answers_the_page_with_the_key_once(page, gateway):
    context = page.context.browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        login(plain, gateway)
        plain.goto(gateway.url + "/virtual-keys")
        plain.locator("#vk-form").get_by_label("Name").fill("")
        plain.get_by_role("button", name="Create API key").click()
        expect(plain.locator("#error-name")).to_contain_text("'name' is required")

        plain.locator("#vk-form").get_by_label("Name").fill("batch")
        plain.get_by_role("button", name="Create API key").click()
        expect(plain).to_have_url(gateway.url + "/virtual-keys")  # no redirect: this is the POST's answer
        key = plain.locator("#created-key").inner_text().strip()
        assert key.startswith("sk-iris-")
        plain.goto(gateway.url + "/virtual-keys")
        expect(key_row(plain, "batch")).to_be_visible()
        assert key not in plain.content()

        # Edit and delete are Post/Redirect/Get.
        key_row(plain, "batch").get_by_role("link", name="Edit").click()
        plain.locator("#vk-form").get_by_label("Requests per minute").fill("5")
        plain.get_by_role("button", name="Save").click()
        expect(plain).to_have_url(gateway.url + "/virtual-keys?saved=key")
        expect(key_row(plain, "batch").locator(".rpm")).to_have_text("5")
        key_row(plain, "batch").get_by_role("button", name="Delete").click()
        expect(plain).to_have_url(gateway.url + "/virtual-keys?saved=deleted")
        expect(plain.get_by_text("No API keys yet")).to_be_visible()
    finally:
        context.close()


def test_posts_need_the_csrf_token(page, gateway):
    login(page, gateway)
    refused = page.request.post(gateway.url + "/virtual-keys", form={"name": "sneaky"})
    assert refused.status == 403 and "CSRF" in refused.text()
    open_api_keys(page)
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    assert plain_generate(gateway).status_code == 200


def test_the_playground_still_works_while_a_virtual_key_exists(page, gateway):
    login(page, gateway)
    open_api_keys(page)
    create_key(page, "other app", providers=["Runway ML"])
    expect(page.locator("#created-key-box")).to_be_visible()
    assert plain_generate(gateway).status_code == 401

    nav(page, "Playground")
    form = page.locator("#image-form")
    form.get_by_label("Prompt").fill("a lighthouse at night")
    form.get_by_label("Size").select_option("256x256")
    form.get_by_role("button", name="Generate").click()
    image = page.locator("#image-results img").first
    expect(image).to_be_visible()
    image.evaluate("i => i.decode()")
    assert image.evaluate("i => i.naturalWidth") > 0
    expect(form.get_by_role("alert")).to_be_hidden()
