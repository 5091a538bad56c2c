"""The README's offline tour for Google: `irisgate simulate` serves the Google simulator (with every
other provider's), `irisgate serve` with `examples/config.simulator.yaml` reaches it, and an Imagen
image and a Veo video come back through the OpenAI SDK."""

from __future__ import annotations

import base64
import signal
import subprocess
import time
from pathlib import Path

import httpx
from openai import OpenAI

from irisgate.providers.catalog import PROVIDERS

from media_helpers import decode_image
from serve_helpers import IRISGATE, free_port, start_serve, wait_for_health


def test_simulate_then_serve_the_example_config_with_google(tmp_path: Path) -> None:
    example = (Path(__file__).parent.parent / "examples" / "config.simulator.yaml").read_text()
    simulated = {name: d.simulator for name, d in PROVIDERS.items() if d.simulator is not None}
    ports = {name: free_port() for name in simulated}
    assert f"http://127.0.0.1:{simulated['google'].port}" in example  # Google's default port, 8704
    assert simulated["google"].key in example
    for name, spec in simulated.items():  # every simulator on a free port, so runs never collide
        example = example.replace(f"127.0.0.1:{spec.port}", f"127.0.0.1:{ports[name]}")
    config = tmp_path / "config.yaml"
    config.write_text(example)
    simulate = [*IRISGATE, "simulate", *(f"--port={name}={port}" for name, port in ports.items())]
    simulator = subprocess.Popen(simulate, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gateway_port = free_port()
    gateway = start_serve(config, tmp_path / "data", gateway_port)
    try:
        url = f"http://127.0.0.1:{gateway_port}"
        wait_for_health(url, gateway)
        for _ in range(300):
            try:
                httpx.get(f"http://127.0.0.1:{ports['google']}/__fake/requests")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        client = OpenAI(api_key="unused", base_url=url + "/v1", max_retries=0)
        image = client.images.generate(model="google/imagen-4.0-fast-generate-001", prompt="a red fox", n=1)
        with decode_image(base64.b64decode(image.data[0].b64_json)) as decoded:
            assert decoded.size == (1024, 1024)
        video = client.videos.create_and_poll(
            model="google/veo-3.1-fast-generate-preview",
            prompt="a fox runs",
            seconds="4",
            poll_interval_ms=50,
        )
        assert video.status == "completed", video
        assert client.videos.download_content(video.id).read()[4:8] == b"ftyp"
    finally:
        for process in (gateway, simulator):
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=60)
