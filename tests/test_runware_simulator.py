"""The Runware simulator over raw HTTP: envelope, auth, validation, results, async, faults, media, control."""

from __future__ import annotations

import base64
import io
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image

from irisgate.simulators.runner import ServerThread, serve_forever
from irisgate.simulators.runware import Fault, RunwareSimSettings, RunwareSimulator

from fixtures_simulators import RUNWARE_TEST_KEY, RunwareSimHandle
from sim_helpers import new_uuid, png_bytes, post, runware_client, runware_task, the_error

MODEL = "runware:101@1"
INVALID_KEY_BODY = {
    "errors": [
        {
            "code": "invalidApiKey",
            "message": "Invalid API key. Get one at https://my.runware.ai/signup",
            "parameter": "apiKey",
            "type": "string",
            "taskType": "authentication",
        }
    ]
}


def infer(**fields: Any) -> dict[str, Any]:
    return runware_task("imageInference", {"model": MODEL, "positivePrompt": "a red fox"}, fields)


@pytest.fixture
def client(runware_sim: RunwareSimHandle) -> Iterator[httpx.Client]:
    with runware_client(runware_sim) as c:
        yield c


def decode(item: dict[str, Any], client: httpx.Client) -> bytes:
    if "imageURL" in item:
        return client.get(item["imageURL"]).content
    if "imageBase64Data" in item:
        return base64.b64decode(item["imageBase64Data"])
    prefix, _, data = item["imageDataURI"].partition(",")
    assert prefix.startswith("data:image/") and prefix.endswith(";base64")
    return base64.b64decode(data)


# ---------------------------------------------------------------- envelope and auth


def test_bearer_auth_success_has_data_and_no_errors_key(client):
    task = infer(width=256, height=256)
    response = post(client, task)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    assert body["data"][0]["taskUUID"] == task["taskUUID"]


def test_authentication_task_form_adds_session_item(runware_sim):
    task = infer(width=128, height=128)
    auth = {"taskType": "authentication", "apiKey": RUNWARE_TEST_KEY}
    response = httpx.post(runware_sim.api_url, json=[auth, task])
    assert response.status_code == 200
    data = response.json()["data"]
    assert data[0]["taskType"] == "authentication"
    assert uuid.UUID(data[0]["connectionSessionUUID"])
    assert data[1]["taskType"] == "imageInference"
    assert runware_sim.sim.tasks() == [task]


@pytest.mark.parametrize("form", ["header", "task"])
def test_bad_key_gets_the_exact_401_body(runware_sim, form):
    if form == "header":
        response = httpx.post(runware_sim.api_url, json=[infer()], headers={"Authorization": "Bearer nope"})
    else:
        response = httpx.post(
            runware_sim.api_url, json=[{"taskType": "authentication", "apiKey": "nope"}, infer()]
        )
    assert response.status_code == 401
    assert response.json() == INVALID_KEY_BODY


def test_missing_key_is_401_missing_api_key(runware_sim):
    response = httpx.post(runware_sim.api_url, json=[infer()])
    the_error(response, 401, "missingApiKey", "apiKey")


@pytest.mark.parametrize("raw", [b"{not json", b'{"taskType": "imageInference"}', b"[]", b"", b'"x"'])
def test_body_must_be_a_non_empty_json_array(client, raw):
    response = client.post("/v1", content=raw, headers={"content-type": "application/json"})
    the_error(response, 400, "invalidParameter")


def test_trailing_slash_path_is_accepted(client):
    assert client.post("/v1/", json=[infer(width=128, height=128)]).status_code == 200


def test_mixed_batch_is_200_with_both_keys(client):
    good, bad = infer(width=128, height=128), infer(width=100, height=128)
    response = post(client, good, bad)
    assert response.status_code == 200
    body = response.json()
    assert [d["taskUUID"] for d in body["data"]] == [good["taskUUID"]]
    assert body["errors"][0]["taskUUID"] == bad["taskUUID"]
    assert body["errors"][0]["code"] == "invalidWidth"


def test_every_error_carries_task_identity_and_type(client):
    task = infer(steps=0)
    error = the_error(post(client, task), 400, "invalidParameter", "steps")
    assert error["taskType"] == "imageInference"
    assert error["taskUUID"] == task["taskUUID"]
    assert error["type"] == "integer"


