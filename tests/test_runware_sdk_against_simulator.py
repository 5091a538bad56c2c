"""The official runware-sdk (REST transport) against the simulator.

Offline by construction: an explicit `taskType` and an AIR-shaped model skip the SDK's model-registry
lookup, and `validate` stays False (its default) so no schema is fetched from schemas.runware.ai.
"""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator

import av
import httpx
import pytest
from PIL import Image
from runware import RunOptions, Runware, RunwareError, file_to_data_uri

from irisgate.simulators.runware import Fault

from fixtures_simulators import RunwareSimHandle

MODEL = "runware:101@1"


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail loudly if the SDK tries to resolve any host but the local simulator's."""
    real_getaddrinfo = socket.getaddrinfo

    def local_only(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1", b"localhost"):
            raise OSError(f"test tried to reach {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    yield


def make_client(runware_sim: RunwareSimHandle, api_key: str | None = None) -> Runware:
    return Runware(
        api_key=api_key or runware_sim.api_key,
        transport="rest",
        http_base_url=runware_sim.api_url,
        max_retries=0,
        poll_timeout=30_000,
    )


@pytest.fixture
async def sdk(runware_sim: RunwareSimHandle) -> AsyncIterator[Runware]:
    async with make_client(runware_sim) as client:
        yield client


def params(**extra: object) -> dict[str, object]:
    return {
        "taskType": "imageInference",
        "model": MODEL,
        "positivePrompt": "a cat",
        "width": 256,
        "height": 192,
        **extra,
    }


async def test_sync_image_inference(sdk, runware_sim):
    results = await sdk.run(
        params(deliveryMethod="sync", numberResults=2, outputFormat="PNG", includeCost=True)
    )
    assert len(results) == 2
    assert len({r["imageUUID"] for r in results}) == 2
    assert all(r["cost"] > 0 for r in results)
    image = Image.open(io.BytesIO(httpx.get(results[0]["imageURL"]).content))
    assert (image.size, image.format) == ((256, 192), "PNG")
    sent = runware_sim.sim.tasks("imageInference")
    assert len(sent) == 1 and sent[0]["deliveryMethod"] == "sync"
    assert runware_sim.sim.tasks("getResponse") == []
    assert runware_sim.sim.requests[0].headers["authorization"] == f"Bearer {runware_sim.api_key}"


async def test_async_image_inference_polls_get_response(sdk, runware_sim):
    results = await sdk.run(params())  # the SDK's default delivery is async
    assert len(results) == 1
    assert results[0]["status"] == "success"
    assert results[0]["taskType"] == "imageInference"
    assert Image.open(io.BytesIO(httpx.get(results[0]["imageURL"]).content)).size == (256, 192)
    sent = runware_sim.sim.tasks("imageInference")
    assert sent[0]["deliveryMethod"] == "async"
    polls = runware_sim.sim.tasks("getResponse")
    assert len(polls) == 2  # async_polls_to_complete=1: one "processing", then "success"
    assert {p["taskUUID"] for p in polls} == {sent[0]["taskUUID"]}


async def test_bad_key_is_an_auth_error(runware_sim):
    async with make_client(runware_sim, api_key="rw-wrong") as client:
        with pytest.raises(RunwareError) as raised:
            await client.run(params(deliveryMethod="sync"))
    assert raised.value.code == "auth"
    assert raised.value.status_code == 401
    assert raised.value.parameter == "apiKey"
    assert "Invalid API key" in raised.value.message


async def test_validation_error(sdk):
    with pytest.raises(RunwareError) as raised:
        await sdk.run(params(deliveryMethod="sync", width=100))
    assert raised.value.code == "validation"
    assert raised.value.status_code == 400
    assert raised.value.parameter == "width"


async def test_task_error_fault_is_a_provider_error(sdk, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="task_error", message="GPU melted"))
    with pytest.raises(RunwareError) as raised:
        await sdk.run(params(deliveryMethod="sync"))
    assert raised.value.code == "provider"
    assert raised.value.message == "GPU melted"
    assert raised.value.task_type == "imageInference"


async def test_moderation_in_item_form_is_a_safety_error(sdk, runware_sim):
    runware_sim.sim.settings.error_item_form = True
    runware_sim.sim.add_fault(Fault(kind="moderation"))
    with pytest.raises(RunwareError) as raised:
        await sdk.run(params(deliveryMethod="sync"))
    assert raised.value.code == "safety"


async def test_rate_limit_and_not_found(sdk, runware_sim):
    runware_sim.sim.add_fault(Fault(kind="http_error", status=429, times=1))
    with pytest.raises(RunwareError) as raised:
        await sdk.run(params(deliveryMethod="sync"))
    assert (raised.value.code, raised.value.status_code) == ("rateLimit", 429)
    with pytest.raises(RunwareError) as missing:
        await sdk.get_response({"taskUUID": "3b241101-e2bb-4255-8caf-4136c566a962"})
    assert (missing.value.code, missing.value.status_code) == ("notFound", 404)


async def test_image_upload_then_seed_image(sdk):
    buf = io.BytesIO()
    Image.new("RGB", (128, 128), (1, 2, 3)).save(buf, "PNG")
    from runware import file_to_data_uri

    uploaded = await sdk.image_upload({"image": file_to_data_uri(buf.getvalue())})
    assert uploaded[0]["imageURL"].endswith(".png")
    results = await sdk.run(params(deliveryMethod="sync", seedImage=uploaded[0]["imageUUID"], strength=0.7))
    assert results[0]["imageUUID"] != uploaded[0]["imageUUID"]


# ---------------------------------------------------------------- videoInference

VIDEO_MODEL = "sim:video@1"  # the simulator's cheap test model (320x192 | 192x320 | 256x256; 1-5 s)


def video_params(**extra: object) -> dict[str, object]:
    return {
        "taskType": "videoInference",
        "model": VIDEO_MODEL,
        "positivePrompt": "waves on a beach",
        "duration": 2,
        "width": 320,
        "height": 192,
        "deliveryMethod": "async",
        **extra,
    }


async def test_video_inference_returns_a_downloadable_mp4(sdk, runware_sim):
    runware_sim.sim.settings.report_progress = True
    runware_sim.sim.settings.video_polls_to_complete = 2
    progress: list[object] = []
    options = RunOptions(on_progress=lambda item: progress.append(item.get("progress")))
    results = await sdk.run(video_params(numberResults=2, includeCost=True, seed=7), options)
    assert len(results) == 2
    assert len({r["videoUUID"] for r in results}) == 2
    assert all(r["taskType"] == "videoInference" and r["status"] == "success" for r in results)
    assert [r["seed"] for r in results] == [7, 8]
    assert all(r["cost"] == pytest.approx(0.10) for r in results)
    assert progress == [0, 50]
    response = httpx.get(results[0]["videoURL"])
    assert response.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(response.content)) as container:
        stream = container.streams.video[0]
        frame = next(container.decode(stream))
        assert (stream.codec_context.name, frame.format.name) == ("h264", "yuv420p")
        assert (frame.width, frame.height) == (320, 192)
        assert container.duration / 1_000_000 == pytest.approx(2, abs=0.1)
    sent = runware_sim.sim.tasks("videoInference")
    assert len(sent) == 1 and sent[0]["deliveryMethod"] == "async"
    polls = runware_sim.sim.tasks("getResponse")
    assert len(polls) == 3 and {p["taskUUID"] for p in polls} == {sent[0]["taskUUID"]}


async def test_video_with_nested_frame_image_from_an_upload(sdk):
    buf = io.BytesIO()
    Image.new("RGB", (320, 192), (200, 10, 10)).save(buf, "PNG")
    uploaded = await sdk.image_upload({"image": file_to_data_uri(buf.getvalue())})
    frames = {"frameImages": [{"image": uploaded[0]["imageUUID"], "frame": "first"}]}
    results = await sdk.run(video_params(inputs=frames))
    assert results[0]["videoURL"].endswith(".mp4")


async def test_video_failure_is_a_safety_error(sdk, runware_sim):
    runware_sim.sim.settings.async_polls_to_complete = 0
    with pytest.raises(RunwareError) as raised:
        await sdk.run(video_params(positivePrompt="forbidden [[sim:moderation]]"))
    assert raised.value.code == "safety"
    assert raised.value.task_type == "videoInference"


async def test_video_sync_delivery_is_a_validation_error(sdk):
    with pytest.raises(RunwareError) as raised:
        await sdk.run(video_params(deliveryMethod="sync"))
    assert (raised.value.code, raised.value.status_code) == ("validation", 400)
    assert raised.value.parameter == "deliveryMethod"
