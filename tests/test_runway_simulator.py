"""The Runway simulator over raw HTTP: auth, version, Zod validation, assets, lifecycle, faults, media."""

from __future__ import annotations

import base64
import io
import re
import struct
import time
from collections.abc import Iterator
from typing import Any

import av
import httpx
import pytest
from PIL import Image

from irisgate.simulators.runway import RunwayFault
from irisgate.simulators.runway.models import GEN4_RATIOS

from fixtures_runway_sim import RUNWAY_TEST_KEY, RunwaySimHandle

VERSION = "2024-11-06"
DOC_URL = "https://docs.dev.runwayml.com/api"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (48, 32)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buf, fmt)
    return buf.getvalue()


def data_uri(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


PNG_URI = data_uri(image_bytes())


@pytest.fixture
def client(runway_sim: RunwaySimHandle) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {runway_sim.api_key}", "X-Runway-Version": VERSION}
    with httpx.Client(base_url=runway_sim.url, headers=headers, timeout=30) as c:
        yield c


def i2v(**fields: Any) -> dict[str, Any]:
    body = {
        "model": "gen4_turbo",
        "promptImage": PNG_URI,
        "ratio": "1280:720",
        "duration": 5,
        "promptText": "a fox",
    }
    body.update(fields)
    return {k: v for k, v in body.items() if v is not None}


def create(client: httpx.Client, endpoint: str = "image_to_video", **fields: Any) -> dict[str, Any]:
    response = client.post(f"/v1/{endpoint}", json=i2v(**fields) if endpoint == "image_to_video" else fields)
    assert response.status_code == 200, response.text
    return response.json()


def poll_until_done(client: httpx.Client, task_id: str, limit: int = 20) -> list[dict[str, Any]]:
    seen = []
    for _ in range(limit):
        task = client.get(f"/v1/tasks/{task_id}").json()
        seen.append(task)
        if task["status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return seen
    raise AssertionError(f"task {task_id} never finished: {seen[-1]}")


def issues_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"error", "issues", "docUrl"}
    assert body["error"] == "Validation of body failed"
    assert body["docUrl"] == DOC_URL
    return body["issues"]


def one_issue(response: httpx.Response) -> dict[str, Any]:
    issues = issues_of(response)
    assert len(issues) == 1, issues
    return issues[0]


def error_of(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str) and body["error"]
    return body["error"]


# ------------------------------------------------------------------------------- auth and headers


def test_missing_or_unknown_key_is_401(runway_sim: RunwaySimHandle) -> None:
    with httpx.Client(base_url=runway_sim.url) as c:
        error_of(c.post("/v1/image_to_video", json=i2v(), headers={"X-Runway-Version": VERSION}), 401)
        wrong = {"Authorization": "Bearer key_" + "1" * 128, "X-Runway-Version": VERSION}
        error_of(c.post("/v1/image_to_video", json=i2v(), headers=wrong), 401)
        error_of(c.get("/v1/tasks/abc", headers=wrong), 401)
    assert runway_sim.sim.tasks() == []


def test_key_format_enforced_on_knob(runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.api_keys.add("short-key")
    try:
        headers = {"Authorization": "Bearer short-key", "X-Runway-Version": VERSION}
        with httpx.Client(base_url=runway_sim.url, headers=headers) as c:
            assert c.post("/v1/image_to_video", json=i2v()).status_code == 200
            runway_sim.sim.settings.enforce_key_format = True
            error_of(c.post("/v1/image_to_video", json=i2v()), 401)
    finally:
        runway_sim.sim.settings.api_keys.discard("short-key")


def test_version_header_required_and_checked(runway_sim: RunwaySimHandle) -> None:
    auth = {"Authorization": f"Bearer {RUNWAY_TEST_KEY}"}
    with httpx.Client(base_url=runway_sim.url, headers=auth) as c:
        assert "X-Runway-Version" in error_of(c.post("/v1/image_to_video", json=i2v()), 400)
        error_of(c.post("/v1/image_to_video", json=i2v(), headers={"X-Runway-Version": "2023-09-06"}), 400)
        runway_sim.sim.settings.allowed_versions.add("2023-09-06")
        assert c.post("/v1/image_to_video", json=i2v(), headers={"X-Runway-Version": "2023-09-06"}).is_success


def test_sdk_headers_are_ignored_and_requests_recorded(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    extra = {
        "X-Stainless-Lang": "python",
        "User-Agent": "RunwayML/Python 5.24.0",
        "Accept": "application/json",
    }
    created = client.post("/v1/image_to_video", json=i2v(), headers=extra).json()
    client.get("/__fake/requests")
    [recorded] = runway_sim.sim.requests
    assert (recorded.method, recorded.path) == ("POST", "/v1/image_to_video")
    assert recorded.headers["x-stainless-lang"] == "python"
    assert recorded.headers["x-runway-version"] == VERSION
    assert recorded.body == i2v()
    assert UUID4.match(created["id"])


# ------------------------------------------------------------------------------- Zod validation


def test_missing_model_gives_invalid_type_and_no_matching_discriminator(client: httpx.Client) -> None:
    assert issues_of(client.post("/v1/image_to_video", json={"promptImage": PNG_URI})) == [
        {
            "expected": "string",
            "code": "invalid_type",
            "path": ["model"],
            "message": "Invalid input: expected string, received undefined",
        },
        {
            "code": "invalid_union",
            "errors": [],
            "note": "No matching discriminator",
            "discriminator": "model",
            "path": ["model"],
            "message": "Invalid input",
        },
    ]


@pytest.mark.parametrize(
    ("endpoint", "model"),
    [("image_to_video", "gen5_ultra"), ("image_to_video", "gen4_image"), ("text_to_image", "gen4_turbo")],
)
def test_unknown_or_misplaced_model_gives_invalid_union(
    client: httpx.Client, endpoint: str, model: str
) -> None:
    issue = one_issue(client.post(f"/v1/{endpoint}", json={**i2v(), "model": model}))
    assert issue["code"] == "invalid_union"
    assert issue["note"] == "No matching discriminator"
    assert issue["path"] == ["model"]


def test_removed_models_knob(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    body = {"model": "veo3", "promptText": "waves", "ratio": "1280:720", "duration": 8}
    assert client.post("/v1/text_to_video", json=body).status_code == 200
    runway_sim.sim.settings.removed_models = {"veo3", "gen3a_turbo", "gen4_aleph"}
    assert one_issue(client.post("/v1/text_to_video", json=body))["code"] == "invalid_union"


def test_unavailable_model_is_403(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.unavailable_models = {"gen4_turbo"}
    assert (
        error_of(client.post("/v1/image_to_video", json=i2v()), 403)
        == "Model variant gen4_turbo is not available"
    )


def test_bad_ratio(client: httpx.Client) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(ratio="1920:1080")))
    expected = "Invalid option: expected one of " + "|".join(f"'{r}'" for r in GEN4_RATIOS)
    assert issue == {
        "code": "invalid_value",
        "values": list(GEN4_RATIOS),
        "path": ["ratio"],
        "message": expected,
    }


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"duration": 1}, "too_small", "Too small: expected number to be >=2"),
        ({"duration": 11}, "too_big", "Too big: expected number to be <=10"),
        ({"duration": 5.5}, "invalid_type", "Invalid input: expected int, received number"),
        ({"duration": "5"}, "invalid_type", "Invalid input: expected number, received string"),
        ({"model": "veo3.1", "duration": 5}, "invalid_value", "Invalid option: expected one of 4|6|8"),
        ({"model": "veo3", "duration": 6}, "invalid_value", "Invalid input: expected 8"),
        (
            {"model": "gen3a_turbo", "ratio": None, "duration": 7},
            "invalid_value",
            "Invalid option: expected one of 5|10",
        ),
    ],
)
def test_bad_duration_per_model(
    client: httpx.Client, fields: dict[str, Any], code: str, message: str
) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(**fields)))
    assert (issue["code"], issue["path"], issue["message"]) == (code, ["duration"], message)