# ---------------------------------------------------------------- validation


def test_unknown_task_type(client):
    the_error(
        post(client, {"taskType": "makeCoffee", "taskUUID": new_uuid()}), 400, "invalidParameter", "taskType"
    )
    the_error(post(client, {"taskUUID": new_uuid()}), 400, "invalidParameter", "taskType")


@pytest.mark.parametrize("value", [None, "not-a-uuid", str(uuid.uuid1()), 42])
def test_task_uuid_must_be_uuid_v4(client, value):
    task = infer(taskUUID=value)
    the_error(post(client, task), 400, "invalidParameter", "taskUUID")


def test_reused_task_uuid_is_a_conflict_but_a_rejected_one_is_not(client):
    rejected = infer(width=100, height=128)
    the_error(post(client, rejected), 400, "invalidWidth")
    assert post(client, {**rejected, "width": 128}).status_code == 200
    the_error(post(client, {**rejected, "width": 128}), 400, "conflictTaskUUID", "taskUUID")
    same = infer(width=128, height=128)
    body = post(client, same, dict(same)).json()
    assert len(body["data"]) == 1
    assert body["errors"][0]["code"] == "conflictTaskUUID"


@pytest.mark.parametrize("model", [None, "", "flux-dev", "runware:101", "runware@1", 7])
def test_model_must_be_an_air(client, model):
    task = infer()
    task["model"] = model
    if model is None:
        del task["model"]
    the_error(post(client, task), 400, "invalidModel", "model")


def test_known_models_knob(client, runware_sim):
    runware_sim.sim.settings.known_models = {"runware:100@1"}
    the_error(post(client, infer(model="runware:101@1")), 400, "invalidModel", "model")
    assert post(client, infer(model="runware:100@1", width=128, height=128)).status_code == 200


@pytest.mark.parametrize(
    ("prompt", "code"),
    [
        (None, "missingParameter"),
        ("a", "invalidParameter"),
        ("x" * 3001, "invalidParameter"),
        (5, "invalidParameter"),
    ],
)
def test_positive_prompt_rules(client, prompt, code):
    task = infer()
    del task["positivePrompt"]
    if prompt is not None:
        task["positivePrompt"] = prompt
    the_error(post(client, task), 400, code, "positivePrompt")


def test_prompt_is_optional_with_a_seed_image(client):
    task = infer(seedImage=base64.b64encode(png_bytes()).decode(), width=128, height=128)
    del task["positivePrompt"]
    assert post(client, task).status_code == 200


@pytest.mark.parametrize(
    ("width", "height", "code", "parameter"),
    [
        (512, None, "invalidHeight", "height"),
        (None, 512, "invalidWidth", "width"),
        (100, 512, "invalidWidth", "width"),
        (512, 500, "invalidHeight", "height"),
        (64, 512, "invalidWidth", "width"),
        (512, 2112, "invalidHeight", "height"),
        ("512", 512, "invalidWidth", "width"),
    ],
)
def test_width_and_height(client, width, height, code, parameter):
    error = the_error(post(client, infer(width=width, height=height)), 400, code, parameter)
    assert error["message"].startswith(f"Invalid value for '{parameter}' parameter")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("outputType", "PNG"),
        ("outputType", "url"),
        ("outputFormat", "JPEG"),
        ("outputFormat", "GIF"),
        ("deliveryMethod", "stream"),
        ("deliveryMethod", "later"),
    ],
)
def test_enums(client, field, value):
    the_error(post(client, infer(**{field: value})), 400, "invalidParameter", field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("numberResults", 0),
        ("numberResults", 21),
        ("numberResults", 1.5),
        ("steps", 0),
        ("steps", 101),
        ("CFGScale", -0.1),
        ("CFGScale", 30.5),
        ("strength", 1.1),
        ("strength", -1),
        ("outputQuality", 19),
        ("outputQuality", 100),
        ("seed", -1),
        ("includeCost", "yes"),
    ],
)
def test_ranges(client, field, value):
    the_error(post(client, infer(**{field: value})), 400, "invalidParameter", field)


