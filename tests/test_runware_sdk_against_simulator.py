"""The official runware-sdk (REST transport) against the simulator.

Offline by construction: an explicit `taskType` and an AIR-shaped model skip the SDK's model-registry
lookup, and `validate` stays False (its default) so no schema is fetched from schemas.runware.ai.
"""

from __future__ import annotations

import io
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from PIL import Image
from runware import Runware, RunwareError

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