def test_number_bounds_carry_zod_fields(client: httpx.Client) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(duration=11)))
    assert issue == {
        "origin": "number",
        "code": "too_big",
        "maximum": 10,
        "type": "number",
        "inclusive": True,
        "path": ["duration"],
        "message": "Too big: expected number to be <=10",
    }


@pytest.mark.parametrize(
    ("endpoint", "body", "missing"),
    [
        ("text_to_video", {"model": "gen4.5", "ratio": "1280:720"}, [["promptText"], ["duration"]]),
        ("image_to_video", {"model": "gen3a_turbo", "promptImage": PNG_URI}, [["promptText"]]),
        ("video_to_video", {"model": "gen4_aleph", "videoUri": "http://127.0.0.1/v.mp4"}, [["promptText"]]),
        (
            "text_to_image",
            {"model": "gen4_image_turbo", "promptText": "x", "ratio": "1024:1024"},
            [["referenceImages"]],
        ),
    ],
)
def test_missing_required_fields(client: httpx.Client, endpoint: str, body: dict, missing: list) -> None:
    issues = issues_of(client.post(f"/v1/{endpoint}", json=body))
    assert sorted(i["path"] for i in issues) == sorted(missing)
    for issue in issues:
        assert issue["code"] == "invalid_type"
        assert issue["message"].endswith("received undefined")


def test_missing_prompt_image_is_a_union_issue(client: httpx.Client) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(promptImage=None)))
    assert (issue["code"], issue["path"]) == ("invalid_union", ["promptImage"])
    assert [alt[0]["expected"] for alt in issue["errors"]] == ["string", "array"]


@pytest.mark.parametrize(
    ("prompt", "code"),
    [("", "too_small"), ("a" * 1001, "too_big"), ("\U0001f98a" * 501, "too_big")],
)
def test_prompt_text_length_in_utf16_units(client: httpx.Client, prompt: str, code: str) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(promptText=prompt)))
    assert (issue["code"], issue["path"], issue["origin"]) == (code, ["promptText"], "string")


def test_prompt_text_limits_accept_the_edges(client: httpx.Client) -> None:
    for prompt in ("a" * 1000, "\U0001f98a" * 500):
        assert client.post("/v1/image_to_video", json=i2v(promptText=prompt)).status_code == 200