def test_range_bounds_are_inclusive(client):
    task = infer(
        width=128, height=2048, numberResults=1, steps=100, CFGScale=30, strength=0, outputQuality=20
    )
    assert post(client, task).status_code == 200


@pytest.mark.parametrize(
    "value",
    [
        "definitely not base64!!",
        base64.b64encode(b"plain text, not an image").decode(),
        "data:image/png;base64,bm90IGFuIGltYWdl",
        "data:image/png,rawbytes",
        str(uuid.uuid4()),
        "ftp://example.com/a.png",
        "data:image/gif;base64," + base64.b64encode(png_bytes(fmt="GIF")).decode(),
        12,
    ],
)
def test_bad_seed_image_names_the_field(client, value):
    the_error(post(client, infer(seedImage=value)), 400, "invalidParameter", "seedImage")


def test_bad_mask_image_names_the_field(client):
    seed = base64.b64encode(png_bytes()).decode()
    the_error(post(client, infer(seedImage=seed, maskImage="garbage!")), 400, "invalidParameter", "maskImage")


def test_mask_without_seed_image(client):
    mask = base64.b64encode(png_bytes()).decode()
    the_error(post(client, infer(maskImage=mask)), 400, "missingParameter", "seedImage")


@pytest.mark.parametrize(
    "make",
    [
        lambda: "data:image/png;base64," + base64.b64encode(png_bytes()).decode(),
        lambda: base64.b64encode(png_bytes(fmt="JPEG")).decode(),
        lambda: base64.b64encode(png_bytes(fmt="WEBP")).decode(),
        lambda: "https://example.com/cat.png",
    ],
)
def test_good_seed_image_forms(client, make):
    assert post(client, infer(seedImage=make(), width=128, height=128)).status_code == 200


def test_generated_image_uuid_works_as_seed_image_and_sets_default_size(client):
    first = post(client, infer(width=256, height=128)).json()["data"][0]
    second = post(client, infer(seedImage=first["imageUUID"])).json()["data"][0]
    assert Image.open(io.BytesIO(decode(second, client))).size == (256, 128)


def test_unknown_fields_are_ignored_unless_the_knob_is_on(client, runware_sim):
    assert post(client, infer(width=128, height=128, madeUpField=1)).status_code == 200
    runware_sim.sim.settings.reject_unknown_fields = True
    the_error(post(client, infer(madeUpField=1)), 400, "unsupportedParameter", "madeUpField")
    assert post(client, infer(width=128, height=128, steps=4, CFGScale=3.5)).status_code == 200


# ---------------------------------------------------------------- sync results


@pytest.mark.parametrize("output_type", ["URL", "base64Data", "dataURI"])
@pytest.mark.parametrize(("output_format", "pil_format"), [("JPG", "JPEG"), ("PNG", "PNG"), ("WEBP", "WEBP")])
def test_sync_outputs_are_real_images(client, output_type, output_format, pil_format):
    task = infer(width=320, height=192, outputType=output_type, outputFormat=output_format)
    data = post(client, task).json()["data"]
    assert len(data) == 1
    item = data[0]
    fields = {"imageURL", "imageBase64Data", "imageDataURI"} & set(item)
    assert fields == {
        {"URL": "imageURL", "base64Data": "imageBase64Data", "dataURI": "imageDataURI"}[output_type]
    }
    assert item["taskType"] == "imageInference"
    assert item["taskUUID"] == task["taskUUID"]
    image = Image.open(io.BytesIO(decode(item, client)))
    assert image.size == (320, 192)
    assert image.format == pil_format
    if output_type == "dataURI":
        assert item["imageDataURI"].startswith(f"data:{Image.MIME[pil_format]};base64,")


def test_default_size_is_1024_square_jpeg_url(client):
    item = post(client, infer()).json()["data"][0]
    assert item["imageURL"].endswith(".jpg")
    image = Image.open(io.BytesIO(decode(item, client)))
    assert (image.size, image.format) == ((1024, 1024), "JPEG")


def test_bytes_are_identical_in_every_form(client, runware_sim):
    item = post(client, infer(width=128, height=128, outputType="base64Data")).json()["data"][0]
    served = client.get(f"/image/ws/0.5/ii/{item['imageUUID']}.jpg").content
    assert served == base64.b64decode(item["imageBase64Data"])


