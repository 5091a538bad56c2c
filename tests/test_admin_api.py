"""The admin API (`/api`): providers and keys managed at runtime, secrets never shown, auth required."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from irisgate.admin.auth import SESSION_COOKIE, AdminAuth

from fixtures_gateway import RUNWARE_MODEL, runware_provider

SECRET = "rw-admin-literal-secret-0123456789abcdef"


class Admin:
    """An /api client with the gateway's admin token."""

    def __init__(self, gateway) -> None:
        self.gateway = gateway
        self.token = (gateway.app_dir / "admin_token").read_text().strip()
        self.http = httpx.Client(
            base_url=gateway.url + "/api", headers={"Authorization": f"Bearer {self.token}"}
        )

    def __getattr__(self, name):
        return getattr(self.http, name)


@pytest.fixture
def empty_gateway(make_gateway):
    return make_gateway({})


def generate(gateway, model: str = RUNWARE_MODEL) -> httpx.Response:
    return httpx.post(
        gateway.base_url + "/images/generations",
        json={"model": model, "prompt": "a red fox", "size": "256x256"},
    )


def test_api_requires_the_admin_token(empty_gateway):
    for method, path in [
        ("GET", "/api/providers"),
        ("POST", "/api/providers"),
        ("GET", "/api/logs"),
        ("GET", "/api/jobs"),
        ("DELETE", "/api/providers/runware/keys/x"),
    ]:
        response = httpx.request(method, empty_gateway.url + path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
    wrong = httpx.get(empty_gateway.url + "/api/providers", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_add_provider_and_key_applies_to_the_next_request(empty_gateway, runware_sim):
    admin = Admin(empty_gateway)
    assert generate(empty_gateway).json()["error"]["code"] == "unknown_provider"
    runware_sim.sim.settings.api_keys.add(SECRET)

    created = admin.post(
        "/providers", json={"provider": "runware", "network_config": {"base_url": runware_sim.api_url}}
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "no usable keys"
    key = admin.post("/providers/runware/keys", json={"name": "main", "value": SECRET, "models": ["*"]})
    assert key.status_code == 201, key.text
    assert key.json()["value"] == SECRET[:4] + "****" + SECRET[-4:]
    assert key.json()["all_models"] is True

    response = generate(empty_gateway)
    assert response.status_code == 200, response.text
    assert runware_sim.sim.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    assert admin.get("/providers/runware").json()["status"] == "ready"


def test_secrets_are_encrypted_at_rest_and_never_returned(empty_gateway, runware_sim):
    admin = Admin(empty_gateway)
    admin.post(
        "/providers",
        json={
            "provider": "runware",
            "network_config": {"base_url": runware_sim.api_url},
            "keys": [{"name": "main", "value": SECRET}],
        },
    )
    for path in ("/providers", "/providers/runware", "/providers/runware/keys", "/logs", "/jobs"):
        assert SECRET not in admin.get(path).text
    database = b"".join(p.read_bytes() for p in empty_gateway.app_dir.glob("irisgate.db*"))
    assert SECRET.encode() not in database
    assert (empty_gateway.app_dir / "encryption.key").stat().st_mode & 0o777 == 0o600
    assert (empty_gateway.app_dir / "admin_token").stat().st_mode & 0o777 == 0o600


def test_env_reference_keys_show_whether_the_variable_is_set(empty_gateway, runware_sim, monkeypatch):
    admin = Admin(empty_gateway)
    admin.post(
        "/providers", json={"provider": "runware", "network_config": {"base_url": runware_sim.api_url}}
    )
    missing = admin.post(
        "/providers/runware/keys", json={"name": "later", "value": "env.IRISGATE_TEST_NOT_SET"}
    )
    assert missing.status_code == 201
    view = missing.json()
    assert (view["value"], view["env_var"], view["env_var_set"], view["usable"]) == (
        "env.IRISGATE_TEST_NOT_SET",
        "IRISGATE_TEST_NOT_SET",
        False,
        False,
    )
    assert "not set" in view["problem"]
    assert generate(empty_gateway).json()["error"]["code"] == "no_provider_keys"


def test_allowlist_enable_and_delete_take_effect_at_once(empty_gateway, runware_sim):
    admin = Admin(empty_gateway)
    admin.post(
        "/providers", json={"provider": "runware", "network_config": {"base_url": runware_sim.api_url}}
    )
    key = admin.post(
        "/providers/runware/keys",
        json={"name": "main", "value": runware_sim.api_key, "models": ["runware:101@1"]},
    ).json()
    with pytest.raises(openai.PermissionDeniedError):
        empty_gateway.openai().images.generate(model=RUNWARE_MODEL, prompt="a red fox", size="256x256")
    assert generate(empty_gateway, "runware/runware:101@1").status_code == 200

    updated = admin.put(f"/providers/runware/keys/{key['id']}", json={"models": ["*"]})
    assert updated.status_code == 200 and updated.json()["all_models"] is True
    assert updated.json()["value"] == key["value"]  # the secret was kept
    assert generate(empty_gateway).status_code == 200

    admin.put(f"/providers/runware/keys/{key['id']}", json={"enabled": False})
    assert generate(empty_gateway).json()["error"]["code"] == "no_provider_keys"
    assert admin.delete(f"/providers/runware/keys/{key['id']}").json()["deleted"] is True
    assert admin.get(f"/providers/runware/keys/{key['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"value": "x"}, 400, "name"),
        ({"name": "k", "value": ""}, 400, "value"),
        ({"name": "k"}, 400, "value"),
        ({"name": "k", "value": "x", "weight": 0}, 400, "weight"),
        ({"name": "k", "value": "x", "weight": "heavy"}, 400, "weight"),
        ({"name": "k", "value": "x", "models": "all"}, 400, "models"),
        ({"name": "k", "value": "x", "enabled": "yes"}, 400, "enabled"),
        ({"name": "k", "value": "env.1BAD"}, 400, "value"),
        ({"name": "k", "value": "x", "colour": "red"}, 400, "colour"),
        ({"name": "main", "value": "x"}, 409, "name"),
    ],
)
def test_key_validation_names_the_field(empty_gateway, runware_sim, body, status, param):
    admin = Admin(empty_gateway)
    admin.post("/providers", json={"provider": "runware", "keys": [{"name": "main", "value": "abc"}]})
    response = admin.post("/providers/runware/keys", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"provider": "midjourney"}, 400, "provider"),
        ({}, 400, "provider"),
        ({"provider": "runway", "network_config": {"base_url": "ftp://x"}}, 400, "network_config.base_url"),
        ({"provider": "runway", "network_config": {"max_retries": -1}}, 400, "network_config.max_retries"),
        (
            {"provider": "runway", "network_config": {"retry_backoff_initial": "soon"}},
            400,
            "network_config.retry_backoff_initial",
        ),
        (
            {"provider": "runway", "keys": [{"name": "a", "value": "x"}, {"name": "a", "value": "y"}]},
            409,
            "keys[1].name",
        ),
        ({"provider": "runway", "network_config": {"base_ulr": "http://x"}}, 400, "network_config.base_ulr"),
        (
            {"provider": "runway", "network_config": {"proxy_config": {"type": "http", "ulr": "http://p:1"}}},
            400,
            "network_config.proxy_config.ulr",
        ),
        (
            {
                "provider": "runway",
                "network_config": {
                    "proxy_config": {"type": "http", "url": "http://p:1", "username": "u", "password": "pw"}
                },
            },
            400,
            "network_config.proxy_config.password",
        ),
    ],
)
def test_provider_validation_names_the_field(empty_gateway, body, status, param):
    response = Admin(empty_gateway).post("/providers", json=body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param
    if param.endswith("ulr"):
        assert "unknown field; did you mean" in response.json()["error"]["message"]


def test_proxy_and_tls_settings_are_stored_and_shown_without_secrets(empty_gateway, monkeypatch):
    monkeypatch.setenv("IRISGATE_TEST_PROXY_PASSWORD", "proxy-SECRET-pass")
    admin = Admin(empty_gateway)
    proxy = {"type": "http", "url": "http://proxy.internal:3128", "username": "gw"}
    network = {
        "proxy_config": {**proxy, "password": "env.IRISGATE_TEST_PROXY_PASSWORD"},
        "insecure_skip_verify": True,
        "max_conns_per_host": 4,
    }
    created = admin.post("/providers", json={"provider": "runway", "network_config": network})
    assert created.status_code == 201, created.text
    shown = admin.get("/providers/runway").json()["network_config"]
    assert shown["proxy_config"] == {**proxy, "password": "env.IRISGATE_TEST_PROXY_PASSWORD"}
    assert (shown["insecure_skip_verify"], shown["max_conns_per_host"]) == (True, 4)
    assert "proxy-SECRET-pass" not in admin.get("/providers").text


def test_existing_provider_conflicts_and_unknown_ones_are_404(empty_gateway):
    admin = Admin(empty_gateway)
    assert admin.post("/providers", json={"provider": "runway"}).status_code == 201
    assert admin.post("/providers", json={"provider": "runway"}).status_code == 409
    assert admin.get("/providers/runware").status_code == 404
    assert admin.get("/providers/runware/keys/abc").status_code == 404
    updated = admin.put(
        "/providers/runway", json={"network_config": {"default_request_timeout_in_seconds": 45}}
    )
    assert updated.json()["network_config"]["default_request_timeout_in_seconds"] == 45
    assert admin.delete("/providers/runway").status_code == 200
    assert admin.get("/providers").json()["providers"] == []


def test_file_managed_providers_are_read_only(make_gateway, runware_sim):
    gateway = make_gateway({"providers": {"runware": runware_provider(runware_sim.api_url, key=SECRET)}})
    admin = Admin(gateway)
    provider = admin.get("/providers/runware").json()
    assert provider["read_only"] is True and provider["source"] == "file"
    [key] = provider["keys"]
    assert key["read_only"] is True and key["value"] == SECRET[:4] + "****" + SECRET[-4:]
    for response in (
        admin.put("/providers/runware", json={"network_config": {}}),
        admin.delete("/providers/runware"),
        admin.put(f"/providers/runware/keys/{key['id']}", json={"enabled": False}),
        admin.delete(f"/providers/runware/keys/{key['id']}"),
        admin.post("/providers/runware/keys", json={"name": "extra", "value": "x"}),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "read_only"
        assert "config file" in response.json()["error"]["message"]


def test_other_instances_see_changes(make_gateway, runware_sim, monkeypatch):
    """Two instances sharing one store (and its encryption key): a change made on one serves on the other."""
    monkeypatch.setenv("IRISGATE_ENCRYPTION_KEY", "one key for every instance of this deployment")
    first = make_gateway({})
    second = make_gateway({"store": {"url": first.settings.store_url}})
    Admin(first).post(
        "/providers",
        json={
            "provider": "runware",
            "network_config": {"base_url": runware_sim.api_url},
            "keys": [{"name": "main", "value": runware_sim.api_key}],
        },
    )
    statuses = []
    for _ in range(100):  # the second instance notices within its watch interval
        statuses.append(generate(second).status_code)
        if statuses[-1] == 200:
            break
        time.sleep(0.05)
    assert statuses[-1] == 200
    assert statuses[0] == 400  # it had not seen the provider at first: the change travelled


def test_session_cookie_needs_csrf_for_changes(empty_gateway):
    token = (empty_gateway.app_dir / "admin_token").read_text().strip()
    auth = AdminAuth(token)
    cookie = auth.new_session()
    nonce = auth.session_nonce(cookie)
    client = httpx.Client(base_url=empty_gateway.url, cookies={SESSION_COOKIE: cookie})
    assert client.get("/api/providers").status_code == 200
    session = client.get("/api/session").json()
    assert session == {"signed_in": True, "csrf_token": auth.csrf_token(nonce)}
    refused = client.post("/api/providers", json={"provider": "runway"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    accepted = client.post(
        "/api/providers", json={"provider": "runway"}, headers={"X-CSRF-Token": session["csrf_token"]}
    )
    assert accepted.status_code == 201
    forged = httpx.get(empty_gateway.url + "/api/providers", cookies={SESSION_COOKIE: cookie[:-2] + "00"})
    assert forged.status_code == 401


def test_admin_token_from_the_environment(make_gateway, monkeypatch):
    monkeypatch.setenv("IRISGATE_ADMIN_TOKEN", "from-the-environment-token")
    gateway = make_gateway({})
    assert not (gateway.app_dir / "admin_token").exists()
    ok = httpx.get(
        gateway.url + "/api/providers", headers={"Authorization": "Bearer from-the-environment-token"}
    )
    assert ok.status_code == 200


def test_jobs_and_logs_listings_filter_and_page(media_gateway, runway_sim, runware_sim):
    client = media_gateway.openai()
    runway_video = client.videos.create(model="runway/gen4.5", prompt="a paper lantern")
    client.videos.create(model="runware/klingai:5@3", prompt="a glass of water", seconds="5")
    generate(media_gateway)
    admin = Admin(media_gateway)
    jobs = admin.get("/jobs", params={"provider": "runway"}).json()
    assert [job["id"] for job in jobs["data"]] == [runway_video.id]
    assert jobs["data"][0]["key_name"] == "main"
    assert len(admin.get("/jobs").json()["data"]) == 2
    assert admin.get("/jobs", params={"status": "completed"}).json()["data"] == []
    logs = []
    for _ in range(100):  # the request log is written in the background
        logs = admin.get("/logs").json()["data"]
        if len(logs) >= 3:
            break
        time.sleep(0.05)
    assert {log["route"] for log in logs} >= {"/v1/videos", "/v1/images/generations"}
    runware_logs = admin.get("/logs", params={"provider": "runware"}).json()["data"]
    assert runware_logs and all(log["provider"] == "runware" for log in runware_logs)
    first = admin.get("/logs", params={"limit": 1}).json()
    older = admin.get("/logs", params={"limit": 1, "before_id": first["next_before_id"]}).json()
    assert older["data"][0]["id"] < first["data"][0]["id"]
    assert admin.get(f"/logs/{first['data'][0]['id']}").json()["id"] == first["data"][0]["id"]
    assert admin.get("/logs", params={"limit": "x"}).status_code == 400
