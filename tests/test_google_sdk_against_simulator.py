"""The official `google-genai` client (Gemini Developer API mode, `http_options.base_url` at the
simulator) against the Google simulator: Imagen images, a Veo operation polled to done and its file
downloaded, a failing operation, a bad key and a quota error, each in the real shapes."""

from __future__ import annotations

import base64
import warnings
from collections.abc import Iterator

import pytest
from google import genai
from google.genai import errors, types

from irisgate.simulators.google import GoogleFault

from fixtures_google_sim import GoogleSimHandle
from media_helpers import decode_image, image_bytes
from video_helpers import mp4_info

IMAGEN = "imagen-4.0-generate-001"
VEO = "veo-3.1-generate-preview"
FRAME = image_bytes(64, 36, "PNG")


@pytest.fixture(autouse=True)
def quiet_deprecations() -> Iterator[None]:
    with warnings.catch_warnings():  # the client warns that Imagen on the Gemini API is deprecated
        warnings.simplefilter("ignore")
        yield


def client_for(google_sim: GoogleSimHandle, api_key: str | None = None) -> genai.Client:
    return genai.Client(
        api_key=api_key or google_sim.api_key, http_options=types.HttpOptions(base_url=google_sim.url)
    )


def api_requests(google_sim: GoogleSimHandle) -> list:
    return [r for r in google_sim.sim.requests if r.path.startswith("/v1beta/")]


def test_generate_images_gets_decodable_images_of_the_ratio_and_size(google_sim: GoogleSimHandle) -> None:
    client = client_for(google_sim)  # kept: a collected Client closes its HTTP client
    response = client.models.generate_images(
        model=IMAGEN,
        prompt="a lighthouse at dawn",
        config=types.GenerateImagesConfig(
            number_of_images=2,
            aspect_ratio="16:9",
            image_size="2K",
            output_mime_type="image/jpeg",
            person_generation=types.PersonGeneration.ALLOW_ADULT,
        ),
    )
    assert len(response.generated_images) == 2
    for generated in response.generated_images:
        assert generated.image.mime_type == "image/jpeg"
        with decode_image(generated.image.image_bytes) as image:
            assert (image.format, image.size) == ("JPEG", (2816, 1536))
    [request] = api_requests(google_sim)
    assert (request.method, request.path) == ("POST", f"/v1beta/models/{IMAGEN}:predict")
    assert request.headers["x-goog-api-key"] == google_sim.api_key
    # what the official client sends: the field names irisgate's mapping relies on
    assert request.body == {
        "instances": [{"prompt": "a lighthouse at dawn"}],
        "parameters": {
            "sampleCount": 2,
            "aspectRatio": "16:9",
            "sampleImageSize": "2K",
            "personGeneration": "ALLOW_ADULT",
            "outputOptions": {"mimeType": "image/jpeg"},
        },
    }


def test_a_video_operation_is_polled_to_done_and_its_file_downloaded(google_sim: GoogleSimHandle) -> None:
    google_sim.sim.settings.polls_to_done = 3
    client = client_for(google_sim)
    operation = client.models.generate_videos(
        model=VEO,
        source=types.GenerateVideosSource(
            prompt="the tide comes in", image=types.Image(image_bytes=FRAME, mime_type="image/png")
        ),
        config=types.GenerateVideosConfig(
            aspect_ratio="9:16",
            duration_seconds=6,
            resolution="720p",
            negative_prompt="fog",
            person_generation="allow_adult",
        ),
    )
    assert operation.name.startswith(f"models/{VEO}/operations/") and not operation.done
    polls = 0
    while not operation.done:
        operation = client.operations.get(operation)
        polls += 1
    assert polls == 3
    video = operation.result.generated_videos[0].video
    file_id = video.uri.split("/files/")[1].split(":")[0]
    data = client.files.download(file=f"files/{file_id}")
    codec, width, height, seconds = mp4_info(data)
    assert (codec, width, height) == ("h264", 720, 1280)
    assert seconds == pytest.approx(6, abs=0.5)

    create, *rest = api_requests(google_sim)
    assert create.path == f"/v1beta/models/{VEO}:predictLongRunning"
    assert create.body == {
        "instances": [
            {
                "prompt": "the tide comes in",
                "image": {"bytesBase64Encoded": base64.b64encode(FRAME).decode(), "mimeType": "image/png"},
            }
        ],
        "parameters": {
            "aspectRatio": "9:16",
            "durationSeconds": 6,
            "resolution": "720p",
            "negativePrompt": "fog",
            "personGeneration": "allow_adult",
        },
    }
    assert [r.path for r in rest] == [f"/v1beta/{operation.name}"] * 3 + [f"/v1beta/files/{file_id}:download"]
    assert all(r.headers["x-goog-api-key"] == google_sim.api_key for r in rest)


def test_a_failing_operation_ends_done_with_googles_error(google_sim: GoogleSimHandle) -> None:
    google_sim.sim.settings.polls_to_done = 1
    google_sim.sim.add_fault(GoogleFault(kind="operation_error", message="The model ran out of ideas."))
    client = client_for(google_sim)
    operation = client.operations.get(client.models.generate_videos(model=VEO, prompt="a kite"))
    assert operation.done
    assert operation.error == {"code": 13, "message": "The model ran out of ideas."}
    assert operation.result is None


def test_a_bad_key_gets_googles_invalid_key_error(google_sim: GoogleSimHandle) -> None:
    client = client_for(google_sim, api_key="AIza-not-a-key")
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_images(model=IMAGEN, prompt="a cat")
    error = raised.value
    assert (error.code, error.status) == (400, "INVALID_ARGUMENT")
    assert error.message == "API key not valid. Please pass a valid API key."
    [reason] = [d["reason"] for d in error.details["error"]["details"] if d["@type"].endswith("ErrorInfo")]
    assert reason == "API_KEY_INVALID"


def test_a_quota_error_is_resource_exhausted_with_a_retry_delay(google_sim: GoogleSimHandle) -> None:
    google_sim.sim.settings.quota_limit = 1
    google_sim.sim.settings.retry_delay_seconds = 17
    client = client_for(google_sim)
    client.models.generate_videos(model=VEO, prompt="first")
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_videos(model=VEO, prompt="second")
    error = raised.value
    assert (error.code, error.status) == (429, "RESOURCE_EXHAUSTED")
    details = {d["@type"].rpartition(".")[2]: d for d in error.details["error"]["details"]}
    assert details["RetryInfo"]["retryDelay"] == "17s"
    assert "QuotaFailure" in details
    assert len(api_requests(google_sim)) == 2  # the client does not retry unless told to


def test_a_bad_request_names_the_field_and_an_unknown_model_is_not_found(google_sim: GoogleSimHandle) -> None:
    client = client_for(google_sim)
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_videos(
            model=VEO, prompt="x", config=types.GenerateVideosConfig(duration_seconds=5)
        )
    assert (raised.value.code, raised.value.status) == (400, "INVALID_ARGUMENT")
    assert "durationSeconds" in raised.value.message
    with pytest.raises(errors.ClientError) as raised:
        client.models.generate_images(model="imagen-0.1-nonexistent", prompt="x")
    assert (raised.value.code, raised.value.status) == (404, "NOT_FOUND")