def test_number_results_gives_distinct_uuids_and_seeds(client):
    data = post(client, infer(width=128, height=128, numberResults=3, seed=41)).json()["data"]
    assert len(data) == 3
    assert len({d["imageUUID"] for d in data}) == 3
    assert [d["seed"] for d in data] == [41, 42, 43]


def test_random_seed_when_none_is_sent(client):
    item = post(client, infer(width=128, height=128)).json()["data"][0]
    assert isinstance(item["seed"], int)


def test_cost_and_nsfw_only_when_asked(client):
    plain = post(client, infer(width=128, height=128)).json()["data"][0]
    assert "cost" not in plain and "NSFWContent" not in plain
    costed = post(client, infer(width=128, height=128, includeCost=True, safety={"checkContent": True}))
    item = costed.json()["data"][0]
    assert isinstance(item["cost"], float) and item["cost"] > 0
    assert item["NSFWContent"] is False
    legacy = post(client, infer(width=128, height=128, checkNSFW=True)).json()["data"][0]
    assert legacy["NSFWContent"] is False


# ---------------------------------------------------------------- async and getResponse


def poll(client: httpx.Client, task_uuid: str) -> httpx.Response:
    return post(client, {"taskType": "getResponse", "taskUUID": task_uuid})


def test_async_ack_then_cumulative_get_response(client, runware_sim):
    task = infer(width=128, height=128, deliveryMethod="async", numberResults=2, includeCost=True)
    ack = post(client, task)
    assert ack.json() == {"data": [{"taskType": "imageInference", "taskUUID": task["taskUUID"]}]}
    first = poll(client, task["taskUUID"]).json()
    assert first == {
        "data": [{"taskType": "imageInference", "taskUUID": task["taskUUID"], "status": "processing"}]
    }
    second = poll(client, task["taskUUID"]).json()["data"]
    assert [d["status"] for d in second] == ["success", "success"]
    assert all(d["taskType"] == "imageInference" and d["taskUUID"] == task["taskUUID"] for d in second)
    assert all("imageURL" in d and isinstance(d["seed"], int) and d["cost"] > 0 for d in second)
    third = poll(client, task["taskUUID"]).json()["data"]
    assert [d["imageUUID"] for d in third] == [d["imageUUID"] for d in second]
    assert runware_sim.sim.tasks("getResponse") == [
        {"taskType": "getResponse", "taskUUID": task["taskUUID"]} for _ in range(3)
    ]


def test_async_poll_count_and_progress_knobs(client, runware_sim):
    runware_sim.sim.settings.async_polls_to_complete = 0
    task = infer(width=128, height=128, deliveryMethod="async")
    post(client, task)
    assert poll(client, task["taskUUID"]).json()["data"][0]["status"] == "success"

    runware_sim.sim.settings.async_polls_to_complete = 2
    runware_sim.sim.settings.report_progress = True
    task = infer(width=128, height=128, deliveryMethod="async")
    post(client, task)
    states = [poll(client, task["taskUUID"]).json()["data"][0] for _ in range(3)]
    assert [s["status"] for s in states] == ["processing", "processing", "success"]
    assert [s["progress"] for s in states[:2]] == [0, 50]


def test_time_driven_async(client, runware_sim):
    runware_sim.sim.settings.async_delay_seconds = 3600
    slow = infer(width=128, height=128, deliveryMethod="async")
    post(client, slow)
    assert all(poll(client, slow["taskUUID"]).json()["data"][0]["status"] == "processing" for _ in range(3))
    runware_sim.sim.settings.async_delay_seconds = 0
    quick = infer(width=128, height=128, deliveryMethod="async")
    post(client, quick)
    assert poll(client, quick["taskUUID"]).json()["data"][0]["status"] == "success"


def test_get_response_of_a_sync_task_replays_its_results(client):
    task = infer(width=128, height=128)
    item = post(client, task).json()["data"][0]
    replay = poll(client, task["taskUUID"]).json()["data"][0]
    assert replay["status"] == "success" and replay["imageUUID"] == item["imageUUID"]


def test_get_response_unknown_task(client):
    task_uuid = new_uuid()
    error = the_error(poll(client, task_uuid), 404, "taskFailedOrNotFound", "taskUUID")
    assert error["taskUUID"] == task_uuid


