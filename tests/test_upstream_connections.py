"""A provider's connection limit, through the gateway: a call that finds every connection busy fails
within its own deadline and says it was never sent, so the client may safely send it again."""

from __future__ import annotations

import time

import openai
import pytest

from fixtures_gateway import runway_provider

PADDING = 64 * 1024 * 1024  # far more than the socket buffers between the simulator and the client


def test_while_a_download_holds_the_only_connection_a_create_fails_in_time_never_sent(
    make_gateway, runway_sim, monkeypatch
):
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    roomy = make_gateway({"providers": {"runway": runway_provider(runway_sim.url)}})
    video = roomy.openai().videos.create_and_poll(
        model="runway/gen4.5", prompt="a slow pan over a harbour", seconds="2", poll_interval_ms=50
    )
    assert video.status == "completed", video
    make_gateway.stop(roomy)
    # the same store, now with one connection to Runway and half a second per call
    provider = runway_provider(runway_sim.url)
    provider["network_config"].update(
        default_request_timeout_in_seconds=0.5, max_conns_per_host=1, max_retries=0
    )
    client = make_gateway({"providers": {"runway": provider}}, app_dir=roomy.app_dir).openai()
    runway_sim.sim.settings.video_padding_bytes = PADDING  # a long video, its body left unread
    creates_before = len(runway_sim.sim.tasks())
    with client.videos.with_streaming_response.download_content(video.id) as download:
        assert download.http_response.status_code == 200  # the gateway holds the connection, streaming
        started = time.monotonic()
        with pytest.raises(openai.APIStatusError) as info:
            client.videos.create(model="runway/gen4.5", prompt="a lighthouse", seconds="2")
        elapsed = time.monotonic() - started
    assert elapsed < 2, elapsed  # about the 0.5 s deadline
    assert info.value.status_code == 504
    assert info.value.response.headers["x-should-retry"] == "true"  # nothing was created upstream
    error = info.value.body
    assert isinstance(error, dict) and error["code"] == "upstream_timeout"
    assert "the request was never sent" in error["message"] and "max_conns_per_host" in error["message"]
    assert len(runway_sim.sim.tasks()) == creates_before
