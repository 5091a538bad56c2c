"""Provider calls and downloads through a real forward proxy (tinyproxy) to simulators served over TLS,
driven through the gateway with the official `openai` SDK.

The proxy forwards from 127.0.0.2 and the simulators record each request's peer, so "through the
proxy" is checked per request: image generation, video create, every retrieve and the download.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest
import trustme

from fixtures_gateway import RUNWARE_MODEL, GatewayHandle
from fixtures_proxy import PROXY_PASSWORD, PROXY_PEER, PROXY_USER, TinyProxy, TlsSims
from fixtures_runway_sim import RUNWAY_TEST_KEY
from fixtures_simulators import RUNWARE_TEST_KEY

RUNWAY_MODEL = "runway/gen4.5"


@pytest.fixture
def env(proxy_env: pytest.MonkeyPatch, tls_sims: TlsSims) -> pytest.MonkeyPatch:
    proxy_env.setenv("IRISGATE_TEST_RUNWARE_KEY", RUNWARE_TEST_KEY)
    proxy_env.setenv("IRISGATE_TEST_RUNWAY_KEY", RUNWAY_TEST_KEY)
    proxy_env.setenv("IRISGATE_TEST_CA", tls_sims.ca_pem)
    proxy_env.setenv("IRISGATE_TEST_PROXY_PASSWORD", PROXY_PASSWORD)
    return proxy_env


def tls_config(sims: TlsSims, ca: str = "env.IRISGATE_TEST_CA", **provider: Any) -> dict[str, Any]:
    def network(url: str) -> dict[str, Any]:
        return {
            "base_url": url,
            "default_request_timeout_in_seconds": 30,
            "max_retries": 0,
            "ca_cert_pem": ca,
        }

    return {
        "providers": {
            "runware": {
                "keys": [{"name": "main", "value": "env.IRISGATE_TEST_RUNWARE_KEY"}],
                "network_config": network(sims.runware_url),
                **provider,
            },
            "runway": {
                "keys": [{"name": "main", "value": "env.IRISGATE_TEST_RUNWAY_KEY"}],
                "network_config": network(sims.runway_url),
                **provider,
            },
        }
    }


def generate_create_retrieve_download(gateway: GatewayHandle) -> None:
    client = gateway.openai()
    image = client.images.generate(model=RUNWARE_MODEL, prompt="a lighthouse at dusk", size="256x256")
    assert image.data and image.data[0].url
    video = client.videos.create_and_poll(
        model=RUNWAY_MODEL, prompt="The camera slowly pushes in", seconds="2", poll_interval_ms=50
    )
    assert video.status == "completed", video
    assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"


def assert_every_kind_of_call(sims: TlsSims) -> None:
    calls = {(method, path.split("/")[2] if path.count("/") > 1 else path) for _, method, path in sims.seen()}
    runware_calls = {(method, path) for _, method, path in sims.runware_log.seen}
    runway_calls = [(method, path) for _, method, path in sims.runway_log.seen]
    assert ("POST", "/v1") in runware_calls  # the image generation
    assert ("POST", "/v1/text_to_video") in runway_calls  # the video create
    assert any(m == "GET" and p.startswith("/v1/tasks/") for m, p in runway_calls)  # retrieves
    assert any(m == "GET" and not p.startswith("/v1/") for m, p in runway_calls), calls  # the download


def test_every_call_and_the_download_go_through_the_environments_proxy(
    make_gateway, tinyproxy: TinyProxy, tls_sims: TlsSims, env
):
    env.setenv("HTTPS_PROXY", tinyproxy.url_with_credentials)  # as curl reads it; NO_PROXY unset
    tunnels_before = len(tinyproxy.tunnels())
    gateway = make_gateway(tls_config(tls_sims))
    generate_create_retrieve_download(gateway)
    assert_every_kind_of_call(tls_sims)
    assert {peer for peer, _, _ in tls_sims.seen()} == {PROXY_PEER}  # not one request went direct
    assert set(tinyproxy.tunnels()[tunnels_before:]) == tls_sims.ports()


def test_proxy_config_names_the_proxy_and_wins_over_the_environment(
    make_gateway, tinyproxy: TinyProxy, tls_sims: TlsSims, env
):
    env.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there: the file's proxy must win
    proxy = {
        "type": "http",
        "url": tinyproxy.url,
        "username": PROXY_USER,
        "password": "env.IRISGATE_TEST_PROXY_PASSWORD",
    }
    gateway = make_gateway(tls_config(tls_sims, proxy_config=proxy))
    generate_create_retrieve_download(gateway)
    assert_every_kind_of_call(tls_sims)
    assert {peer for peer, _, _ in tls_sims.seen()} == {PROXY_PEER}


def test_no_proxy_covering_the_host_bypasses_the_proxy(
    make_gateway, tinyproxy: TinyProxy, tls_sims: TlsSims, env
):
    env.setenv("HTTPS_PROXY", tinyproxy.url_with_credentials)
    env.setenv("NO_PROXY", "example.com,127.0.0.1")
    tunnels_before = len(tinyproxy.tunnels())
    gateway = make_gateway(tls_config(tls_sims))
    generate_create_retrieve_download(gateway)
    assert_every_kind_of_call(tls_sims)
    assert {peer for peer, _, _ in tls_sims.seen()} == {"127.0.0.1"}
    assert tinyproxy.tunnels()[tunnels_before:] == []  # the proxy saw nothing


def test_proxy_type_none_ignores_the_environment(make_gateway, tls_sims: TlsSims, env):
    env.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    gateway = make_gateway(tls_config(tls_sims, proxy_config={"type": "none"}))
    image = gateway.openai().images.generate(model=RUNWARE_MODEL, prompt="a lighthouse", size="256x256")
    assert image.data
    assert {peer for peer, _, _ in tls_sims.seen()} == {"127.0.0.1"}


def test_the_wrong_ca_is_a_clear_tls_error_and_nothing_reaches_the_provider(
    make_gateway, tinyproxy: TinyProxy, tls_sims: TlsSims, env
):
    env.setenv("HTTPS_PROXY", tinyproxy.url_with_credentials)
    other_ca = trustme.CA().cert_pem.bytes().decode()
    client = make_gateway(tls_config(tls_sims, ca=other_ca)).openai()
    for call in (
        lambda: client.images.generate(model=RUNWARE_MODEL, prompt="a lighthouse", size="256x256"),
        lambda: client.videos.create(model=RUNWAY_MODEL, prompt="a harbour", seconds="2"),
    ):
        with pytest.raises(openai.APIStatusError) as info:
            call()
        assert info.value.status_code == 502
        error = info.value.body
        assert isinstance(error, dict) and error["code"] == "upstream_tls_error", error
        assert "TLS certificate problem" in error["message"] and "ca_cert_pem" in error["message"]
        assert "never sent" in error["message"]
    assert tls_sims.seen() == []

    # the same simulators are reached when checking is turned off (for testing only)
    insecure = tls_config(tls_sims, ca=other_ca)
    for provider in insecure["providers"].values():
        provider["network_config"]["insecure_skip_verify"] = True
    make_gateway(insecure).openai().images.generate(
        model=RUNWARE_MODEL, prompt="a lighthouse", size="256x256"
    )
    assert {peer for peer, _, _ in tls_sims.seen()} == {PROXY_PEER}


def test_a_proxy_refusing_the_credentials_is_a_clear_error_saying_nothing_was_sent(
    make_gateway, tinyproxy: TinyProxy, tls_sims: TlsSims, env
):
    env.setenv("IRISGATE_TEST_PROXY_PASSWORD", "not-the-password")
    proxy = {
        "type": "http",
        "url": tinyproxy.url,
        "username": PROXY_USER,
        "password": "env.IRISGATE_TEST_PROXY_PASSWORD",
    }
    client = make_gateway(tls_config(tls_sims, proxy_config=proxy)).openai()
    with pytest.raises(openai.APIStatusError) as info:
        client.images.generate(model=RUNWARE_MODEL, prompt="a lighthouse", size="256x256")
    assert info.value.status_code == 502
    assert info.value.response.headers["x-should-retry"] == "true"  # nothing was created: safe to resend
    error = info.value.body
    assert isinstance(error, dict) and error["code"] == "upstream_unreachable"
    assert "The proxy refused to open a tunnel" in error["message"] and "never sent" in error["message"]
    assert "not-the-password" not in str(error)
    assert tls_sims.seen() == []