def test_get_response_needs_a_v4_uuid(client):
    the_error(
        post(client, {"taskType": "getResponse", "taskUUID": "nope"}), 400, "invalidParameter", "taskUUID"
    )


@pytest.mark.parametrize(
    ("kind", "code"), [("task_error", "inferenceError"), ("moderation", "contentPolicyViolation")]
)
def test_async_failure_comes_through_get_response(client, runware_sim, kind, code):
    runware_sim.sim.add_fault(Fault(kind=kind))
    task = infer(width=128, height=128, deliveryMethod="async")
    assert post(client, task).status_code == 200
    assert poll(client, task["taskUUID"]).json()["data"][0]["status"] == "processing"
    error = the_error(poll(client, task["taskUUID"]), 200, code)
    assert error["taskType"] == "imageInference"
    assert error["taskUUID"] == task["taskUUID"]


def test_error_item_form_knob(client, runware_sim):
    runware_sim.sim.settings.error_item_form = True
    runware_sim.sim.settings.async_polls_to_complete = 0
    task = infer(width=128, height=128, deliveryMethod="async", positivePrompt="boom [[sim:task_error]]")
    post(client, task)
    body = poll(client, task["taskUUID"]).json()
    assert "errors" not in body
    item = body["data"][0]
    assert item["status"] == "error" and item["taskType"] == "imageInference"
    assert item["error"]["code"] == "inferenceError" and item["error"]["message"]


# ---------------------------------------------------------------- imageUpload


def upload(client: httpx.Client, image: Any) -> httpx.Response:
    return post(client, {"taskType": "imageUpload", "taskUUID": new_uuid(), "image": image})


@pytest.mark.parametrize(
    ("image", "ext"),
    [
        ("data:image/png;base64," + base64.b64encode(png_bytes()).decode(), "png"),
        (base64.b64encode(png_bytes(fmt="JPEG")).decode(), "jpg"),
        (base64.b64encode(png_bytes(fmt="BMP")).decode(), "bmp"),
        (base64.b64encode(png_bytes(fmt="GIF")).decode(), "gif"),
        ("https://example.com/picture.png", "jpg"),
    ],
)
def test_image_upload_forms(client, image, ext):
    item = upload(client, image).json()["data"][0]
    assert item["taskType"] == "imageUpload"
    assert uuid.UUID(item["imageUUID"])
    assert item["imageURL"].endswith(f"/image/ws/0.5/ii/{item['imageUUID']}.{ext}")
    assert client.get(item["imageURL"]).status_code == 200


@pytest.mark.parametrize(
    "image", ["!!!", base64.b64encode(b"hello").decode(), "data:text/plain;base64,aGk=", None]
)
def test_image_upload_rejects_undecodable_data(client, image):
    code = "missingParameter" if image is None else "invalidParameter"
    the_error(upload(client, image), 400, code, "image")


def test_uploaded_uuid_works_as_seed_and_mask(client):
    seed = upload(client, base64.b64encode(png_bytes((256, 192))).decode()).json()["data"][0]["imageUUID"]
    mask = upload(client, base64.b64encode(png_bytes((256, 192))).decode()).json()["data"][0]["imageUUID"]
    item = post(client, infer(seedImage=seed, maskImage=mask, strength=0.5)).json()["data"][0]
    assert Image.open(io.BytesIO(decode(item, client))).size == (256, 192)


# ---------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (429, "rateLimitExceeded"),
        (402, "insufficientCredits"),
        (500, "internalServerError"),
        (503, "serviceUnavailable"),
        (504, "timeoutProvider"),
        (403, "insufficientPermissions"),
    ],
)
def test_http_error_fault(client, runware_sim, status, code):
    runware_sim.sim.add_fault(Fault(kind="http_error", status=status))
    task = infer()
    error = the_error(post(client, task), status, code)
    assert error["taskUUID"] == task["taskUUID"]
    assert post(client, infer()).status_code == status  # times=None: forever


def test_fault_times_and_custom_code(client, runware_sim):
    runware_sim.sim.add_fault(
        Fault(kind="http_error", status=429, code="rateLimitExceeded", message="slow down", times=2)
    )
    assert [post(client, infer(width=128, height=128)).status_code for _ in range(3)] == [429, 429, 200]
    runware_sim.sim.add_fault(Fault(kind="http_error", status=500, times=1))
    runware_sim.sim.clear_faults()
    assert post(client, infer(width=128, height=128)).status_code == 200


