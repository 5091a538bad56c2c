"""The Runware simulator's videoInference over raw HTTP: validation, async lifecycle, frame images,
failures, real decodable video, and media serving (HEAD, Range, padding, expiry)."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest

from irisgate.simulators.common.byte_ranges import Unsatisfiable, parse_range
from irisgate.simulators.runware import Fault

from fixtures_simulators import RunwareSimHandle
from sim_helpers import new_uuid, png_bytes, post, runware_client, runware_task, the_error

MODEL = "sim:video@1"  # the simulator's cheap test model: 320x192 | 192x320 | 256x256, 1 | 2 | 3 | 5 s
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def video(**fields: Any) -> dict[str, Any]:
    return runware_task(
        "videoInference",
        {"model": MODEL, "positivePrompt": "a fox running through snow", "deliveryMethod": "async"},
        fields,
    )


@pytest.fixture
def client(runware_sim: RunwareSimHandle) -> Iterator[httpx.Client]:
    with runware_client(runware_sim) as c:
        yield c


def poll(client: httpx.Client, task_uuid: str) -> httpx.Response:
    return post(client, {"taskType": "getResponse", "taskUUID": task_uuid})


def finish(client: httpx.Client, task: dict[str, Any], max_polls: int = 10) -> list[dict[str, Any]]:
    """Submit ``task`` and poll until success; returns the success items."""
    ack = post(client, task)
    assert ack.status_code == 200, ack.text
    for _ in range(max_polls):
        items = poll(client, task["taskUUID"]).json()["data"]
        if items[0]["status"] != "processing":
            assert all(i["status"] == "success" for i in items), items
            return items
    raise AssertionError("the video never finished")


def probe(data: bytes) -> dict[str, Any]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        decoded = list(container.decode(stream))
        return {
            "container": container.format.name,
            "codec": stream.codec_context.name,
            "pix_fmt": decoded[0].format.name,
            "size": (decoded[0].width, decoded[0].height),
            "frames": len(decoded),
            "rate": float(stream.average_rate) if stream.average_rate else None,
            "duration": container.duration / 1_000_000 if container.duration else None,
        }


# ---------------------------------------------------------------- lifecycle


def test_ack_then_cumulative_get_response_with_the_original_task_type(client, runware_sim):
    task = video()
    ack = post(client, task)
    assert ack.json() == {"data": [{"taskType": "videoInference", "taskUUID": task["taskUUID"]}]}
    first = poll(client, task["taskUUID"]).json()
    assert first == {
        "data": [{"taskType": "videoInference", "taskUUID": task["taskUUID"], "status": "processing"}]
    }
    second = poll(client, task["taskUUID"]).json()
    assert "errors" not in second
    [item] = second["data"]
    assert item["taskType"] == "videoInference" and item["taskUUID"] == task["taskUUID"]
    assert item["status"] == "success"
    assert re.fullmatch(UUID_RE, item["videoUUID"])
    assert item["videoURL"] == f"{runware_sim.url}/video/ws/0.5/vi/{item['videoUUID']}.mp4"
    assert isinstance(item["seed"], int)
    assert "cost" not in item and "NSFWContent" not in item
    third = poll(client, task["taskUUID"]).json()["data"]
    assert third == second["data"]


def test_get_response_items_are_never_tagged_get_response(client):
    items = finish(client, video())
    assert {i["taskType"] for i in items} == {"videoInference"}


def test_video_polls_knob_and_progress(client, runware_sim):
    settings = runware_sim.sim.settings
    settings.video_polls_to_complete = 4
    settings.report_progress = True
    task = video()
    post(client, task)
    states = [poll(client, task["taskUUID"]).json()["data"][0] for _ in range(5)]
    assert [s["status"] for s in states] == ["processing"] * 4 + ["success"]
    assert [s["progress"] for s in states[:4]] == [0, 25, 50, 75]
    assert "progress" not in states[4]


def test_video_polls_default_to_the_async_knob(client, runware_sim):
    runware_sim.sim.settings.async_polls_to_complete = 0
    task = video()
    post(client, task)
    assert poll(client, task["taskUUID"]).json()["data"][0]["status"] == "success"
    runware_sim.sim.settings.video_polls_to_complete = 2
    task = video()
    post(client, task)
    assert [poll(client, task["taskUUID"]).json()["data"][0]["status"] for _ in range(3)] == [
        "processing",
        "processing",
        "success",
    ]


def test_time_driven_video(client, runware_sim):
    runware_sim.sim.settings.async_delay_seconds = 3600
    task = video()
    post(client, task)
    assert all(poll(client, task["taskUUID"]).json()["data"][0]["status"] == "processing" for _ in range(3))


def test_time_driven_video_finishes_with_nobody_asking(client, runware_sim):
    runware_sim.sim.settings.async_delay_seconds = 0.3
    task = video()
    post(client, task)
    time.sleep(0.4)
    [item] = poll(client, task["taskUUID"]).json()["data"]  # the first poll: already done
    assert item["status"] == "success"


def test_number_results_seeds_and_cost(client):
    items = finish(client, video(numberResults=3, seed=41, includeCost=True, duration=3))
    assert len({i["videoUUID"] for i in items}) == 3
    assert len({i["videoURL"] for i in items}) == 3
    assert [i["seed"] for i in items] == [41, 42, 43]
    assert all(i["cost"] == pytest.approx(0.15) for i in items)  # 0.05 USD per second
    assert all(i["taskUUID"] == items[0]["taskUUID"] for i in items)


def test_nsfw_flag_only_with_a_safety_check(client):
    [item] = finish(client, video(safety={"checkContent": True}))
    assert item["NSFWContent"] is False


def test_get_response_unknown_task(client):
    the_error(poll(client, new_uuid()), 404, "taskFailedOrNotFound", "taskUUID")


def test_reused_task_uuid_is_a_conflict(client):
    task = video()
    post(client, task)
    the_error(post(client, task), 400, "conflictTaskUUID", "taskUUID")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "code", "parameter"),
    [
        ({"deliveryMethod": None}, "missingParameter", "deliveryMethod"),
        ({"deliveryMethod": "sync"}, "invalidParameter", "deliveryMethod"),
        ({"deliveryMethod": "stream"}, "invalidParameter", "deliveryMethod"),
        ({"model": "not-an-air"}, "invalidModel", "model"),
        ({"positivePrompt": None}, "missingParameter", "positivePrompt"),
        ({"positivePrompt": "a"}, "invalidParameter", "positivePrompt"),
        ({"positivePrompt": "x" * 3001}, "invalidParameter", "positivePrompt"),
        ({"negativePrompt": 5}, "invalidParameter", "negativePrompt"),
        ({"duration": 4}, "invalidParameter", "duration"),
        ({"duration": "2"}, "invalidParameter", "duration"),
        ({"width": 320}, "invalidHeight", "height"),
        ({"height": 192}, "invalidWidth", "width"),
        ({"width": 640, "height": 192}, "invalidWidth", "width"),
        ({"width": 320, "height": 320}, "invalidHeight", "height"),
        ({"width": "320", "height": 192}, "invalidWidth", "width"),
        ({"fps": 0}, "invalidParameter", "fps"),
        ({"fps": 61}, "invalidParameter", "fps"),
        ({"outputType": "base64Data"}, "invalidParameter", "outputType"),
        ({"outputType": "dataURI"}, "invalidParameter", "outputType"),
        ({"outputFormat": "GIF"}, "invalidParameter", "outputFormat"),
        ({"outputFormat": "JPG"}, "invalidParameter", "outputFormat"),
        ({"outputQuality": 19}, "invalidParameter", "outputQuality"),
        ({"outputQuality": 100}, "invalidParameter", "outputQuality"),
        ({"numberResults": 0}, "invalidParameter", "numberResults"),
        ({"seed": -1}, "invalidParameter", "seed"),
        ({"includeCost": "yes"}, "invalidParameter", "includeCost"),
        ({"providerSettings": "fast"}, "invalidParameter", "providerSettings"),
        ({"inputs": []}, "invalidParameter", "inputs"),
    ],
)
def test_field_validation(client, fields, code, parameter):
    task = video(**{k: v for k, v in fields.items() if v is not None})
    for key in [k for k, v in fields.items() if v is None]:
        task.pop(key, None)
    error = the_error(post(client, task), 400, code, parameter)
    assert error["taskType"] == "videoInference"
    assert error["taskUUID"] == task["taskUUID"]
    # A rejected task does not use up its UUID.
    assert post(client, video(taskUUID=task["taskUUID"])).status_code == 200


@pytest.mark.parametrize(
    ("model", "fields", "code", "parameter"),
    [
        ("klingai:5@3", {"duration": 8}, "invalidParameter", "duration"),
        ("klingai:5@3", {"width": 1280, "height": 720}, "invalidWidth", "width"),
        ("klingai:5@3", {"width": 1080, "height": 1080, "duration": 7.5}, "invalidParameter", "duration"),
        ("klingai:5@3", {"width": 1920, "height": 1920}, "invalidHeight", "height"),
        ("google:3@3", {"duration": 5}, "invalidParameter", "duration"),
        ("google:3@3", {"width": 1080, "height": 1080}, "invalidHeight", "height"),
        ("google:3@3", {"width": 1000, "height": 1080}, "invalidWidth", "width"),
        ("bytedance:1@1", {"width": 1920, "height": 1080}, "invalidWidth", "width"),
        ("runway:1@1", {"duration": 8}, "invalidParameter", "duration"),
        # Any other well-formed AIR: durations 1-20, multiples of 8 in 256-1920.
        ("acme:7@2", {"duration": 21}, "invalidParameter", "duration"),
        ("acme:7@2", {"duration": 0.5}, "invalidParameter", "duration"),
        ("acme:7@2", {"width": 1001, "height": 512}, "invalidWidth", "width"),
        ("acme:7@2", {"width": 512, "height": 248}, "invalidHeight", "height"),
        ("acme:7@2", {"width": 2048, "height": 512}, "invalidWidth", "width"),
    ],
)
def test_per_model_duration_and_size(client, model, fields, code, parameter):
    error = the_error(post(client, video(model=model, **fields)), 400, code, parameter)
    assert model in error["message"]


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        ("klingai:5@3", {"duration": 10, "width": 1080, "height": 1920}),
        ("klingai:5@3", {}),
        ("google:3@3", {"duration": 8, "width": 720, "height": 1280}),
        ("bytedance:1@1", {"duration": 5, "width": 640, "height": 640}),
        ("runway:1@1", {"duration": 10, "width": 1584, "height": 672}),
        ("acme:7@2", {"duration": 12.5, "width": 1016, "height": 264}),
    ],
)
def test_allowed_values_are_accepted(client, model, fields):
    task = video(model=model, **fields)
    assert post(client, task).json() == {
        "data": [{"taskType": "videoInference", "taskUUID": task["taskUUID"]}]
    }


def test_known_models_knob_applies_to_video(client, runware_sim):
    runware_sim.sim.settings.known_models = {"runware:101@1"}
    the_error(post(client, video()), 400, "invalidModel", "model")


def test_unknown_fields_only_rejected_with_the_knob(client, runware_sim):
    task = video(fancyField=1, frameImages=[{"inputImage": base64.b64encode(png_bytes()).decode()}])
    assert post(client, task).status_code == 200
    runware_sim.sim.settings.reject_unknown_fields = True
    the_error(post(client, video(fancyField=1)), 400, "unsupportedParameter", "fancyField")
    assert post(client, video(fps=24, providerSettings={"klingai": {}})).status_code == 200


# ---------------------------------------------------------------- frame images


def upload(client: httpx.Client, data: bytes) -> str:
    task = {"taskType": "imageUpload", "taskUUID": new_uuid(), "image": base64.b64encode(data).decode()}
    return post(client, task).json()["data"][0]["imageUUID"]


def test_flat_frame_images_all_reference_forms(client):
    uploaded = upload(client, png_bytes())
    raw = base64.b64encode(png_bytes(fmt="JPEG")).decode()
    data_uri = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()
    task = video(
        positivePrompt=None,  # optional with frame images
        frameImages=[
            {"inputImage": uploaded, "frame": "first"},
            {"inputImage": raw, "frame": 12},
            {"inputImage": data_uri, "frame": "last"},
            {"inputImage": "https://example.com/cat.png"},
        ],
    )
    [item] = finish(client, task)
    assert item["videoURL"].endswith(".mp4")


def test_nested_frame_images(client):
    uploaded = upload(client, png_bytes(fmt="WEBP"))
    task = video(
        positivePrompt=None,
        inputs={"frameImages": [{"image": uploaded, "frame": "first"}, {"image": uploaded, "frame": "last"}]},
    )
    assert len(finish(client, task)) == 1


@pytest.mark.parametrize(
    ("fields", "code", "parameter"),
    [
        ({"frameImages": [{"inputImage": "not an image"}]}, "invalidParameter", "frameImages[0].inputImage"),
        ({"frameImages": [{"inputImage": new_uuid()}]}, "invalidParameter", "frameImages[0].inputImage"),
        ({"frameImages": [{"image": "x"}]}, "missingParameter", "frameImages[0].inputImage"),
        ({"frameImages": [{"inputImage": "ftp://x/y.png"}]}, "invalidParameter", "frameImages[0].inputImage"),
        (
            {"frameImages": [{"inputImage": base64.b64encode(b"GIF89a....").decode()}]},
            "invalidParameter",
            "frameImages[0].inputImage",
        ),
        ({"frameImages": ["https://example.com/a.png"]}, "invalidParameter", "frameImages[0]"),
        ({"frameImages": []}, "invalidParameter", "frameImages"),
        (
            {"frameImages": [{"inputImage": "https://example.com/a.png", "frame": "middle"}]},
            "invalidParameter",
            "frameImages[0].frame",
        ),
        (
            {"frameImages": [{"inputImage": "https://example.com/a.png", "frame": -1}]},
            "invalidParameter",
            "frameImages[0].frame",
        ),
        (
            {"inputs": {"frameImages": [{"inputImage": "x"}]}},
            "missingParameter",
            "inputs.frameImages[0].image",
        ),
        (
            {"inputs": {"frameImages": [{"image": "https://example.com/a.png"}, {"image": "??"}]}},
            "invalidParameter",
            "inputs.frameImages[1].image",
        ),
        (
            {
                "frameImages": [{"inputImage": "https://example.com/a.png"}],
                "inputs": {"frameImages": [{"image": "https://example.com/a.png"}]},
            },
            "invalidParameter",
            "frameImages",
        ),
        ({"referenceImages": ["nope"]}, "invalidParameter", "referenceImages[0]"),
    ],
)
def test_bad_frame_images(client, fields, code, parameter):
    the_error(post(client, video(**fields)), 400, code, parameter)


def test_a_video_uuid_is_not_a_frame_image(client):
    [item] = finish(client, video())
    task = video(frameImages=[{"inputImage": item["videoUUID"]}])
    the_error(post(client, task), 400, "invalidParameter", "frameImages[0].inputImage")


def test_flat_form_rejected_for_new_models_knob(client, runware_sim):
    flat = [{"inputImage": "https://example.com/a.png", "frame": "first"}]
    runware_sim.sim.settings.flat_frames_rejected_models = {MODEL}
    error = the_error(post(client, video(frameImages=flat)), 400, "unsupportedParameter", "frameImages")
    assert "inputs.frameImages" in error["message"]
    nested = {"frameImages": [{"image": "https://example.com/a.png", "frame": "first"}]}
    assert post(client, video(inputs=nested)).status_code == 200
    assert post(client, video(model="acme:7@2", frameImages=flat)).status_code == 200


def test_settings_knobs_over_the_control_plane(client):
    patch = {"flat_frames_rejected_models": [MODEL], "video_polls_to_complete": 3, "video_padding_bytes": 64}
    got = client.patch("/__fake/settings", json=patch).json()
    assert got["flat_frames_rejected_models"] == [MODEL]
    assert got["video_polls_to_complete"] == 3 and got["video_padding_bytes"] == 64
    assert client.patch("/__fake/settings", json={"video_padding_bytes": 8}).status_code == 400
    assert client.patch("/__fake/settings", json={"video_polls_to_complete": None}).status_code == 200


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        (Fault(kind="task_error"), "inferenceError"),
        (Fault(kind="moderation"), "contentPolicyViolation"),
        (Fault(kind="task_error", task_type="videoInference", code="timeoutProvider"), "timeoutProvider"),
    ],
)
def test_registered_faults_fail_through_get_response(client, runware_sim, fault, code):
    runware_sim.sim.add_fault(fault)
    task = video()
    assert post(client, task).json()["data"][0]["taskUUID"] == task["taskUUID"]
    assert poll(client, task["taskUUID"]).json()["data"][0]["status"] == "processing"
    error = the_error(poll(client, task["taskUUID"]), 200, code)
    assert error["taskType"] == "videoInference"
    assert error["taskUUID"] == task["taskUUID"]


@pytest.mark.parametrize(
    ("marker", "code"),
    [
        ("[[sim:task_error]]", "inferenceError"),
        ("[[sim:moderation]]", "contentPolicyViolation"),
        ("[[sim:timeout]]", "timeoutProvider"),
    ],
)
def test_prompt_markers(client, runware_sim, marker, code):
    runware_sim.sim.settings.async_polls_to_complete = 0
    task = video(positivePrompt=f"a storm {marker}")
    post(client, task)
    error = the_error(poll(client, task["taskUUID"]), 200, code)
    assert error["taskType"] == "videoInference"


def test_http_error_marker(client):
    the_error(post(client, video(positivePrompt="busy [[sim:429]]")), 429, "rateLimitExceeded")


def test_error_item_form_knob(client, runware_sim):
    runware_sim.sim.settings.error_item_form = True
    runware_sim.sim.settings.async_polls_to_complete = 0
    task = video(positivePrompt="nope [[sim:moderation]]")
    post(client, task)
    body = poll(client, task["taskUUID"]).json()
    assert "errors" not in body
    [item] = body["data"]
    assert item["status"] == "error"
    assert item["taskType"] == "videoInference" and item["taskUUID"] == task["taskUUID"]
    assert item["error"]["code"] == "contentPolicyViolation" and item["error"]["message"]


def test_video_fault_does_not_touch_images(client, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="task_error", task_type="videoInference"))
    image = {"taskType": "imageInference", "taskUUID": new_uuid(), "model": "runware:101@1"}
    image.update(positivePrompt="a cat", width=128, height=128)
    assert post(client, image).json()["data"][0]["imageURL"]


# ---------------------------------------------------------------- media


@pytest.mark.parametrize(
    ("fields", "size", "seconds", "fps"),
    [
        ({}, (320, 192), 2, 12),  # the model's defaults
        ({"width": 192, "height": 320, "duration": 1, "fps": 24}, (192, 320), 1, 24),
    ],
)
def test_mp4_is_real_h264(client, fields, size, seconds, fps):
    [item] = finish(client, video(**fields))
    got = client.get(item["videoURL"])
    assert got.status_code == 200
    assert got.headers["content-type"] == "video/mp4"
    assert int(got.headers["content-length"]) == len(got.content)
    assert got.content[4:8] == b"ftyp"
    info = probe(got.content)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["size"] == size
    assert info["frames"] == seconds * fps
    assert info["duration"] == pytest.approx(seconds, abs=0.1)


def test_generic_model_video_has_the_requested_shape(client):
    [item] = finish(client, video(model="acme:7@2", width=256, height=264, duration=1.5))
    info = probe(client.get(item["videoURL"]).content)
    assert info["size"] == (256, 264)
    assert info["duration"] == pytest.approx(1.5, abs=0.1)


@pytest.mark.parametrize(
    ("output_format", "content_type", "ext", "codec", "magic"),
    [
        ("MOV", "video/quicktime", "mov", "h264", b"ftypqt  "),  # QuickTime brand at bytes 4-11
        ("WEBM", "video/webm", "webm", "vp9", b"\x1a\x45\xdf\xa3"),  # EBML header at byte 0
    ],
)
def test_other_containers(client, output_format, content_type, ext, codec, magic):
    [item] = finish(client, video(outputFormat=output_format, duration=1))
    assert item["videoURL"].endswith("." + ext)
    got = client.get(item["videoURL"])
    assert got.headers["content-type"] == content_type
    assert got.content[4:12] == magic if magic.startswith(b"ftyp") else got.content.startswith(magic)
    info = probe(got.content)
    assert (info["codec"], info["pix_fmt"], info["size"]) == (codec, "yuv420p", (320, 192))
    assert info["duration"] == pytest.approx(1, abs=0.1)


def test_head_matches_get(client):
    [item] = finish(client, video())
    got = client.get(item["videoURL"])
    head = client.head(item["videoURL"])
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "video/mp4"
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["accept-ranges"] == "bytes"


def test_media_kinds_do_not_cross_paths(client):
    [item] = finish(client, video())
    assert client.get(f"/image/ws/0.5/ii/{item['videoUUID']}.mp4").status_code == 404
    assert client.get(f"/video/ws/0.5/vi/{item['videoUUID']}.mov").status_code == 404
    assert client.get(f"/video/ws/0.5/vi/{new_uuid()}.mp4").status_code == 404


def ranged(client: httpx.Client, url: str, spec: str, method: str = "GET") -> httpx.Response:
    return client.request(method, url, headers={"Range": spec})


def test_range_requests_on_video(client):
    [item] = finish(client, video())
    url = item["videoURL"]
    full = client.get(url).content
    size = len(full)
    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=10-{size + 1000}": (10, size - 1),
        f"bytes=-{size * 2}": (0, size - 1),
        f"bytes={size - 1}-{size - 1}": (size - 1, size - 1),
    }
    for spec, (first, last) in cases.items():
        got = ranged(client, url, spec)
        assert got.status_code == 206, spec
        assert got.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert int(got.headers["content-length"]) == last - first + 1
        assert got.content == full[first : last + 1], spec
    head = ranged(client, url, "bytes=0-9", "HEAD")
    assert head.status_code == 206 and head.headers["content-length"] == "10" and head.content == b""


@pytest.mark.parametrize("spec_template", ["bytes={size}-", "bytes={size}-{end}", "bytes=-0"])
def test_unsatisfiable_range_is_416(client, spec_template):
    [item] = finish(client, video())
    size = len(client.get(item["videoURL"]).content)
    got = ranged(client, item["videoURL"], spec_template.format(size=size, end=size + 10))
    assert got.status_code == 416
    assert got.headers["content-range"] == f"bytes */{size}"


@pytest.mark.parametrize("spec", ["bytes=5-2", "items=0-3", "bytes=0-1,4-5", "garbage"])
def test_unusable_range_headers_serve_the_whole_file(client, spec):
    [item] = finish(client, video())
    full = client.get(item["videoURL"]).content
    got = ranged(client, item["videoURL"], spec)
    assert got.status_code == 200 and got.content == full and "content-range" not in got.headers


def test_range_requests_on_images(client):
    task = {"taskType": "imageInference", "taskUUID": new_uuid(), "model": "runware:101@1"}
    task.update(positivePrompt="a cat", width=128, height=128, outputFormat="PNG")
    url = post(client, task).json()["data"][0]["imageURL"]
    full = client.get(url).content
    got = ranged(client, url, "bytes=0-7")
    assert got.status_code == 206 and got.content == b"\x89PNG\r\n\x1a\n"
    assert got.headers["content-range"] == f"bytes 0-7/{len(full)}"
    assert got.headers["content-type"] == "image/png"
    assert ranged(client, url, "bytes=-4").content == full[-4:]
    bad = ranged(client, url, f"bytes={len(full)}-")
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{len(full)}"


def test_padding_makes_a_bigger_file_that_still_decodes(client, runware_sim):
    [plain] = finish(client, video(duration=1))
    base = client.get(plain["videoURL"]).content
    padding = 3 * 256 * 1024 + 123  # spans several streamed chunks
    runware_sim.sim.settings.video_padding_bytes = padding
    [padded] = finish(client, video(duration=1))
    head = client.head(padded["videoURL"])
    total = len(base) + padding
    assert int(head.headers["content-length"]) == total
    got = client.get(padded["videoURL"])
    assert len(got.content) == total
    assert got.content[: len(base)] == base
    assert got.content[len(base) + 4 : len(base) + 8] == b"free"
    info = probe(got.content)
    assert (info["codec"], info["size"], info["frames"]) == ("h264", (320, 192), 12)
    # Ranges across the data/padding boundary and deep inside the padding.
    edge = ranged(client, padded["videoURL"], f"bytes={len(base) - 4}-{len(base) + 19}")
    assert edge.status_code == 206 and edge.content == got.content[len(base) - 4 : len(base) + 20]
    tail = ranged(client, padded["videoURL"], "bytes=-1000")
    assert tail.content == bytes(1000)
    assert ranged(client, padded["videoURL"], f"bytes={total}-").status_code == 416
    # WEBM is never padded (a trailing MP4 box would not belong in a WebM file).
    [webm] = finish(client, video(duration=1, outputFormat="WEBM"))
    webm_bytes = client.get(webm["videoURL"]).content
    assert len(webm_bytes) < padding


@pytest.mark.parametrize("status", [404, 403])
def test_expired_video_urls(client, runware_sim, status):
    [item] = finish(client, video())
    runware_sim.sim.settings.urls_expired = True
    runware_sim.sim.settings.urls_expired_status = status
    assert client.get(item["videoURL"]).status_code == status
    assert client.head(item["videoURL"]).status_code == status
    assert ranged(client, item["videoURL"], "bytes=0-9").status_code == status


def test_video_urls_expire_on_schedule_for_good(client, runware_sim):
    runware_sim.sim.settings.urls_expire_after_seconds = 0.5
    runware_sim.sim.settings.urls_expired_status = 403
    [item] = finish(client, video())
    issued = time.monotonic()
    assert client.get(item["videoURL"]).status_code == 200
    time.sleep(max(0.0, issued + 0.6 - time.monotonic()))
    assert client.get(item["videoURL"]).status_code == 403
    [again] = poll(client, item["taskUUID"]).json()["data"]  # Runware gives the same, dead, URL
    assert again["videoURL"] == item["videoURL"]
    assert client.head(again["videoURL"]).status_code == 403


# ---------------------------------------------------------------- Range parsing (unit)


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-0", 10, (0, 0)),
        ("bytes=2-", 10, (2, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=-30", 10, (0, 9)),
        ("bytes=3-100", 10, (3, 9)),
        ("BYTES = 1 - 2", 10, (1, 2)),
        ("bytes=4-3", 10, None),
        ("bytes=-", 10, None),
        ("bytes=1-2,5-6", 10, None),
    ],
)
def test_parse_range(header, size, expected):
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(
    ("header", "size"),
    [("bytes=10-", 10), ("bytes=10-12", 10), ("bytes=-0", 10), ("bytes=0-", 0), ("bytes=-5", 0)],
)
def test_parse_range_unsatisfiable(header, size):
    with pytest.raises(Unsatisfiable):
        parse_range(header, size)
