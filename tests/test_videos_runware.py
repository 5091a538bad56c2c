"""Runware video through the official OpenAI SDK: async videoInference, getResponse polling, download."""

from __future__ import annotations

import uuid

import httpx
import openai
import pytest

from media_helpers import data_uri, image_bytes
from video_helpers import mp4_info, posts

POLL = {"poll_interval_ms": 20}
MODEL = "runware/klingai:5@3"


def tasks_of(sim, task_type: str) -> list[dict]:
    return [task for request in posts(sim) for task in request.body if task.get("taskType") == task_type]


def test_text_to_video_maps_the_seed_table_and_completes(media_gateway, runware_sim):
    client = media_gateway.openai()
    video = client.videos.create_and_poll(
        model=MODEL,
        prompt="a hummingbird in slow motion",
        seconds="5",
        size="1920x1080",
        extra_body={"negative_prompt": "blur", "seed": 11, "fps": 24},
        **POLL,
    )
    [task] = tasks_of(runware_sim.sim, "videoInference")
    assert uuid.UUID(task["taskUUID"]).version == 4
    assert {k: v for k, v in task.items() if k != "taskUUID"} == {
        "taskType": "videoInference",
        "deliveryMethod": "async",
        "model": "klingai:5@3",
        "positivePrompt": "a hummingbird in slow motion",
        "negativePrompt": "blur",
        "width": 1920,
        "height": 1080,
        "duration": 5,
        "seed": 11,
        "includeCost": True,
        "fps": 24,
    }
    assert (video.status, video.progress, video.model) == ("completed", 100, MODEL)
    assert (video.seconds, video.size) == ("5", "1920x1080")
    assert video.model_extra["usage"]["cost"] > 0

    content = client.videos.download_content(video.id).read()
    poll = [{"taskType": "getResponse", "taskUUID": task["taskUUID"]}]
    answer = httpx.post(
        runware_sim.api_url, json=poll, headers={"Authorization": f"Bearer {runware_sim.api_key}"}
    )
    assert content == httpx.get(answer.json()["data"][0]["videoURL"]).content
    codec, width, height, seconds = mp4_info(content)
    assert (codec, width, height) == ("h264", 1920, 1080)
    assert seconds == pytest.approx(5, abs=0.5)


def test_polls_use_the_same_task_uuid_and_key(media_gateway, runware_sim):
    client = media_gateway.openai()
    video = client.videos.create_and_poll(model=MODEL, prompt="a red balloon rising", seconds="5", **POLL)
    [task] = tasks_of(runware_sim.sim, "videoInference")
    polls = tasks_of(runware_sim.sim, "getResponse")
    assert polls
    assert {poll["taskUUID"] for poll in polls} == {task["taskUUID"]}
    assert {r.headers["authorization"] for r in posts(runware_sim.sim)} == {f"Bearer {runware_sim.api_key}"}
    assert video.status == "completed"


def test_image_to_video_uses_the_first_frame(media_gateway, runware_sim):
    frame = image_bytes(192, 108, "JPEG")
    media_gateway.openai().videos.create(
        model=MODEL,
        prompt="the leaves start to fall",
        input_reference=("frame.jpg", frame, "image/jpeg"),
        seconds="5",
    )
    [task] = tasks_of(runware_sim.sim, "videoInference")
    assert task["inputs"] == {"frameImages": [{"image": data_uri(frame, "image/jpeg"), "frame": "first"}]}


def test_default_size_is_1080p(media_gateway, runware_sim):
    video = media_gateway.openai().videos.create(model=MODEL, prompt="a quiet lake at dawn", seconds="5")
    [task] = tasks_of(runware_sim.sim, "videoInference")
    assert (task["width"], task["height"]) == (1920, 1080)
    assert video.size == "1920x1080"


def test_failed_generation_carries_the_upstream_code(media_gateway, runware_sim):
    video = media_gateway.openai().videos.create_and_poll(
        model=MODEL, prompt="a volcano [[sim:task_error]]", seconds="5", **POLL
    )
    assert video.status == "failed"
    assert video.error.code == "inferenceError"
    assert video.error.message


def test_upstream_validation_error(media_gateway, runware_sim):
    response = httpx.post(
        media_gateway.base_url + "/videos", json={"model": MODEL, "prompt": "a cat walking", "seconds": "7"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "seconds"
    assert "(parameter: duration)" in response.json()["error"]["message"]


def test_delete_list_remix_are_unsupported_upstream(media_gateway, runware_sim):
    client = media_gateway.openai()
    video = client.videos.create(model=MODEL, prompt="a train crossing a bridge", seconds="5")
    with pytest.raises(openai.BadRequestError) as raised:
        client.videos.delete(video.id)
    assert raised.value.body["code"] == "unsupported_operation"
    with pytest.raises(openai.BadRequestError) as raised:
        client.videos.remix(video.id, prompt="a boat")
    assert raised.value.body["code"] == "unsupported_operation"
    assert client.videos.retrieve(video.id).id == video.id
