"""The real `irisgate` command: serve, config check, version."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import trustme
from openai import OpenAI

from fixtures_gateway import RUNWARE_MODEL
from serve_helpers import IRISGATE, free_port, start_serve, wait_for_health, write_config

CA_PEM = trustme.CA().cert_pem.bytes().decode()


def test_serve_answers_health_and_generates(tmp_path, runware_sim):
    config = write_config(tmp_path / "config.json", runware_sim.api_url)
    port = free_port()
    env = {**os.environ, "IRISGATE_CLI_KEY": runware_sim.api_key}
    process = start_serve(config, tmp_path / "data", port, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        health = wait_for_health(url, process)
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert health.json()["providers"] == ["runware"]
        response = httpx.post(
            url + "/v1/images/generations",
            json={"model": RUNWARE_MODEL, "prompt": "a cat", "size": "128x128"},
        )
        assert response.status_code == 200, response.text
        assert (tmp_path / "data" / "irisgate.db").is_file()
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr
    assert runware_sim.api_key not in stderr
    token = (tmp_path / "data" / "admin_token").read_text().strip()
    assert f"/login?token={token}" in stderr  # the first start prints the dashboard's login URL once

    again = start_serve(config, tmp_path / "data", port, env=env)
    wait_for_health(f"http://127.0.0.1:{port}", again)
    again.send_signal(signal.SIGINT)
    _, stderr = again.communicate(timeout=60)
    assert "login?token=" not in stderr and token not in stderr


def test_serve_refuses_a_bad_config_naming_the_field(tmp_path):
    config = write_config(tmp_path / "config.json", "http://127.0.0.1:1/v1")
    env = {k: v for k, v in os.environ.items() if k != "IRISGATE_CLI_KEY"}
    result = subprocess.run(
        [*IRISGATE, "serve", "--config", str(config), "--app-dir", str(tmp_path), "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "providers.runware.keys[0].value" in result.stderr
    assert "IRISGATE_CLI_KEY" in result.stderr
    assert "Traceback" not in result.stderr

    config.write_text('{"providers": {"runware": {"keys": [}}')
    result = subprocess.run(
        [*IRISGATE, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "config.json" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_store_it_cannot_migrate_in_one_line(tmp_path):
    """A database from a version whose migrations this one does not have (the squashed unreleased
    revisions, say): exit 2, one line naming the file, no traceback."""
    app_dir = tmp_path / "data"
    app_dir.mkdir()
    database = sqlite3.connect(app_dir / "irisgate.db")
    database.execute("CREATE TABLE irisgate_alembic_version (version_num VARCHAR(32) NOT NULL)")
    database.execute("INSERT INTO irisgate_alembic_version VALUES ('0007')")
    database.commit()
    database.close()
    result = subprocess.run(
        [*IRISGATE, "serve", "--app-dir", str(app_dir), "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(app_dir / "irisgate.db") in lines[0] and "0007" in lines[0]


def test_config_check_redacts_secrets(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "providers:\n"
        "  runware:\n"
        "    keys:\n"
        "      - {name: main, value: rw-literal-secret-0123456789, models: ['runware:100@1']}\n"
    )
    result = subprocess.run(
        [*IRISGATE, "config", "check", str(config)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "runware:100@1" in result.stdout
    assert "rw-literal-secret-0123456789" not in result.stdout + result.stderr
    assert "rw-l" in result.stdout


def test_config_check_shows_what_the_file_configures(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(
        "providers:\n"
        "  runway:\n"
        "    keys: [{name: main, value: env.IRISGATE_CLI_KEY}]\n"
        "    network_config: {base_url: https://runway.internal, default_request_timeout_in_seconds: 45,\n"
        "                     ca_cert_pem: env.IRISGATE_CLI_CA, max_conns_per_host: 16}\n"
        "    proxy_config: {type: http, url: 'http://proxy.internal:3128', username: gw,\n"
        "                   password: proxy-SECRET-pass}\n"
        "    send_back_raw_response: false\n"
        "limits: {max_upstream_body_mb: 32}\n"
    )
    env = {**os.environ, "IRISGATE_CLI_KEY": "rk-cli-SECRET-0123456789", "IRISGATE_CLI_CA": CA_PEM}
    result = subprocess.run(
        [*IRISGATE, "config", "check", str(config)], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    for shown in (
        "https://runway.internal",
        "45 s",
        "http://proxy.internal:3128 as gw, password set",
        "system CAs + ca_cert_pem (env.IRISGATE_CLI_CA)",
        "16",
        "env.IRISGATE_CLI_KEY",
        "provider API answers up to 32 MiB",
    ):
        assert shown in result.stdout, shown
    assert "providers.runway.send_back_raw_response" in result.stderr  # a Bifrost field it does not use
    for secret in ("proxy-SECRET-pass", "rk-cli-SECRET", "BEGIN CERTIFICATE"):
        assert secret not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("document", "field", "hint"),
    [
        (
            {"providers": {"runware": {"network_config": {"base_ulr": "http://127.0.0.1:9/v1"}}}},
            "providers.runware.network_config.base_ulr",
            "base_url",
        ),
        ({"provders": {"runware": {}}}, "provders", "providers"),
        (
            {"providers": {"runway": {"keys": [{"value": "k", "modles": ["*"]}]}}},
            "providers.runway.keys[0].modles",
            "models",
        ),
        (
            {"providers": {"runway": {"proxy_config": {"type": "http", "ulr": "x"}}}},
            "providers.runway.proxy_config.ulr",
            "url",
        ),
    ],
)
def test_a_misspelled_field_stops_config_check_and_serve(tmp_path, document, field, hint):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(document))
    check = [*IRISGATE, "config", "check", str(config)]
    serve = [
        *IRISGATE,
        "serve",
        "--config",
        str(config),
        "--app-dir",
        str(tmp_path),
        "--port",
        str(free_port()),
    ]
    for command in (check, serve):
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"{field}: unknown field; did you mean `{hint}`?" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1  # one line
        assert "Traceback" not in result.stderr and "is valid" not in result.stderr


def test_version():
    result = subprocess.run([*IRISGATE, "version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == __import__("irisgate").__version__


def test_readme_tour_simulate_then_serve(tmp_path):
    """The README's offline tour: `irisgate simulate` (every provider's simulator), then `irisgate serve`
    with the example config, which configures every provider against them."""
    from irisgate.providers.catalog import PROVIDERS

    example = (Path(__file__).parent.parent / "examples" / "config.simulator.yaml").read_text()
    ports: dict[str, int] = {}
    simulate = [*IRISGATE, "simulate"]
    for name, descriptor in PROVIDERS.items():
        if descriptor.simulator is None:
            continue
        default = f"127.0.0.1:{descriptor.simulator.port}"
        assert default in example, f"examples/config.simulator.yaml does not configure {name}"
        ports[name] = free_port()
        example = example.replace(default, f"127.0.0.1:{ports[name]}")
        simulate += ["--port", f"{name}={ports[name]}"]
    runware_port, gateway_port = ports["runware"], free_port()
    config = tmp_path / "config.yaml"
    config.write_text(example)
    serve = [
        *IRISGATE,
        "serve",
        "-c",
        str(config),
        "--app-dir",
        str(tmp_path / "data"),
        "--port",
        str(gateway_port),
    ]
    simulator = subprocess.Popen(simulate, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gateway = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{gateway_port}"
        wait_for_health(url, gateway)
        for _ in range(300):
            try:
                for port in ports.values():
                    httpx.get(f"http://127.0.0.1:{port}/__fake/requests")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        image = httpx.post(
            url + "/v1/images/generations",
            json={
                "model": "runware/runware:100@1",
                "prompt": "A serene mountain landscape at sunset",
                "size": "1024x1024",
                "n": 1,
            },
        )
        assert image.status_code == 200, image.text
        image_url = image.json()["data"][0]["url"]
        assert image_url.startswith(f"http://127.0.0.1:{runware_port}/")
        assert httpx.get(image_url).headers["content-type"] == "image/jpeg"

        client = OpenAI(api_key="unused", base_url=url + "/v1", max_retries=0)
        video = client.videos.create_and_poll(
            model="runway/gen4.5", prompt="The camera slowly pushes in", seconds="2", poll_interval_ms=50
        )
        assert video.status == "completed", video
        assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"

        fal = client.images.generate(model="fal/fal-ai/flux/schnell", prompt="a fox", size="256x256")
        assert fal.data[0].url.startswith(f"http://127.0.0.1:{ports['fal']}/files/")
        fal_video = client.videos.create_and_poll(
            model="fal/fal-ai/kling-video/v2.1/master/text-to-video", prompt="waves", poll_interval_ms=50
        )
        assert fal_video.status == "completed", fal_video
        assert client.videos.download_content(fal_video.id).read()[4:8] == b"ftyp"
    finally:
        for process in (gateway, simulator):
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)


def test_graceful_shutdown_finishes_requests_in_flight(tmp_path, runware_sim):
    """SIGTERM while an image generation is waiting on Runware: the client still gets its answer."""
    config = write_config(tmp_path / "config.json", runware_sim.api_url, key=runware_sim.api_key)
    port = free_port()
    process = start_serve(config, tmp_path, port)
    url = f"http://127.0.0.1:{port}"
    wait_for_health(url, process)
    answers: list[httpx.Response] = []
    body = {"model": RUNWARE_MODEL, "prompt": "a slow fox [[sim:slow=1.5]]", "size": "128x128"}
    client = threading.Thread(
        target=lambda: answers.append(httpx.post(url + "/v1/images/generations", json=body, timeout=60))
    )
    client.start()
    for _ in range(300):  # until the request reached the simulator: it is in flight
        if any(r.method == "POST" for r in runware_sim.sim.requests):
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    client.join(timeout=60)
    process.communicate(timeout=60)
    assert [a.status_code for a in answers] == [200]
    assert process.returncode in (0, -signal.SIGTERM)  # uvicorn re-raises the signal once it has drained