@pytest.mark.parametrize(
    ("seed", "code"), [(-1, "too_small"), (4294967296, "too_big"), ("1", "invalid_type")]
)
def test_seed_range(client: httpx.Client, seed: Any, code: str) -> None:
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(seed=seed)))
    assert (issue["code"], issue["path"]) == (code, ["seed"])
    assert client.post("/v1/image_to_video", json=i2v(seed=4294967295)).status_code == 200


def test_content_moderation_threshold(client: httpx.Client) -> None:
    bad = one_issue(
        client.post("/v1/image_to_video", json=i2v(contentModeration={"publicFigureThreshold": "high"}))
    )
    assert bad["path"] == ["contentModeration", "publicFigureThreshold"]
    assert bad["message"] == "Invalid option: expected one of 'auto'|'low'"
    ok = i2v(contentModeration={"publicFigureThreshold": "low"})
    assert client.post("/v1/image_to_video", json=ok).status_code == 200


def frames(*positions: str) -> list[dict[str, str]]:
    return [{"uri": PNG_URI, "position": p} for p in positions]


@pytest.mark.parametrize(
    ("model", "positions", "ok"),
    [
        ("gen4_turbo", ("first",), True),
        ("gen4_turbo", ("last",), False),
        ("gen4.5", ("first", "last"), False),
        ("gen3a_turbo", ("last",), True),
        ("gen3a_turbo", ("first", "last"), True),
        ("veo3.1", ("first", "last"), True),
        ("veo3.1", ("last",), False),
        ("veo3.1", ("first", "first"), False),
        ("veo3.1_fast", ("last", "first"), True),
    ],
)
def test_prompt_image_positions(
    client: httpx.Client, model: str, positions: tuple[str, ...], ok: bool
) -> None:
    ratio = {"gen3a_turbo": "1280:768"}.get(model, "1280:720")
    duration = {"gen3a_turbo": 5, "veo3.1": 4, "veo3.1_fast": 4}.get(model, 5)
    body = i2v(model=model, promptImage=frames(*positions), ratio=ratio, duration=duration)
    response = client.post("/v1/image_to_video", json=body)
    if ok:
        assert response.status_code == 200, response.text
    else:
        assert {i["path"][0] for i in issues_of(response)} == {"promptImage"}


def test_duplicate_positions_named(client: httpx.Client) -> None:
    body = i2v(model="veo3.1", promptImage=frames("first", "first"), duration=4)
    issue = one_issue(client.post("/v1/image_to_video", json=body))
    assert issue["code"] == "custom" and "Duplicate position 'first'" in issue["message"]


