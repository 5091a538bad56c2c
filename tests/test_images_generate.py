"""`POST /v1/images/generations` through the official OpenAI SDK, checked against what Runware received."""

from __future__ import annotations

import uuid

import httpx
import pytest

from fixtures_gateway import RUNWARE_MODEL
from media_helpers import data_uri, decode_b64_image, decode_image, image_bytes


def the_task(sim) -> dict:
    """The single task of the single request the simulator got."""
    requests = [r for r in sim.requests if r.method == "POST"]
    assert len(requests) == 1
    body = requests[0].body
    assert isinstance(body, list) and len(body) == 1
    return body[0]


def test_generate_maps_every_seed_parameter(gateway, runware_sim):
    client = gateway.openai()
    result = client.images.generate(
        model=RUNWARE_MODEL,
        prompt="A serene mountain landscape at sunset",
        size="512x768",
        n=2,
        response_format="b64_json",
        output_format="webp",
        extra_body={
            "negative_prompt": "blurry, low quality",
            "num_inference_steps": 30,
            "seed": 42,
            "CFGScale": 7.5,
            "extra_params": {"scheduler": "Euler a", "outputQuality": 90},
        },
    )

    task = the_task(runware_sim.sim)
    uuid_value = uuid.UUID(task.pop("taskUUID"))
    assert uuid_value.version == 4
    assert task == {
        "taskType": "imageInference",
        "model": "runware:100@1",
        "positivePrompt": "A serene mountain landscape at sunset",
        "negativePrompt": "blurry, low quality",
        "width": 512,
        "height": 768,
        "steps": 30,
        "seed": 42,
        "numberResults": 2,
        "outputType": "base64Data",
        "outputFormat": "WEBP",
        "includeCost": True,
        "CFGScale": 7.5,
        "scheduler": "Euler a",
        "outputQuality": 90,
    }
    request = runware_sim.sim.requests[0]
    assert request.path == "/v1"
    assert request.headers["authorization"] == f"Bearer {runware_sim.api_key}"

    assert len(result.data) == 2
    for item in result.data:
        image = decode_b64_image(item.b64_json)
        assert (image.format, image.size) == ("WEBP", (512, 768))
        assert item.url is None
    assert result.created > 0
    assert result.usage.cost > 0  # Runware's cost in USD (an extra field of OpenAI's Usage)
    assert result.output_format == "webp"
    assert result.size == "512x768"


def test_generate_defaults_to_1024_square_url(gateway, runware_sim):
    result = gateway.openai().images.generate(model=RUNWARE_MODEL, prompt="a red fox")

    task = the_task(runware_sim.sim)
    assert {k: v for k, v in task.items() if k != "taskUUID"} == {
        "taskType": "imageInference",
        "model": "runware:100@1",
        "positivePrompt": "a red fox",
        "width": 1024,
        "height": 1024,
        "includeCost": True,
    }
    assert len(result.data) == 1
    downloaded = httpx.get(result.data[0].url)
    assert downloaded.status_code == 200
    assert decode_image(downloaded.content).size == (1024, 1024)


@pytest.mark.parametrize(
    ("output_format", "native", "pillow"), [("png", "PNG", "PNG"), ("jpeg", "JPG", "JPEG")]
)
def test_generate_output_formats_and_url(gateway, runware_sim, output_format, native, pillow):
    result = gateway.openai().images.generate(
        model=RUNWARE_MODEL,
        prompt="a lighthouse",
        size="256x256",
        response_format="url",
        output_format=output_format,
    )
    task = the_task(runware_sim.sim)
    assert (task["outputType"], task["outputFormat"]) == ("URL", native)
    image = decode_image(httpx.get(result.data[0].url).content)
    assert (image.format, image.size) == (pillow, (256, 256))


def test_seed_image_runs_image_to_image(gateway, runware_sim):
    seed_image = data_uri(image_bytes(128, 128))
    gateway.openai().images.generate(
        model=RUNWARE_MODEL,
        prompt="make it autumn",
        size="512x512",
        extra_body={"seedImage": seed_image, "strength": 0.6},
    )
    task = the_task(runware_sim.sim)
    assert task["seedImage"] == seed_image
    assert task["strength"] == 0.6


def test_response_headers_name_provider_and_model(gateway, runware_sim):
    response = httpx.post(
        gateway.base_url + "/images/generations",
        json={"model": RUNWARE_MODEL, "prompt": "a boat", "size": "256x256"},
    )
    assert response.status_code == 200
    assert response.headers["x-irisgate-provider"] == "runware"
    assert response.headers["x-irisgate-model"] == "runware:100@1"
    assert response.headers["x-request-id"]
