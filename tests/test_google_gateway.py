"""Google (Gemini API) images through a real gateway with the official `openai` SDK: every mapping-table
row as the simulator recorded it, the per-model 400s before any call, what Google lacks, and its
errors (a refused key, a quota, a server error) as OpenAI-shaped answers."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from irisgate.simulators.google import GoogleFault

from fixtures_google_sim import GoogleSimHandle, google_provider
from media_helpers import decode_b64_image, image_bytes

IMAGEN = "google/imagen-4.0-generate-001"


def predicts(google_sim: GoogleSimHandle) -> list[Any]:
    return [r for r in google_sim.sim.requests if r.path.endswith(":predict")]


def test_generate_maps_the_fields_and_answers_b64_even_when_url_was_asked(google_gateway, google_sim):
    result = google_gateway.openai().images.generate(
        model=IMAGEN,
        prompt="A serene mountain landscape at sunset",
        size="1408x768",
        n=2,
        response_format="url",
        output_format="jpeg",
        extra_body={"person_generation": "allow_adult"},
    )
    [request] = predicts(google_sim)
    assert request.path == "/v1beta/models/imagen-4.0-generate-001:predict"
    assert request.headers["x-goog-api-key"] == google_sim.api_key
    assert request.body == {
        "instances": [{"prompt": "A serene mountain landscape at sunset"}],
        "parameters": {
            "sampleCount": 2,
            "aspectRatio": "16:9",
            "outputOptions": {"mimeType": "image/jpeg"},
            "personGeneration": "ALLOW_ADULT",
        },
    }
    assert len(result.data) == 2
    for item in result.data:
        assert item.url is None  # Imagen returns bytes only
        image = decode_b64_image(item.b64_json)
        assert (image.format, image.size) == ("JPEG", (1408, 768))
    assert (result.output_format, result.size) == ("jpeg", "1408x768")
    assert result.usage.cost == pytest.approx(0.08)  # 2 x $0.04, Google's published price


@pytest.mark.parametrize(
    ("fields", "parameters"),
    [
        ({}, {"sampleCount": 1, "aspectRatio": "1:1"}),
        ({"n": 3}, {"sampleCount": 3, "aspectRatio": "1:1"}),
        ({"size": "768x1408"}, {"sampleCount": 1, "aspectRatio": "9:16"}),
        ({"size": "2560x1792"}, {"sampleCount": 1, "aspectRatio": "4:3", "sampleImageSize": "2K"}),
        (
            {"output_format": "png"},
            {"sampleCount": 1, "aspectRatio": "1:1", "outputOptions": {"mimeType": "image/png"}},
        ),
        (
            {"output_format": "jpeg", "output_compression": 40},
            {
                "sampleCount": 1,
                "aspectRatio": "1:1",
                "outputOptions": {"mimeType": "image/jpeg", "compressionQuality": 40},
            },
        ),
        (
            {"person_generation": "dont_allow"},
            {"sampleCount": 1, "aspectRatio": "1:1", "personGeneration": "DONT_ALLOW"},
        ),
        ({"guidance_scale": 8}, {"sampleCount": 1, "aspectRatio": "1:1", "guidanceScale": 8}),
        (
            {"extra_params": {"includeRaiReason": True, "language": "en"}},
            {"sampleCount": 1, "aspectRatio": "1:1", "includeRaiReason": True, "language": "en"},
        ),
    ],
)
def test_every_image_row_reaches_the_wire(google_gateway, google_sim, fields, parameters):
    response = httpx.post(
        google_gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a fox", **fields}
    )
    assert response.status_code == 200, response.text
    [request] = predicts(google_sim)
    assert request.body == {"instances": [{"prompt": "a fox"}], "parameters": parameters}
    width, height = map(int, response.json()["size"].split("x"))
    assert decode_b64_image(response.json()["data"][0]["b64_json"]).size == (width, height)


@pytest.mark.parametrize(
    ("body", "param", "fragment"),
    [
        ({"size": "1536x1024"}, "size", "1:1, 3:4, 4:3, 9:16, 16:9"),
        ({"size": "2048x2048", "model": "google/imagen-4.0-fast-generate-001"}, "size", "1408x768"),
        ({"n": 5}, "n", "1 to 4"),
        ({"negative_prompt": "fog"}, "negative_prompt", "Vertex AI"),
        ({"seed": 3}, "seed", "Vertex AI"),
        ({"output_format": "webp"}, "output_format", "png or jpeg"),
        ({"person_generation": "allow_all"}, "person_generation", "dont_allow, allow_adult"),
        ({"quality": "hd"}, "quality", "OpenAI option"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_before_any_call(
    google_gateway, google_sim, body, param, fragment
):
    response = httpx.post(
        google_gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a fox", **body}
    )
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["param"] == param
    assert fragment in error["message"]
    assert google_sim.sim.requests == []


def test_image_edits_are_an_unsupported_operation(google_gateway, google_sim):
    with pytest.raises(openai.BadRequestError) as raised:
        google_gateway.openai().images.edit(
            model=IMAGEN, image=("a.png", image_bytes(), "image/png"), prompt="add a hat"
        )
    assert raised.value.body["code"] == "unsupported_operation"
    assert google_sim.sim.requests == []


def test_a_refused_key_is_502_naming_the_key_and_never_its_value(make_gateway, google_sim, monkeypatch):
    """Google's 400 API_KEY_INVALID sets the key aside (the provider's 502 upstream_authentication_failed);
    with no other key the client is told every key was refused, with Google's answer."""
    monkeypatch.setenv("IRISGATE_TEST_GOOGLE_KEY", "AIza-wrong-key")
    gateway = make_gateway({"providers": {"google": google_provider(google_sim.url)}})
    response = httpx.post(gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a fox"})
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "upstream_credentials_exhausted"
    assert "Google rejected the provider key 'main': API key not valid" in error["message"]
    assert len(predicts(google_sim)) == 1  # the key rests: not tried again
    assert "AIza-wrong-key" not in response.text
    assert response.headers["x-should-retry"] == "false"


def test_a_quota_is_429_with_googles_retry_delay(google_gateway, google_sim):
    google_sim.sim.settings.retry_delay_seconds = 7
    google_sim.sim.add_fault(GoogleFault(kind="quota", times=1))
    response = httpx.post(
        google_gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a"}
    )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.json()["error"]["code"] == "resource_exhausted"
    assert "exceeded your current quota" in response.json()["error"]["message"]


def test_an_invalid_argument_from_google_is_a_400_naming_the_unified_field(google_gateway, google_sim):
    google_sim.sim.add_fault(
        GoogleFault(kind="http_error", status=400, message="Unsupported `aspectRatio` value for this model.")
    )
    response = httpx.post(
        google_gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("invalid_argument", "size")


def test_an_unknown_model_is_googles_404_about_the_model(google_gateway, google_sim):
    response = httpx.post(
        google_gateway.base_url + "/images/generations",
        json={"model": "google/imagen-0.1-unknown", "prompt": "a"},
    )
    assert response.status_code == 404
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("not_found", "model")


def test_a_server_error_is_a_502(google_gateway, google_sim):
    google_sim.sim.add_fault(GoogleFault(kind="http_error", status=500, times=1))
    response = httpx.post(
        google_gateway.base_url + "/images/generations", json={"model": IMAGEN, "prompt": "a"}
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"


def test_a_model_shipped_after_irisgate_passes_unchecked(google_gateway, google_sim):
    google_sim.sim.settings.extra_models = {"imagen-5.0-generate-preview"}
    response = httpx.post(
        google_gateway.base_url + "/images/generations",
        json={"model": "google/imagen-5.0-generate-preview", "prompt": "a", "person_generation": "allow_all"},
    )
    assert response.status_code == 200, response.text
    assert "usage" not in response.json()  # no published price known: no cost
    [request] = predicts(google_sim)
    assert request.body["parameters"]["personGeneration"] == "ALLOW_ALL"