def test_fault_matching_fields(client, runware_sim):
    sim = runware_sim.sim
    sim.settings.api_keys.add("rw-other-key")
    try:
        sim.add_fault(Fault(kind="http_error", status=503, model="runware:100@1"))
        sim.add_fault(Fault(kind="http_error", status=429, prompt_contains="dragon"))
        sim.add_fault(Fault(kind="http_error", status=402, api_key="rw-other-key"))
        sim.add_fault(Fault(kind="http_error", status=500, task_type="imageUpload"))
        assert post(client, infer(model="runware:100@1")).status_code == 503
        assert post(client, infer(positivePrompt="a dragon")).status_code == 429
        assert post(client, infer(width=128, height=128)).status_code == 200
        other = client.post("/v1", json=[infer()], headers={"Authorization": "Bearer rw-other-key"})
        assert other.status_code == 402
        assert upload(client, "https://example.com/x.png").status_code == 500
    finally:
        sim.settings.api_keys.discard("rw-other-key")


@pytest.mark.parametrize(
    ("kind", "code"), [("task_error", "inferenceError"), ("moderation", "contentPolicyViolation")]
)
def test_sync_task_failure_fault(client, runware_sim, kind, code):
    runware_sim.sim.add_fault(Fault(kind=kind, times=1))
    task = infer(width=128, height=128)
    error = the_error(post(client, task), 200, code)
    assert (error["taskType"], error["taskUUID"]) == ("imageInference", task["taskUUID"])
    assert post(client, infer(width=128, height=128)).status_code == 200


def test_slow_ack_fault_delays_then_answers(client, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="slow_ack", delay_seconds=0.3, times=1))
    started = time.monotonic()
    response = post(client, infer(width=128, height=128))
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("marker", "status", "code"),
    [
        ("[[sim:429]]", 429, "rateLimitExceeded"),
        ("[[sim:500]]", 500, "internalServerError"),
        ("[[sim:503]]", 503, "serviceUnavailable"),
        ("[[sim:task_error]]", 200, "inferenceError"),
        ("[[sim:moderation]]", 200, "contentPolicyViolation"),
        ("[[sim:timeout]]", 200, "timeoutProvider"),
    ],
)
def test_prompt_markers(client, marker, status, code):
    the_error(post(client, infer(width=128, height=128, positivePrompt=f"a cat {marker}")), status, code)


def test_slow_marker(client):
    started = time.monotonic()
    response = post(client, infer(width=128, height=128, positivePrompt="a cat [[sim:slow=0.2]]"))
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 200


def get_response(client: httpx.Client, task_uuid: str) -> httpx.Response:
    return post(client, {"taskType": "getResponse", "taskUUID": task_uuid})


def is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def test_garbage_fault_answers_200_html_after_running_the_task(client, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="garbage", times=1))
    task = infer(width=128, height=128)
    response = post(client, task)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert not is_json(response) and b"502 Bad Gateway" in response.content
    # the task ran: its taskUUID is taken and getResponse has its results
    the_error(post(client, task), 400, "conflictTaskUUID")
    [item] = get_response(client, task["taskUUID"]).json()["data"]
    assert item["taskUUID"] == task["taskUUID"] and "imageURL" in item
    assert runware_sim.sim.faults.snapshot() == []
    assert post(client, infer(width=128, height=128)).status_code == 200


def test_garbage_fault_status_and_body(client, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="garbage", status=502, message="upstream connect error"))
    response = post(client, infer(width=128, height=128))
    assert (response.status_code, response.text) == (502, "upstream connect error")


def test_reset_fault_drops_the_connection_after_running_the_task(client, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="reset", times=1))
    task = infer(width=128, height=128)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        post(client, task)
    [item] = get_response(client, task["taskUUID"]).json()["data"]
    assert item["taskUUID"] == task["taskUUID"]
    assert post(client, infer(width=128, height=128)).status_code == 200
    assert [r.body[0]["taskType"] for r in runware_sim.sim.requests] == [
        "imageInference",
        "getResponse",
        "imageInference",
    ]


