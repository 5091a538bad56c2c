"""The official `fal-client` against the fal simulator: submit, status with logs, result, cancel, and
its error classes, over HTTPS as the client always speaks.

fal_client builds every queue URL as `https://{FAL_QUEUE_RUN_HOST}/…` (`fal_client.auth`, read once at
import into `fal_client.client.QUEUE_URL_FORMAT`); the simulator is served over TLS with a throwaway CA
that `SSL_CERT_FILE` makes httpx trust, and `QUEUE_URL_FORMAT` is set to what `FAL_QUEUE_RUN_HOST=
127.0.0.1:<port>` would have given before the first import.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import fal_client
import fal_client.client as fal_client_module
import httpx
import pytest
import trustme
from PIL import Image

from irisgate.simulators.fal import FalSimSettings, FalSimulator
from irisgate.simulators.runner import ServerThread

from fixtures_fal_sim import FAL_TEST_KEY
from media_helpers import data_uri, image_bytes


@pytest.fixture(scope="module")
def tls_fal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FalSimulator, str, Path]]:
    authority = trustme.CA()
    folder = tmp_path_factory.mktemp("fal-tls")
    certificate = authority.issue_cert("127.0.0.1")
    certfile, keyfile, cafile = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    for index, pem in enumerate(certificate.cert_chain_pems):
        pem.write_to_path(certfile, append=index > 0)
    certificate.private_key_pem.write_to_path(keyfile)
    authority.cert_pem.write_to_path(cafile)
    sim = FalSimulator(FalSimSettings(api_keys={FAL_TEST_KEY}))
    with ServerThread(sim.app, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as server:
        yield sim, server.url, cafile


@pytest.fixture
def sim(tls_fal, monkeypatch: pytest.MonkeyPatch) -> FalSimulator:
    simulator, url, cafile = tls_fal
    simulator.reset()
    monkeypatch.setenv("SSL_CERT_FILE", str(cafile))
    monkeypatch.setattr(fal_client_module, "QUEUE_URL_FORMAT", url.rstrip("/") + "/")
    return simulator


@pytest.fixture
def clients(sim: FalSimulator) -> Iterator[list[fal_client.SyncClient]]:
    """fal_client keeps its connections open; closed here so the server can stop at once."""
    made: list[fal_client.SyncClient] = []
    yield made
    for each in made:
        each._client.close()


@pytest.fixture
def client(clients: list[fal_client.SyncClient]) -> fal_client.SyncClient:
    clients.append(fal_client.SyncClient(key=FAL_TEST_KEY))
    return clients[-1]


def api_calls(sim: FalSimulator) -> list:
    return [r for r in sim.requests if not r.path.startswith("/files/")]


def test_subscribe_walks_the_queue_and_the_image_downloads(client, sim) -> None:
    updates: list = []
    result = client.subscribe(
        "fal-ai/flux/dev",
        arguments={"prompt": "a red fox", "image_size": "square", "num_images": 1},
        with_logs=True,
        on_queue_update=updates.append,
    )
    assert [type(u).__name__ for u in updates] == ["Queued", "InProgress", "InProgress", "Completed"]
    assert updates[0].position == 0
    assert any("%" in log["message"] for log in updates[1].logs)
    [image] = result["images"]
    assert (image["width"], image["height"], image["content_type"]) == (512, 512, "image/jpeg")
    with Image.open(io.BytesIO(httpx.get(image["url"], verify=False).content)) as decoded:
        assert decoded.size == (512, 512)

    submit, *polls = api_calls(sim)
    [task] = sim.tasks()
    assert (submit.method, submit.path) == ("POST", "/fal-ai/flux/dev")
    assert submit.headers["authorization"] == f"Key {FAL_TEST_KEY}"
    assert submit.body == {"prompt": "a red fox", "image_size": "square", "num_images": 1}
    base = f"/fal-ai/flux/requests/{task['request_id']}"
    # subscribe polls until COMPLETED, then get() asks once more before it fetches the result
    assert [(p.method, p.path) for p in polls] == [("GET", base + "/status")] * 5 + [("GET", base)]
    assert polls[0].headers.get("user-agent", "").startswith("fal-client/")


def test_status_result_and_cancel_by_application_and_request_id(client, sim) -> None:
    sim.settings.queue_polls = 50
    frame = data_uri(image_bytes(32, 48))
    handle = client.submit(
        "fal-ai/kling-video/v2.1/standard/image-to-video",
        arguments={"prompt": "a pan", "image_url": frame, "duration": "5"},
    )
    status = client.status(
        "fal-ai/kling-video/v2.1/standard/image-to-video", handle.request_id, with_logs=True
    )
    assert isinstance(status, fal_client.Queued)
    client.cancel("fal-ai/kling-video/v2.1/standard/image-to-video", handle.request_id)
    assert sim.tasks()[0]["cancelled"] is True
    done = client.status("fal-ai/kling-video/v2.1/standard/image-to-video", handle.request_id)
    assert isinstance(done, fal_client.Completed) and done.error_type == "client_cancelled"
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        client.cancel("fal-ai/kling-video/v2.1/standard/image-to-video", handle.request_id)
    assert caught.value.status_code == 400  # {"status": "ALREADY_COMPLETED"}
    cancels = [r.path for r in api_calls(sim) if r.method == "PUT"]
    assert cancels == [f"/fal-ai/kling-video/requests/{handle.request_id}/cancel"] * 2


def test_a_video_result(client, sim) -> None:
    sim.settings.queue_polls, sim.settings.progress_polls = 0, 0
    result = client.subscribe(
        "fal-ai/kling-video/v2.1/master/text-to-video",
        arguments={"prompt": "waves", "duration": "5", "aspect_ratio": "9:16"},
    )
    video = result["video"]
    assert (video["content_type"], video["file_name"].endswith(".mp4")) == ("video/mp4", True)
    content = httpx.get(video["url"], verify=False).content
    assert content[4:8] == b"ftyp" and len(content) == video["file_size"]


def test_validation_errors_reach_the_client_as_fal_shapes_them(client, sim) -> None:
    sim.settings.queue_polls, sim.settings.progress_polls = 0, 0
    handle = client.submit(
        "fal-ai/kling-video/v2.1/master/text-to-video", arguments={"prompt": "x", "duration": "7"}
    )
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        handle.get()
    assert caught.value.status_code == 422
    [issue] = caught.value.message  # fal_client passes the `detail` list on as the message
    assert (issue["loc"], issue["type"]) == (["body", "duration"], "literal_error")

    sim.settings.validate_on_submit = True
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        client.submit("fal-ai/flux/dev", arguments={"num_images": 9})
    assert caught.value.status_code == 422
    assert [i["loc"][1] for i in caught.value.message] == ["prompt", "num_images"]


def test_a_failed_request_and_a_wrong_key(client, clients, sim) -> None:
    sim.settings.queue_polls, sim.settings.progress_polls = 0, 0
    handle = client.submit("fal-ai/flux/schnell", arguments={"prompt": "x [[sim:request_failure]]"})
    status = handle.status()
    assert isinstance(status, fal_client.Completed) and status.error_type == "internal_error"
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        handle.get()
    assert (caught.value.status_code, caught.value.error_type) == (500, "internal_error")

    clients.append(fal_client.SyncClient(key="nobody:nothing"))
    with pytest.raises(fal_client.FalClientHTTPError) as caught:
        clients[-1].submit("fal-ai/flux/dev", arguments={"prompt": "x"})
    assert caught.value.status_code == 401
    assert api_calls(sim)[-1].headers["authorization"] == "Key nobody:nothing"