def test_extra_fields_accepted_unless_strict(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    assert client.post("/v1/image_to_video", json=i2v(colour="blue")).status_code == 200
    runway_sim.sim.settings.strict_fields = True
    issue = one_issue(client.post("/v1/image_to_video", json=i2v(colour="blue")))
    assert issue == {
        "code": "unrecognized_keys",
        "keys": ["colour"],
        "path": [],
        "message": "Unrecognized key: 'colour'",
    }


def test_body_must_be_a_json_object(client: httpx.Client) -> None:
    error_of(
        client.post("/v1/image_to_video", content=b"{nope", headers={"content-type": "application/json"}), 400
    )
    assert one_issue(client.post("/v1/image_to_video", json=[1]))["message"].endswith("received array")


# ------------------------------------------------------------------------------- assets


@pytest.mark.parametrize(
    ("prompt_image", "reason"),
    [
        ("http://example.com/cat.png", "Only HTTPS URLs are allowed."),
        ("https://203.0.113.9/cat.png", "URLs must be hosted on a domain."),
        ("ftp://example.com/cat.png", "Invalid URL"),
        ("data:;base64,iVBORw0KGgo=", "Invalid data URI."),
        ("data:image/png,rawtext", "Invalid data URI."),
        ("data:image/png;base64,***", "Invalid data URI."),
        (data_uri(b"hello", "text/plain"), "Unsupported asset type."),
        (data_uri(image_bytes("GIF"), "image/gif"), "Unsupported asset type."),
        (data_uri(image_bytes("GIF"), "image/png"), "Unsupported asset type."),
    ],
)
def test_asset_checks(
    client: httpx.Client, runway_sim: RunwaySimHandle, prompt_image: str, reason: str
) -> None:
    runway_sim.sim.settings.https_only_inputs = True
    message = error_of(client.post("/v1/image_to_video", json=i2v(promptImage=prompt_image)), 400)
    assert message == f"promptImage: {reason}"


def test_asset_errors_name_the_array_field(client: httpx.Client) -> None:
    body = i2v(
        model="veo3.1",
        duration=4,
        promptImage=[{"uri": PNG_URI, "position": "first"}, {"uri": "data:;base64,AA==", "position": "last"}],
    )
    assert (
        error_of(client.post("/v1/image_to_video", json=body), 400) == "promptImage[1].uri: Invalid data URI."
    )


def test_data_uri_size_limit_counts_encoded_length(client: httpx.Client) -> None:
    png = image_bytes()
    limit = 5 * 1024 * 1024
    prefix = "data:image/png;base64,"
    at_limit = prefix + base64.b64encode(png + b"\0" * ((limit - len(prefix)) // 4 * 3 - len(png))).decode()
    assert limit - 4 < len(at_limit) <= limit
    assert client.post("/v1/image_to_video", json=i2v(promptImage=at_limit)).status_code == 200
    over = prefix + base64.b64encode(png + b"\0" * (limit * 3 // 4)).decode()
    assert "too large" in error_of(client.post("/v1/image_to_video", json=i2v(promptImage=over)), 400)


def test_http_inputs_allowed_when_knob_off(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    body = i2v(promptImage="http://127.0.0.1:9/cat.png")
    assert client.post("/v1/image_to_video", json=body).status_code == 200
    runway_sim.sim.settings.https_only_inputs = True
    assert (
        error_of(client.post("/v1/image_to_video", json=body), 400)
        == "promptImage: Only HTTPS URLs are allowed."
    )


def test_fetch_url_inputs(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    image = create(client, "text_to_image", model="gen4_image", promptText="a cat", ratio="720:720")
    url = poll_until_done(client, image["id"])[-1]["output"][0]
    runway_sim.sim.settings.fetch_url_inputs = True
    assert client.post("/v1/image_to_video", json=i2v(promptImage=url)).status_code == 200
    methods = [(r.method, r.path.split("/")[1]) for r in runway_sim.sim.requests[-2:]]
    assert methods == [("HEAD", "cdn"), ("GET", "cdn")]
    missing = error_of(client.post("/v1/image_to_video", json=i2v(promptImage=url + "x")), 400)
    assert missing == "promptImage: Failed to fetch asset. Received HTTP response code 403."
    wrong_type = f"{runway_sim.url}/__fake/settings"
    assert error_of(client.post("/v1/image_to_video", json=i2v(promptImage=wrong_type)), 400).endswith(
        "Unsupported asset type."
    )


# ------------------------------------------------------------------------------- endpoints and costs


V2V_URL = "https://example.com/a.mp4"
REF = [{"uri": PNG_URI, "tag": "cat"}]

# (endpoint, body, credits, output size, seconds; 0 = an image)
HAPPY = [
    ("image_to_video", i2v(), 25, (1280, 720), 5),
    ("image_to_video", i2v(duration=None, ratio="960:960"), 50, (960, 960), 10),
    ("image_to_video", i2v(model="gen4.5", duration=10, ratio="1584:672"), 120, (1584, 672), 10),
    ("image_to_video", i2v(model="gen3a_turbo", ratio="768:1280", duration=5), 25, (768, 1280), 5),
    ("image_to_video", i2v(model="veo3", ratio="1920:1080", duration=8), 320, (1920, 1080), 8),
    ("image_to_video", i2v(model="veo3.1", ratio="720:1280", duration=4), 160, (720, 1280), 4),
    ("image_to_video", i2v(model="veo3.1_fast", duration=None, audio=False), 80, (1280, 720), 8),
    (
        "text_to_video",
        {"model": "gen4.5", "promptText": "x", "ratio": "720:1280", "duration": 2},
        24,
        (720, 1280),
        2,
    ),
    (
        "text_to_video",
        {"model": "veo3", "promptText": "x", "ratio": "1280:720", "duration": 8},
        320,
        (1280, 720),
        8,
    ),
    (
        "text_to_video",
        {"model": "veo3.1", "promptText": "x", "ratio": "1080:1920", "audio": False},
        160,
        (1080, 1920),
        8,
    ),
    (
        "text_to_video",
        {"model": "veo3.1_fast", "promptText": "x", "ratio": "1280:720", "duration": 6},
        90,
        (1280, 720),
        6,
    ),
    (
        "video_to_video",
        {
            "model": "gen4_aleph",
            "promptText": "x",
            "videoUri": V2V_URL,
            "ratio": "848:480",
            "references": [{"type": "image", "uri": PNG_URI}],
        },
        75,
        (848, 480),
        5,
    ),
    (
        "video_to_video",
        {"model": "aleph2", "videoUri": V2V_URL, "targetAspectRatio": "1:1"},
        75,
        (1280, 720),
        5,
    ),
    ("text_to_image", {"model": "gen4_image", "promptText": "x", "ratio": "1360:768"}, 8, (1360, 768), 0),
    (
        "text_to_image",
        {"model": "gen4_image", "promptText": "x", "ratio": "1280:720", "referenceImages": REF},
        5,
        (1280, 720),
        0,
    ),
    (
        "text_to_image",
        {"model": "gen4_image_turbo", "promptText": "@cat x", "ratio": "1024:1024", "referenceImages": REF},
        2,
        (1024, 1024),
        0,
    ),
]


@pytest.mark.parametrize(("endpoint", "body", "credits", "size", "seconds"), HAPPY)
def test_each_endpoint_and_model(
    client: httpx.Client,
    runway_sim: RunwaySimHandle,
    endpoint: str,
    body: dict,
    credits: int,
    size: tuple[int, int],
    seconds: int,
) -> None:
    runway_sim.sim.settings.polls_per_state = 0
    response = client.post(f"/v1/{endpoint}", json=body)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created == {"id": created["id"], "estimatedCost": {"credits": credits}}
    done = client.get(f"/v1/tasks/{created['id']}").json()
    assert done["status"] == "SUCCEEDED" and done["cost"] == {"credits": credits}
    [url] = done["output"]
    extension = "mp4" if seconds else "png"
    assert re.search(rf"/cdn/{created['id']}/[0-9a-f-]{{36}}\.{extension}\?_jwt=[\w.-]+$", url)
    head = httpx.head(url)
    assert head.status_code == 200
    assert head.headers["content-type"] == ("video/mp4" if seconds else "image/png")
    if not seconds:
        with Image.open(io.BytesIO(httpx.get(url).content)) as img:
            assert (img.format, img.size) == ("PNG", size)
    else:
        assert probe_video(httpx.get(url).content) == (
            "h264",
            "yuv420p",
            size,
            pytest.approx(seconds, abs=0.1),
        )


def probe_video(data: bytes) -> tuple[str, str, tuple[int, int], float]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(stream))
        seconds = decoded / float(stream.average_rate)
        return stream.codec_context.name, stream.codec_context.pix_fmt, (stream.width, stream.height), seconds


def test_legacy_create_response(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.legacy_create_response = True
    created = client.post("/v1/image_to_video", json=i2v()).json()
    assert list(created) == ["id"]


# ------------------------------------------------------------------------------- lifecycle


def test_poll_driven_lifecycle_and_task_shapes(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.running_polls = 3
    task_id = create(client)["id"]
    seen = poll_until_done(client, task_id)
    assert [t["status"] for t in seen] == ["PENDING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"]
    assert [t.get("progress") for t in seen] == [None, 0.25, 0.5, 0.75, None]
    assert len({t["createdAt"] for t in seen}) == 1 and ISO_MS.match(seen[0]["createdAt"])
    for task in seen[:-1]:
        assert set(task) <= {"id", "status", "createdAt", "progress", "estimatedCost"}
        assert task["estimatedCost"] == {"credits": 25}
    assert set(seen[-1]) == {"id", "status", "createdAt", "output", "cost"}
    assert seen[-1]["cost"] == {"credits": 25}
    assert client.get(f"/v1/tasks/{task_id}").json() == seen[-1]  # terminal objects are stable
    assert runway_sim.sim.tasks() == [seen[-1]]


def test_zero_polls_per_state_finishes_at_first_get(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    runway_sim.sim.settings.polls_per_state = 0
    task_id = create(client)["id"]
    assert runway_sim.sim.tasks()[0]["status"] == "PENDING"  # nothing polled yet
    assert client.get(f"/v1/tasks/{task_id}").json()["status"] == "SUCCEEDED"


def test_time_driven_lifecycle(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.delay_seconds = 3600
    slow = create(client)["id"]
    assert [client.get(f"/v1/tasks/{slow}").json()["status"] for _ in range(5)] == ["PENDING"] * 5
    runway_sim.sim.settings.delay_seconds = 0
    assert client.get(f"/v1/tasks/{slow}").json()["status"] == "SUCCEEDED"


def test_time_driven_tasks_advance_with_nobody_asking(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    """As the real API: a task's state is a matter of time, not of polls (the first GET can be the
    terminal one), and a throttled task starts when a slot frees, asked or not."""
    runway_sim.sim.settings.delay_seconds = 0.4
    runway_sim.sim.settings.max_concurrent = 1
    started = time.monotonic()
    first, second, third = (create(client)["id"] for _ in range(3))
    assert [t["status"] for t in runway_sim.sim.tasks()] == ["PENDING", "THROTTLED", "THROTTLED"]
    time.sleep(max(0.0, started + 0.6 - time.monotonic()))  # the first ended, the second runs
    assert client.get(f"/v1/tasks/{second}").json()["status"] == "RUNNING"
    time.sleep(max(0.0, started + 1.4 - time.monotonic()))  # three turns of 0.4 s: all ended
    assert [client.get(f"/v1/tasks/{task}").json()["status"] for task in (first, second, third)] == [
        "SUCCEEDED"
    ] * 3


def test_throttled_beyond_max_concurrent(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.max_concurrent = 1
    first, second, third = (create(client)["id"] for _ in range(3))
    assert [t["status"] for t in runway_sim.sim.tasks()] == ["PENDING", "THROTTLED", "THROTTLED"]
    throttled = client.get(f"/v1/tasks/{second}").json()
    assert (
        set(throttled) == {"id", "status", "createdAt", "estimatedCost"}
        and throttled["status"] == "THROTTLED"
    )
    assert client.get(f"/v1/tasks/{second}").json()["status"] == "THROTTLED"  # polling does not start it
    poll_until_done(client, first)
    assert [t["status"] for t in runway_sim.sim.tasks()] == ["SUCCEEDED", "PENDING", "THROTTLED"]
    assert client.delete(f"/v1/tasks/{second}").status_code == 204  # cancelling frees the slot too
    assert client.get(f"/v1/tasks/{third}").json()["status"] == "PENDING"
    assert poll_until_done(client, third)[-1]["status"] == "SUCCEEDED"


def test_delete_cancels_then_404(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    task_id = create(client)["id"]
    client.get(f"/v1/tasks/{task_id}")
    deleted = client.delete(f"/v1/tasks/{task_id}")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert error_of(client.get(f"/v1/tasks/{task_id}"), 404) == "Could not find Task"
    assert error_of(client.delete(f"/v1/tasks/{task_id}"), 404) == "Could not find Task"
    assert runway_sim.sim.tasks()[0]["status"] == "CANCELLED"
    assert runway_sim.sim.tasks()[0]["cost"] == {"credits": 0}
    done = create(client)["id"]
    poll_until_done(client, done)
    assert client.delete(f"/v1/tasks/{done}").status_code == 204  # finished tasks are deleted as well
    assert runway_sim.sim.tasks()[1]["status"] == "SUCCEEDED"


def test_unknown_task_and_other_keys_tasks_are_404(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    assert (
        error_of(client.get("/v1/tasks/00000000-0000-4000-8000-000000000000"), 404) == "Could not find Task"
    )
    task_id = create(client)["id"]
    other = "key_" + "a" * 128
    runway_sim.sim.settings.api_keys.add(other)
    try:
        headers = {"Authorization": f"Bearer {other}"}
        error_of(client.get(f"/v1/tasks/{task_id}", headers=headers), 404)
    finally:
        runway_sim.sim.settings.api_keys.discard(other)


# ------------------------------------------------------------------------------- quotas and faults


def test_daily_limit_429_with_retry_headers(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    settings = runway_sim.sim.settings
    settings.daily_limit, settings.retry_after_seconds, settings.should_retry_header = 1, 2, "false"
    create(client)
    response = client.post("/v1/image_to_video", json=i2v())
    assert "daily" in error_of(response, 429)
    assert response.headers["retry-after"] == "2"
    assert response.headers["retry-after-ms"] == "2000"
    assert response.headers["x-should-retry"] == "false"
    assert len(runway_sim.sim.tasks()) == 1


def test_http_error_fault_matching_and_times(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    sim = runway_sim.sim
    sim.add_fault(RunwayFault(kind="http_error", status=503, model="veo3.1", times=1))
    assert client.post("/v1/image_to_video", json=i2v()).status_code == 200  # other model
    veo = i2v(model="veo3.1", duration=4)
    assert error_of(client.post("/v1/image_to_video", json=veo), 503)
    assert client.post("/v1/image_to_video", json=veo).status_code == 200  # used up
    sim.add_fault(RunwayFault(kind="http_error", status=500, path="/v1/tasks", message="boom"))
    task_id = create(client)["id"]
    assert error_of(client.get(f"/v1/tasks/{task_id}"), 500) == "boom"
    sim.clear_faults()
    sim.add_fault(RunwayFault(kind="http_error", status=429, prompt_contains="tiger"))
    assert client.post("/v1/image_to_video", json=i2v(promptText="a tiger")).status_code == 429
    assert client.post("/v1/image_to_video", json=i2v(promptText="a lion")).status_code == 200


@pytest.mark.parametrize(
    ("marker", "status", "failure_code"),
    [
        ("[[sim:task_failure]]", "FAILED", "INTERNAL.BAD_OUTPUT.CODE01"),
        ("[[sim:moderation]]", "FAILED", "SAFETY.INPUT.TEXT"),
        ("[[sim:cancelled]]", "CANCELLED", None),
    ],
)
def test_task_outcome_markers(
    client: httpx.Client, marker: str, status: str, failure_code: str | None
) -> None:
    task_id = create(client, promptText=f"a fox {marker}")["id"]
    final = poll_until_done(client, task_id)[-1]
    assert final["status"] == status
    assert final["cost"] == {"credits": 0}
    assert final.get("failureCode") == failure_code
    assert ("failure" in final) == (status == "FAILED")
    assert "output" not in final and "estimatedCost" not in final


def test_task_faults_registered(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.add_fault(
        RunwayFault(kind="task_failure", failure_code="ASSET.INVALID", message="bad", times=1)
    )
    failed = poll_until_done(client, create(client)["id"])[-1]
    assert (failed["status"], failed["failure"], failed["failureCode"]) == ("FAILED", "bad", "ASSET.INVALID")
    assert poll_until_done(client, create(client)["id"])[-1]["status"] == "SUCCEEDED"


def test_http_and_slow_markers(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    assert error_of(client.post("/v1/image_to_video", json=i2v(promptText="x [[sim:429]]")), 429)
    assert error_of(client.post("/v1/image_to_video", json=i2v(promptText="x [[sim:500]]")), 500)
    assert client.post("/v1/image_to_video", json=i2v(promptText="x [[sim:slow=0.01]]")).status_code == 200
    runway_sim.sim.add_fault(RunwayFault(kind="slow_ack", delay_seconds=0.01, times=1))
    assert client.post("/v1/image_to_video", json=i2v()).status_code == 200
    assert runway_sim.sim.faults.snapshot() == []
    assert len(runway_sim.sim.tasks()) == 2


def is_json(response: httpx.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


CONNECTION_DROPPED = (httpx.ReadError, httpx.RemoteProtocolError)


def test_garbage_fault_on_create_creates_the_task_but_garbles_the_answer(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    runway_sim.sim.add_fault(RunwayFault(kind="garbage", path="/v1/image_to_video", times=1))
    response = client.post("/v1/image_to_video", json=i2v())
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert not is_json(response)
    assert len(runway_sim.sim.tasks()) == 1
    assert client.post("/v1/image_to_video", json=i2v()).json()["id"]
    sim_fault = RunwayFault(kind="garbage", status=502, message="<html>bad gateway</html>", path="/v1/tasks")
    runway_sim.sim.add_fault(sim_fault)
    polled = client.get(f"/v1/tasks/{runway_sim.sim.tasks()[0]['id']}")
    assert (polled.status_code, polled.text) == (502, "<html>bad gateway</html>")


def test_reset_fault_drops_the_connection(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    task_id = create(client)["id"]
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path="/v1/tasks", times=1))
    with pytest.raises(CONNECTION_DROPPED):
        client.get(f"/v1/tasks/{task_id}")
    assert client.get(f"/v1/tasks/{task_id}").status_code == 200
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path="/v1/image_to_video", times=1))
    with pytest.raises(CONNECTION_DROPPED):
        client.post("/v1/image_to_video", json=i2v())
    assert len(runway_sim.sim.tasks()) == 2  # the create went through; only its answer was lost
    assert runway_sim.sim.faults.snapshot() == []


def test_reset_fault_on_an_output_download(
    client: httpx.Client, runway_sim: RunwaySimHandle, video_url: str
) -> None:
    runway_sim.sim.add_fault(RunwayFault(kind="reset", path="/cdn", times=1))
    with pytest.raises(CONNECTION_DROPPED):
        httpx.get(video_url)
    assert httpx.get(video_url).content[4:8] == b"ftyp"


def test_garbage_and_reset_markers(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    garbage = client.post("/v1/image_to_video", json=i2v(promptText="x [[sim:garbage]]"))
    assert garbage.status_code == 200 and not is_json(garbage)
    with pytest.raises(CONNECTION_DROPPED):
        client.post("/v1/image_to_video", json=i2v(promptText="x [[sim:reset]]"))
    assert len(runway_sim.sim.tasks()) == 2


def poll_statuses_with_chance(client: httpx.Client, runway_sim: RunwaySimHandle, seed: int) -> list[int]:
    runway_sim.sim.reset()
    task_id = create(client)["id"]
    runway_sim.sim.settings.fault_seed = seed
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=503, path="/v1/tasks", chance=0.3))
    return [client.get(f"/v1/tasks/{task_id}").status_code for _ in range(40)]


def test_chance_hits_a_fraction_reproducibly_with_a_seed(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    first = poll_statuses_with_chance(client, runway_sim, seed=11)
    assert set(first) == {200, 503} and 3 <= first.count(503) <= 25
    assert poll_statuses_with_chance(client, runway_sim, seed=11) == first
    assert poll_statuses_with_chance(client, runway_sim, seed=12) != first


def test_times_counts_only_actual_hits(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.fault_seed = 5
    runway_sim.sim.add_fault(RunwayFault(kind="task_failure", chance=0.5, times=2))
    outcomes = [poll_until_done(client, create(client)["id"])[-1]["status"] for _ in range(16)]
    assert outcomes.count("FAILED") == 2
    assert runway_sim.sim.faults.snapshot() == []


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "garbage", "chance": 0},
        {"kind": "reset", "chance": -0.5},
        {"kind": "reset", "status": 502},
        {"kind": "garbage", "status": 200},
    ],
)
def test_new_fault_fields_are_checked(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        RunwayFault(**fields)


# ------------------------------------------------------------------------------- media


@pytest.fixture
def video_url(client: httpx.Client, runway_sim: RunwaySimHandle) -> str:
    runway_sim.sim.settings.polls_per_state = 0
    task_id = create(client, duration=2)["id"]
    return client.get(f"/v1/tasks/{task_id}").json()["output"][0]


def test_head_and_get_agree(video_url: str) -> None:
    head, get = httpx.head(video_url), httpx.get(video_url)
    assert head.status_code == get.status_code == 200
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))
    assert head.headers["accept-ranges"] == "bytes" and head.content == b""
    assert get.content[4:8] == b"ftyp"


def test_ranges(video_url: str) -> None:
    full = httpx.get(video_url).content
    size = len(full)
    for header, first, last in [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, size - 1),
        ("bytes=-50", size - 50, size - 1),
    ]:
        part = httpx.get(video_url, headers={"Range": header})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert part.content == full[first : last + 1]
    beyond = httpx.get(video_url, headers={"Range": f"bytes={size}-"})
    assert (beyond.status_code, beyond.headers["content-range"]) == (416, f"bytes */{size}")


def test_padding_makes_a_larger_valid_file(
    client: httpx.Client, runway_sim: RunwaySimHandle, video_url: str
) -> None:
    plain = httpx.get(video_url).content
    runway_sim.sim.settings.video_padding_bytes = 3_000_000
    padded = httpx.get(video_url)
    assert int(padded.headers["content-length"]) == len(padded.content) == len(plain) + 3_000_000
    assert padded.content.startswith(plain)
    assert struct.unpack(">I4sQ", padded.content[len(plain) : len(plain) + 16]) == (1, b"free", 3_000_000)
    assert probe_video(padded.content)[2] == (1280, 720)
    tail = httpx.get(video_url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.content == b"\0" * 10


def test_urls_expire_on_schedule_and_a_fresh_fetch_signs_new_ones(
    client: httpx.Client, runway_sim: RunwaySimHandle
) -> None:
    runway_sim.sim.settings.polls_per_state = 0
    runway_sim.sim.settings.urls_expire_after_seconds = 0.5
    task_id = create(client, duration=2)["id"]
    issued = time.monotonic()
    [url] = client.get(f"/v1/tasks/{task_id}").json()["output"]
    assert httpx.get(url).status_code == 200
    time.sleep(max(0.0, issued + 0.6 - time.monotonic()))
    expired = httpx.get(url)
    assert expired.status_code == 403 and b"AccessDenied" in expired.content
    assert httpx.head(url).status_code == 403
    [fresh] = client.get(f"/v1/tasks/{task_id}").json()["output"]  # the task again: a new signature
    assert fresh != url and httpx.get(fresh).content[4:8] == b"ftyp"


def test_expired_and_tampered_urls_are_403(runway_sim: RunwaySimHandle, video_url: str) -> None:
    tampered = httpx.get(video_url.split("?_jwt=")[0] + "?_jwt=forged")
    assert tampered.status_code == 403 and b"AccessDenied" in tampered.content
    assert httpx.get(video_url.split("?")[0]).status_code == 403
    runway_sim.sim.settings.urls_expired = True
    expired = httpx.get(video_url)
    assert expired.status_code == 403 and expired.headers["content-type"].startswith("application/xml")


# ------------------------------------------------------------------------------- uploads


def upload(client: httpx.Client, filename: str, data: bytes) -> str:
    started = client.post("/v1/uploads", json={"filename": filename, "type": "ephemeral"})
    assert started.status_code == 200, started.text
    body = started.json()
    assert set(body) == {"uploadUrl", "fields", "runwayUri"} and body["runwayUri"].startswith("runway://")
    posted = httpx.post(body["uploadUrl"], data=body["fields"], files={"file": (filename, data)})
    assert posted.status_code == 204, posted.text
    return body["runwayUri"]


def test_uploads_flow(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    image_uri = upload(client, "cat.png", image_bytes())
    assert client.post("/v1/image_to_video", json=i2v(promptImage=image_uri)).status_code == 200
    video_uri = upload(client, "clip.mp4", httpx.get(video_url_for(client, runway_sim)).content)
    v2v = {"model": "gen4_aleph", "promptText": "x", "videoUri": video_uri}
    assert client.post("/v1/video_to_video", json=v2v).status_code == 200
    wrong_kind = error_of(client.post("/v1/image_to_video", json=i2v(promptImage=video_uri)), 400)
    assert wrong_kind == "promptImage: Unsupported asset type."
    unknown = error_of(client.post("/v1/image_to_video", json=i2v(promptImage="runway://nope")), 400)
    assert unknown.startswith("promptImage: Invalid runway:// URI")
    runway_sim.sim.settings.uploads_expired = True
    assert "expired" in error_of(client.post("/v1/image_to_video", json=i2v(promptImage=image_uri)), 400)


def video_url_for(client: httpx.Client, runway_sim: RunwaySimHandle) -> str:
    runway_sim.sim.settings.polls_per_state = 0
    task_id = create(client, duration=2)["id"]
    return client.get(f"/v1/tasks/{task_id}").json()["output"][0]


def test_upload_errors(client: httpx.Client) -> None:
    assert one_issue(client.post("/v1/uploads", json={"type": "ephemeral"}))["path"] == ["filename"]
    started = client.post("/v1/uploads", json={"filename": "a.png", "type": "ephemeral"}).json()
    forged = httpx.post(started["uploadUrl"], data={"key": "other"}, files={"file": ("a.png", image_bytes())})
    assert forged.status_code == 403 and b"AccessDenied" in forged.content
    never_uploaded = error_of(
        client.post("/v1/image_to_video", json=i2v(promptImage=started["runwayUri"])), 400
    )
    assert never_uploaded.startswith("promptImage: Invalid runway:// URI")


# ------------------------------------------------------------------------------- routing and control


def test_unknown_path_404_and_wrong_method_405(client: httpx.Client) -> None:
    assert error_of(client.get("/v1/nothing"), 404)
    wrong = client.get("/v1/image_to_video")
    assert error_of(wrong, 405) and wrong.headers["allow"] == "POST"
    assert error_of(client.put("/v1/tasks/abc"), 405)


def test_control_plane(client: httpx.Client, runway_sim: RunwaySimHandle) -> None:
    create(client)
    assert [r["path"] for r in client.get("/__fake/requests").json()] == ["/v1/image_to_video"]
    assert client.get("/__fake/tasks").json()[0]["status"] == "PENDING"
    assert client.post("/__fake/faults", json={"kind": "cancelled", "times": 1}).status_code == 201
    assert client.post("/__fake/faults", json={"kind": "explode"}).status_code == 400
    assert [f["kind"] for f in client.get("/__fake/faults").json()] == ["cancelled"]
    patched = client.patch("/__fake/settings", json={"polls_per_state": 0, "removed_models": ["veo3"]})
    assert patched.json()["removed_models"] == ["veo3"] and runway_sim.sim.settings.polls_per_state == 0
    assert client.patch("/__fake/settings", json={"video_padding_bytes": 3}).status_code == 400
    assert client.patch("/__fake/settings", json={"urls_expired": "yes"}).status_code == 400
    assert client.post("/__fake/reset").status_code == 204
    assert runway_sim.sim.settings.polls_per_state == 1 and runway_sim.sim.tasks() == []
    assert client.get("/__fake/faults").json() == [] and runway_sim.sim.requests == []
    assert RUNWAY_TEST_KEY in runway_sim.sim.settings.api_keys