def test_garbage_and_reset_markers(client):
    garbage = post(client, infer(width=128, height=128, positivePrompt="a cat [[sim:garbage]]"))
    assert garbage.status_code == 200 and not is_json(garbage)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        post(client, infer(width=128, height=128, positivePrompt="a cat [[sim:reset]]"))


def statuses_with_chance(client: httpx.Client, sim: RunwareSimulator, seed: int) -> list[int]:
    sim.reset()
    sim.settings.fault_seed = seed
    sim.add_fault(Fault(kind="http_error", status=503, chance=0.3))
    return [post(client, infer(width=128, height=128)).status_code for _ in range(40)]


def test_chance_hits_a_fraction_reproducibly_with_a_seed(client, runware_sim):
    first = statuses_with_chance(client, runware_sim.sim, seed=7)
    assert set(first) == {200, 503}
    assert 3 <= first.count(503) <= 25
    assert statuses_with_chance(client, runware_sim.sim, seed=7) == first
    assert statuses_with_chance(client, runware_sim.sim, seed=8) != first


def test_times_counts_only_actual_hits(client, runware_sim):
    runware_sim.sim.settings.fault_seed = 1
    runware_sim.sim.add_fault(Fault(kind="http_error", status=500, chance=0.5, times=3))
    statuses = [post(client, infer(width=128, height=128)).status_code for _ in range(30)]
    assert statuses.count(500) == 3 and statuses[-1] == 200
    assert runware_sim.sim.faults.snapshot() == []


def test_chance_and_seed_through_the_control_plane(client, runware_sim):
    assert client.patch("/__fake/settings", json={"fault_seed": 3}).json()["fault_seed"] == 3
    added = client.post("/__fake/faults", json={"kind": "reset", "chance": 0.25})
    assert added.status_code == 201 and added.json()["chance"] == 0.25
    assert client.post("/__fake/faults", json={"kind": "garbage", "chance": 2}).status_code == 400
    assert runware_sim.sim.faults.snapshot()[0].chance == 0.25


# ---------------------------------------------------------------- media


def test_media_get_and_head_headers(client):
    item = post(client, infer(width=128, height=128, outputFormat="PNG")).json()["data"][0]
    got = client.get(item["imageURL"])
    assert got.headers["content-type"] == "image/png"
    assert int(got.headers["content-length"]) == len(got.content) > 0
    head = client.head(item["imageURL"])
    assert head.status_code == 200
    assert head.headers["content-type"] == "image/png"
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.content == b""


@pytest.mark.parametrize("status", [404, 403])
def test_expired_urls(client, runware_sim, status):
    item = post(client, infer(width=128, height=128)).json()["data"][0]
    runware_sim.sim.settings.urls_expired = True
    runware_sim.sim.settings.urls_expired_status = status
    assert client.get(item["imageURL"]).status_code == status
    assert client.head(item["imageURL"]).status_code == status


def test_unknown_media_is_404(client):
    assert client.get(f"/image/ws/0.5/ii/{new_uuid()}.jpg").status_code == 404


def test_url_is_built_from_the_request_host(runware_sim):
    host_url = runware_sim.url.replace("127.0.0.1", "localhost")
    headers = {"Authorization": f"Bearer {runware_sim.api_key}"}
    item = httpx.post(host_url + "/v1", json=[infer(width=128, height=128)], headers=headers).json()["data"][
        0
    ]
    assert item["imageURL"].startswith(host_url + "/image/ws/0.5/ii/")


# ---------------------------------------------------------------- routes, recording, control plane


def test_unknown_path_is_404_json_and_wrong_method_is_405(client):
    missing = client.get("/v2/things")
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "notFound"
    wrong = client.get("/v1")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    assert wrong.json()["errors"][0]["code"] == "methodNotAllowed"
    assert client.put("/v1", json=[]).status_code == 405
    assert client.post(f"/image/ws/0.5/ii/{new_uuid()}.jpg").status_code == 405


