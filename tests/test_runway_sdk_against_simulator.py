"""The official `runwayml` SDK against the Runway simulator: tasks, polling, uploads and error classes."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator

import httpx
import pytest
import runwayml
import runwayml.lib.polling as polling
from PIL import Image
from runwayml import AsyncRunwayML, RunwayML
from runwayml.lib.polling import TaskFailedError, TaskTimeoutError

from irisgate.simulators.runway import RunwayFault

from fixtures_runway_sim import RunwaySimHandle


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 24), (30, 120, 220)).save(buf, "PNG")
    return buf.getvalue()


PNG_URI = "data:image/png;base64," + base64.b64encode(png_bytes()).decode()


@pytest.fixture(autouse=True)
def fast_polling() -> Iterator[None]:
    saved = polling.POLL_TIME, polling.POLL_JITTER
    polling.POLL_TIME, polling.POLL_JITTER = 0.05, 0
    yield
    polling.POLL_TIME, polling.POLL_JITTER = saved


@pytest.fixture
def client(runway_sim: RunwaySimHandle) -> Iterator[RunwayML]:
    with RunwayML(api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=0) as c:
        yield c


def start_i2v(client: RunwayML, prompt: str = "a red fox") -> object:
    return client.image_to_video.create(
        model="gen4_turbo", prompt_image=PNG_URI, ratio="1280:720", prompt_text=prompt, duration=2
    )


def test_image_to_video_waits_to_success_and_output_downloads(
    client: RunwayML, runway_sim: RunwaySimHandle
) -> None:
    task = start_i2v(client)
    done = task.wait_for_task_output(timeout=30)
    assert done.status == "SUCCEEDED" and done.id == task.id
    assert done.cost.credits == 10
    video = httpx.get(done.output[0])
    assert video.status_code == 200 and video.content[4:8] == b"ftyp"
    create, *polls = [r for r in runway_sim.sim.requests if r.path.startswith("/v1/")]
    assert create.body == {
        "model": "gen4_turbo",
        "promptImage": PNG_URI,
        "ratio": "1280:720",
        "promptText": "a red fox",
        "duration": 2,
    }
    assert create.headers["x-runway-version"] == "2024-11-06"
    assert create.headers["authorization"] == f"Bearer {runway_sim.api_key}"
    assert [p.path for p in polls] == [f"/v1/tasks/{task.id}"] * 4  # PENDING, RUNNING x2, SUCCEEDED


def test_text_to_video_and_text_to_image(client: RunwayML) -> None:
    video = client.text_to_video.create(model="veo3.1", prompt_text="waves", ratio="720:1280", duration=4)
    assert video.wait_for_task_output(timeout=30).status == "SUCCEEDED"
    image = client.text_to_image.create(model="gen4_image", prompt_text="a cat", ratio="1024:1024")
    done = image.wait_for_task_output(timeout=30)
    with Image.open(io.BytesIO(httpx.get(done.output[0]).content)) as img:
        assert img.size == (1024, 1024)


def test_delete_then_retrieve_is_not_found(client: RunwayML) -> None:
    task = start_i2v(client)
    assert client.tasks.retrieve(task.id).status == "PENDING"
    client.tasks.delete(task.id)
    with pytest.raises(runwayml.NotFoundError) as caught:
        client.tasks.retrieve(task.id)
    assert caught.value.status_code == 404
    assert caught.value.body == {"error": "Could not find Task"}


def test_upload_then_use_the_runway_uri(client: RunwayML) -> None:
    uploaded = client.uploads.create_ephemeral(file=("fox.png", png_bytes()))
    assert uploaded.uri.startswith("runway://")
    task = client.image_to_video.create(
        model="gen4_turbo", prompt_image=uploaded.uri, ratio="960:960", duration=2
    )
    assert task.wait_for_task_output(timeout=30).status == "SUCCEEDED"


def test_validation_error_is_bad_request_with_issues(client: RunwayML) -> None:
    with pytest.raises(runwayml.BadRequestError) as caught:
        client.image_to_video.create(model="gen4_turbo", prompt_image=PNG_URI, ratio="1:1")  # type: ignore[arg-type]
    body = caught.value.body
    assert isinstance(body, dict) and body["error"] == "Validation of body failed"
    assert [issue["path"] for issue in body["issues"]] == [["ratio"]]


def test_bad_key_is_authentication_error(runway_sim: RunwaySimHandle) -> None:
    with (
        RunwayML(api_key="key_" + "f" * 128, base_url=runway_sim.url, max_retries=0) as bad,
        pytest.raises(runwayml.AuthenticationError) as caught,
    ):
        bad.tasks.retrieve("00000000-0000-4000-8000-000000000000")
    assert caught.value.status_code == 401 and "error" in caught.value.body  # type: ignore[operator]


def test_old_version_is_rejected(runway_sim: RunwaySimHandle) -> None:
    with (
        RunwayML(
            api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=0, runway_version="2023-09-06"
        ) as c,
        pytest.raises(runwayml.BadRequestError),
    ):
        start_i2v(c)


def test_unknown_task_is_not_found(client: RunwayML) -> None:
    with pytest.raises(runwayml.NotFoundError):
        client.tasks.retrieve("00000000-0000-4000-8000-000000000000")


def test_429_is_retried_three_times_then_rate_limit_error(runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.retry_after_seconds = 0.01
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=429, path="/v1/image_to_video"))
    with (
        RunwayML(api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=2) as retrying,
        pytest.raises(runwayml.RateLimitError) as caught,
    ):
        start_i2v(retrying)
    assert caught.value.status_code == 429
    attempts = [r for r in runway_sim.sim.requests if r.path == "/v1/image_to_video"]
    assert [r.headers.get("x-stainless-retry-count") for r in attempts] == ["0", "1", "2"]


def test_should_retry_false_stops_sdk_retries(runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.should_retry_header = "false"
    with (
        RunwayML(api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=2) as retrying,
        pytest.raises(runwayml.RateLimitError),
    ):
        start_i2v(retrying, "x [[sim:429]]")
    assert len(runway_sim.sim.requests) == 1


def test_transient_500_is_retried_to_success(runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.settings.retry_after_seconds = 0.01
    runway_sim.sim.add_fault(RunwayFault(kind="http_error", status=503, times=1))
    with RunwayML(api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=2) as retrying:
        task = start_i2v(retrying)
    assert len(runway_sim.sim.tasks()) == 1 and runway_sim.sim.tasks()[0]["id"] == task.id
    assert len(runway_sim.sim.requests) == 2


def test_task_failure_raises_task_failed_error(client: RunwayML) -> None:
    task = start_i2v(client, "a fox [[sim:moderation]]")
    with pytest.raises(TaskFailedError) as caught:
        task.wait_for_task_output(timeout=30)
    details = caught.value.task_details
    assert details.status == "FAILED" and details.failure_code == "SAFETY.INPUT.TEXT"
    assert details.cost.credits == 0


def test_sync_client_keeps_polling_a_cancelled_task(client: RunwayML, runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.add_fault(RunwayFault(kind="cancelled", times=1))
    task = start_i2v(client)
    with pytest.raises(TaskTimeoutError) as caught:  # the sync SDK only stops on SUCCEEDED / FAILED
        task.wait_for_task_output(timeout=0.5)
    assert caught.value.task_details.status == "CANCELLED"


async def test_async_client_treats_cancelled_as_failure(runway_sim: RunwaySimHandle) -> None:
    runway_sim.sim.add_fault(RunwayFault(kind="cancelled", times=1))
    async with AsyncRunwayML(api_key=runway_sim.api_key, base_url=runway_sim.url, max_retries=0) as client:
        task = await client.image_to_video.create(
            model="gen4_turbo", prompt_image=PNG_URI, ratio="1280:720", duration=2
        )
        with pytest.raises(TaskFailedError) as caught:
            await task.wait_for_task_output(timeout=30)
        assert caught.value.task_details.status == "CANCELLED"
        assert caught.value.task_details.cost.credits == 0
        ok = await client.text_to_video.create(model="gen4.5", prompt_text="x", ratio="1280:720", duration=2)
        assert (await ok.wait_for_task_output(timeout=30)).status == "SUCCEEDED"
