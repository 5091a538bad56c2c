"""The Google simulator over raw HTTP: auth forms, the file download (key, HEAD, Range, expiry), the
control plane, and the fault knobs the other tests lean on."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from fixtures_google_sim import GoogleSimHandle
from media_helpers import image_bytes

VEO = "/v1beta/models/veo-3.1-generate-preview"
BODY = {"instances": [{"prompt": "a fox"}], "parameters": {"durationSeconds": 4}}


@pytest.fixture
def api(google_sim: GoogleSimHandle) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=google_sim.url, headers={"x-goog-api-key": google_sim.api_key}, timeout=30
    ) as c:
        yield c


def finished_file(api: httpx.Client, google_sim: GoogleSimHandle) -> str:
    google_sim.sim.settings.polls_to_done = 0
    operation = api.post(VEO + ":predictLongRunning", json=BODY).json()
    assert operation["done"] is True  # polls_to_done=0: done in the create's answer
    return operation["response"]["generateVideoResponse"]["generatedSamples"][0]["video"]["uri"]


def test_no_key_is_403_and_the_key_may_come_as_a_query_parameter(google_sim: GoogleSimHandle) -> None:
    response = httpx.post(f"{google_sim.url}{VEO}:predictLongRunning", json=BODY)
    assert response.status_code == 403
    assert response.json()["error"]["status"] == "PERMISSION_DENIED"
    response = httpx.post(f"{google_sim.url}{VEO}:predictLongRunning?key={google_sim.api_key}", json=BODY)
    assert response.status_code == 200 and "/operations/" in response.json()["name"]


def test_the_file_needs_the_key_and_serves_head_and_ranges(
    api: httpx.Client, google_sim: GoogleSimHandle
) -> None:
    uri = finished_file(api, google_sim)
    assert httpx.get(uri).status_code == 403
    whole = api.get(uri)
    assert (whole.status_code, whole.headers["content-type"]) == (200, "video/mp4")
    head = api.head(uri)
    assert head.headers["content-length"] == str(len(whole.content)) and head.content == b""
    part = api.get(uri, headers={"Range": "bytes=10-19"})
    assert (part.status_code, part.content) == (206, whole.content[10:20])
    assert api.get(uri.replace("alt=media", "alt=json")).status_code == 400
    google_sim.sim.settings.files_expired = True
    assert api.get(uri).json()["error"]["status"] == "NOT_FOUND"


def test_operations_are_per_key_and_unknown_ones_are_404(
    api: httpx.Client, google_sim: GoogleSimHandle
) -> None:
    name = api.post(VEO + ":predictLongRunning", json=BODY).json()["name"]
    google_sim.sim.settings.api_keys = {google_sim.api_key, "other-key"}
    other = httpx.get(f"{google_sim.url}/v1beta/{name}", headers={"x-goog-api-key": "other-key"})
    assert other.status_code == 404
    assert api.get("/v1beta/models/veo-3.1-generate-preview/operations/nope").status_code == 404
    assert api.get(f"/v1beta/{name}").json() == {"name": name}  # first poll: still running


def test_time_driven_operations(api: httpx.Client, google_sim: GoogleSimHandle) -> None:
    google_sim.sim.settings.delay_seconds = 0
    name = api.post(VEO + ":predictLongRunning", json=BODY).json()["name"]
    assert api.get(f"/v1beta/{name}").json()["done"] is True


@pytest.mark.parametrize(
    ("instance", "fragment"),
    [
        ({"prompt": "x", "image": {"gcsUri": "gs://b/o.png", "mimeType": "image/png"}}, "gcsUri"),
        ({"prompt": "x", "image": {"bytesBase64Encoded": "@@@", "mimeType": "image/png"}}, "base64"),
        (
            {
                "image": {
                    "bytesBase64Encoded": base64.b64encode(image_bytes()).decode(),
                    "mimeType": "image/jpeg",
                }
            },
            "mimeType",
        ),
        ({"prompt": ""}, "prompt"),
    ],
)
def test_bad_instances_are_invalid_argument(api: httpx.Client, instance: dict, fragment: str) -> None:
    response = api.post(VEO + ":predictLongRunning", json={"instances": [instance]})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert fragment in response.json()["error"]["message"]


def test_imagen_defaults_to_four_images_and_refuses_what_the_gemini_api_lacks(api: httpx.Client) -> None:
    imagen = "/v1beta/models/imagen-4.0-fast-generate-001:predict"
    assert len(api.post(imagen, json={"instances": [{"prompt": "a"}]}).json()["predictions"]) == 4
    for parameters in ({"seed": 1}, {"negativePrompt": "x"}, {"sampleImageSize": "2K"}, {"sampleCount": 5}):
        response = api.post(imagen, json={"instances": [{"prompt": "a"}], "parameters": parameters})
        assert response.status_code == 400, parameters
        assert next(iter(parameters)) in response.json()["error"]["message"]


def test_the_control_plane_sets_knobs_faults_and_resets(
    api: httpx.Client, google_sim: GoogleSimHandle
) -> None:
    assert api.patch("/__fake/settings", json={"polls_to_done": 1}).json()["polls_to_done"] == 1
    assert api.patch("/__fake/settings", json={"nope": 1}).status_code == 400
    assert (
        api.post("/__fake/faults", json={"kind": "http_error", "status": 503, "times": 1}).status_code == 201
    )
    assert api.post(VEO + ":predictLongRunning", json=BODY).json()["error"]["status"] == "UNAVAILABLE"
    name = api.post(VEO + ":predictLongRunning", json=BODY).json()["name"]
    api.get(f"/v1beta/{name}")
    [task] = api.get("/__fake/tasks").json()
    assert task["done"] is True
    assert [r["path"] for r in api.get("/__fake/requests").json()][-1] == f"/v1beta/{name}"
    api.post("/__fake/reset")
    assert api.get("/__fake/requests").json() == [] and api.get("/__fake/tasks").json() == []
    assert google_sim.sim.settings.polls_to_done == 2


def test_garbage_and_reset_faults_break_the_exchange(api: httpx.Client) -> None:
    body = {"instances": [{"prompt": "x [[sim:garbage]]"}], "parameters": {"durationSeconds": 4}}
    garbage = api.post(VEO + ":predictLongRunning", json=body)
    assert garbage.status_code == 200 and garbage.headers["content-type"].startswith("text/html")
    body["instances"][0]["prompt"] = "x [[sim:reset]]"
    with pytest.raises(httpx.TransportError):
        api.post(VEO + ":predictLongRunning", json=body)


def test_unknown_paths_and_methods(api: httpx.Client) -> None:
    assert api.get("/v1beta/nothing").json()["error"]["status"] == "NOT_FOUND"
    response = api.get(VEO + ":predictLongRunning")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