def test_requests_are_recorded(client, runware_sim):
    task = infer(width=128, height=128)
    post(client, task)
    client.post("/v1", content=b"\x00\x01binary")
    client.get("/elsewhere")
    recorded = runware_sim.sim.requests
    assert [(r.method, r.path) for r in recorded] == [("POST", "/v1"), ("POST", "/v1"), ("GET", "/elsewhere")]
    assert recorded[0].body == [task]
    assert recorded[0].headers["authorization"] == f"Bearer {RUNWARE_TEST_KEY}"
    assert recorded[1].body is None and recorded[1].raw == b"\x00\x01binary"
    assert runware_sim.sim.tasks("imageInference") == [task]


def test_control_plane(client, runware_sim):
    post(client, infer(width=128, height=128))
    client.post("/v1", content=b"\xff")
    listed = client.get("/__fake/requests").json()
    assert [r["method"] for r in listed] == ["POST", "POST"]
    assert listed[0]["body"][0]["taskType"] == "imageInference"
    assert base64.b64decode(listed[1]["raw_base64"]) == b"\xff"
    assert client.delete("/__fake/requests").status_code == 204
    assert client.get("/__fake/requests").json() == []

    assert (
        client.post("/__fake/faults", json={"kind": "http_error", "status": 503, "times": 1}).status_code
        == 201
    )
    assert client.post("/__fake/faults", json={"kind": "explode"}).status_code == 400
    assert client.post("/__fake/faults", json={"kind": "http_error", "colour": 1}).status_code == 400
    assert len(client.get("/__fake/faults").json()) == 1
    assert post(client, infer()).status_code == 503
    client.post("/__fake/faults", json={"kind": "http_error", "status": 500})
    assert client.delete("/__fake/faults").status_code == 204
    assert post(client, infer(width=128, height=128)).status_code == 200

    patched = client.patch("/__fake/settings", json={"async_polls_to_complete": 3, "known_models": [MODEL]})
    assert patched.status_code == 200
    assert runware_sim.sim.settings.async_polls_to_complete == 3
    assert runware_sim.sim.settings.known_models == {MODEL}
    assert client.patch("/__fake/settings", json={"nope": 1}).status_code == 400
    assert client.patch("/__fake/settings", json={"report_progress": "yes"}).status_code == 400

    assert client.post("/__fake/reset").status_code == 204
    assert runware_sim.sim.settings.async_polls_to_complete == 1
    assert runware_sim.sim.settings.known_models is None
    assert RUNWARE_TEST_KEY in runware_sim.sim.settings.api_keys  # keys survive a reset
    assert runware_sim.sim.requests == []  # control-plane calls are never recorded


def test_reset_clears_everything_but_keys():
    sim = RunwareSimulator(RunwareSimSettings(api_keys={"k"}, async_polls_to_complete=4))
    sim.settings.api_keys.add("k2")
    sim.settings.report_progress = True
    sim.add_fault(Fault(kind="moderation"))
    sim.reset()
    assert sim.settings.async_polls_to_complete == 4 and not sim.settings.report_progress
    assert sim.settings.api_keys == {"k", "k2"}
    assert sim.faults.snapshot() == []


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "boom"},
        {"kind": "http_error", "status": 200},
        {"kind": "http_error", "status": "429"},
        {"kind": "slow_ack", "delay_seconds": -1},
        {"kind": "task_error", "times": 0},
        {"kind": "http_error", "chance": 0},
        {"kind": "http_error", "chance": 1.5},
        {"kind": "http_error", "chance": "half"},
        {"kind": "reset", "status": 500},
    ],
)
def test_fault_fields_are_checked(fields):
    with pytest.raises(ValueError):
        Fault(**fields)


# ---------------------------------------------------------------- runner


def test_server_thread_and_serve_forever():
    sim = RunwareSimulator(RunwareSimSettings(api_keys={"k"}))
    with ServerThread(sim.app) as server:
        assert httpx.get(server.url + "/nope").status_code == 404
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/nope", timeout=2)

    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        if line.startswith("runware: "):
            url = line.split()[1]
            assert (
                httpx.post(url + "/v1", json=[infer()], headers={"Authorization": "Bearer k"}).status_code
                == 200
            )
        if line.startswith("Press"):
            raise KeyboardInterrupt

    serve_forever({"runware": (sim.app, 0)}, notes={"runware": "api key: k"}, out=out)
    assert lines[0].startswith("runware: http://127.0.0.1:") and lines[0].endswith("api key: k")
