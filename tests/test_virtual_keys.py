"""Virtual keys: optional client credentials for /v1, with allowlists and a per-minute limit."""

from __future__ import annotations

import httpx
import openai
import pytest
from openai import OpenAI

from fixtures_gateway import RUNWARE_MODEL


def admin_client(gateway) -> httpx.Client:
    token = (gateway.app_dir / "admin_token").read_text().strip()
    return httpx.Client(base_url=gateway.url + "/api", headers={"Authorization": f"Bearer {token}"})


def sdk(gateway, key: str) -> OpenAI:
    return OpenAI(api_key=key, base_url=gateway.base_url, max_retries=0)


def generate(gateway, key: str | None = None, model: str = RUNWARE_MODEL, **extra) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": model, "prompt": "a red fox", "size": "256x256", **extra}
    return httpx.post(gateway.base_url + "/images/generations", json=body, headers=headers)


def test_v1_is_open_until_a_key_exists_then_needs_one(media_gateway):
    assert generate(media_gateway).status_code == 200
    admin = admin_client(media_gateway)
    created = admin.post("/virtual-keys", json={"name": "mobile app"})
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert key.startswith("sk-iris-")
    listed = admin.get("/virtual-keys").json()["virtual_keys"]
    assert key not in str(listed) and listed[0]["key_hint"].startswith("sk-iris-")

    missing = generate(media_gateway)
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
    assert generate(media_gateway, "sk-iris-wrong").status_code == 401
    result = sdk(media_gateway, key).images.generate(model=RUNWARE_MODEL, prompt="a red fox", size="256x256")
    assert result.data

    database = b"".join(p.read_bytes() for p in media_gateway.app_dir.glob("irisgate.db*"))
    assert key.encode() not in database

    assert admin.delete(f"/virtual-keys/{created.json()['id']}").status_code == 200
    assert generate(media_gateway).status_code == 200  # no keys left: open again


def test_allowlists_limit_providers_and_models(media_gateway):
    admin = admin_client(media_gateway)
    key = admin.post(
        "/virtual-keys",
        json={
            "name": "images only",
            "allowed_providers": ["runware"],
            "allowed_models": ["runware/runware:100@1"],
        },
    ).json()["key"]
    assert generate(media_gateway, key).status_code == 200
    other_model = generate(media_gateway, key, model="runware/runware:101@1")
    assert other_model.status_code == 403 and other_model.json()["error"]["code"] == "model_not_allowed"
    with pytest.raises(openai.PermissionDeniedError):
        sdk(media_gateway, key).videos.create(model="runway/gen4.5", prompt="a boat")
    fallback = generate(media_gateway, key, fallbacks=["runway/gen4.5"])
    assert fallback.status_code == 403 and fallback.json()["error"]["param"] == "fallbacks[0]"


def test_requests_per_minute_limit(media_gateway):
    key = (
        admin_client(media_gateway)
        .post("/virtual-keys", json={"name": "tight", "rpm_limit": 3})
        .json()["key"]
    )
    assert [generate(media_gateway, key).status_code for _ in range(3)] == [200, 200, 200]
    limited = generate(media_gateway, key)
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1


def test_disabled_key_is_refused(media_gateway):
    admin = admin_client(media_gateway)
    created = admin.post("/virtual-keys", json={"name": "paused"}).json()
    admin.put(f"/virtual-keys/{created['id']}", json={"enabled": False})
    response = generate(media_gateway, created["key"])
    assert response.status_code == 401 and response.json()["error"]["code"] == "api_key_disabled"


def test_each_client_sees_only_its_own_videos(media_gateway):
    admin = admin_client(media_gateway)
    alice = sdk(media_gateway, admin.post("/virtual-keys", json={"name": "alice"}).json()["key"])
    bob = sdk(media_gateway, admin.post("/virtual-keys", json={"name": "bob"}).json()["key"])
    video = alice.videos.create(model="runway/gen4.5", prompt="a quiet street")
    assert [v.id for v in alice.videos.list()] == [video.id]
    assert [v.id for v in bob.videos.list()] == []
    with pytest.raises(openai.NotFoundError):
        bob.videos.retrieve(video.id)
    with pytest.raises(openai.NotFoundError):
        bob.videos.delete(video.id)
    assert alice.videos.retrieve(video.id).id == video.id
    assert [job["id"] for job in admin.get("/jobs").json()["data"]] == [video.id]


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({}, "name"),
        ({"name": "x", "allowed_providers": ["nosuchprovider"]}, "allowed_providers[0]"),
        ({"name": "x", "allowed_models": ["gen4.5"]}, "allowed_models[0]"),
        ({"name": "x", "rpm_limit": 0}, "rpm_limit"),
        ({"name": "x", "enabled": "yes"}, "enabled"),
        ({"name": "x", "secret": "mine"}, "secret"),
    ],
)
def test_virtual_key_validation(media_gateway, body, param):
    response = admin_client(media_gateway).post("/virtual-keys", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


def test_the_admin_token_and_the_dashboard_session_still_reach_v1(media_gateway):
    from irisgate.admin.auth import SESSION_COOKIE, AdminAuth

    admin = admin_client(media_gateway)
    admin.post("/virtual-keys", json={"name": "someone"})
    token = admin.headers["Authorization"].removeprefix("Bearer ")
    assert generate(media_gateway, token).status_code == 200

    auth = AdminAuth(token)
    cookie = auth.new_session()
    csrf = auth.csrf_token(auth.session_nonce(cookie))
    body = {"model": RUNWARE_MODEL, "prompt": "a red fox", "size": "256x256"}
    browser = httpx.Client(base_url=media_gateway.base_url, cookies={SESSION_COOKIE: cookie})
    assert browser.post("/images/generations", json=body).status_code == 403  # no CSRF token
    assert browser.post("/images/generations", json=body, headers={"X-CSRF-Token": csrf}).status_code == 200
