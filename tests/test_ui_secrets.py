"""Literal keys typed into the dashboard never come back: not in a page, an /api answer, a request
log, a log line, nor in the app dir's files (they are stored encrypted)."""

from __future__ import annotations

import logging

import httpx
import openai
import pytest

from fixtures_browser import add_key, add_provider, admin_token, login, save_base_url


@pytest.fixture
def empty_gateway(start_gateway):
    return start_gateway({"providers": {}})


def test_no_literal_secret_appears_in_pages_api_logs_or_files(
    page, empty_gateway, runware_sim, runway_sim, caplog
):
    caplog.set_level(logging.DEBUG)
    secrets = [runware_sim.api_key, runway_sim.api_key]
    gateway = empty_gateway

    login(page, gateway)
    add_provider(page, gateway, "Runware")
    save_base_url(page, runware_sim.api_url)
    add_key(page, "main", runware_sim.api_key)
    add_provider(page, gateway, "Runway ML")
    save_base_url(page, runway_sim.url)
    add_key(page, "main", runway_sim.api_key, models=["gen4.5"])
    # An edit that leaves the API key blank keeps the secret, and the form never shows it.
    page.locator('#keys-table tr[data-key="main"]').get_by_role("link", name="Edit").click()
    form = page.locator("form.key-form")
    assert form.get_by_label("API key").input_value() == ""
    form.get_by_label("Weight").fill("2")
    form.get_by_role("button", name="Save").click()
    page.locator('#keys-table tr[data-key="main"] td', has_text="2").first.wait_for()

    client = gateway.openai()
    client.images.generate(model="runware/runware:100@1", prompt="a red fox", size="256x256")
    video = client.videos.create(model="runway/gen4.5", prompt="a paper boat", seconds="2")
    client.videos.retrieve(video.id)
    with pytest.raises(openai.PermissionDeniedError):
        client.videos.create(model="runway/gen4_turbo", prompt="x", seconds="2")

    bearer = {"authorization": f"Bearer {admin_token(gateway)}"}
    api = httpx.Client(base_url=gateway.url, headers=bearer)
    texts: dict[str, str] = {}
    for path in ["/api/providers", "/api/jobs", "/api/logs"]:
        texts[path] = api.get(path).text
    log_ids = [item["id"] for item in api.get("/api/logs").json()["data"]]
    pages = ["/providers", "/videos", f"/videos/{video.id}", "/logs", "/playground", "/login"]
    for provider in ("runware", "runway"):
        for path in (f"/api/providers/{provider}", f"/api/providers/{provider}/keys"):
            texts[path] = api.get(path).text
        pages.append(f"/providers/{provider}")
        for key in api.get(f"/api/providers/{provider}/keys").json()["keys"]:
            texts[key["id"]] = api.get(f"/api/providers/{provider}/keys/{key['id']}").text
            pages.append(f"/providers/{provider}/keys/{key['id']}/edit")
    for log_id in log_ids:
        texts[f"/api/logs/{log_id}"] = api.get(f"/api/logs/{log_id}").text
        pages.append(f"/logs/{log_id}")
    for path in pages:
        response = page.request.get(gateway.url + path)
        assert response.status == 200, path
        texts[path] = response.text()
    page.goto(gateway.url + "/providers/runway")
    texts["rendered DOM"] = page.content()

    assert len(texts) >= 20
    assert "****" in texts["/api/providers/runway"]
    files = {p.name: p.read_bytes() for p in gateway.app_dir.rglob("*") if p.is_file()}
    logged = caplog.text + "\n".join(str(record.__dict__) for record in caplog.records)
    for secret in secrets:
        leaks = [where for where, text in texts.items() if secret in text]
        assert not leaks, f"secret shown in {leaks}"
        assert secret not in logged
        assert not [name for name, data in files.items() if secret.encode() in data]
