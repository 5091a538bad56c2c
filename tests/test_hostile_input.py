"""Hostile input through real HTTP against a real gateway (simulators running).

Each named input must get a clear 4xx in the error shape (naming the field where there is one),
never a 5xx or a traceback, and nothing may reach a provider. Requests httpx would normalise (dot
segments, header floods, bodies cut short) go over a raw socket.
"""

from __future__ import annotations

import base64
import json
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from irisgate.config import key_id_for
from irisgate.jobs.ids import PREFIX
from irisgate.server.openapi import openapi_document

from fixtures_gateway import RUNWARE_MODEL, GatewayFactory, media_config
from fixtures_runway_sim import RUNWAY_TEST_KEY, RunwaySimHandle
from fixtures_simulators import RUNWARE_TEST_KEY, RunwareSimHandle
from media_helpers import image_bytes

IMAGES = "/v1/images/generations"
EDITS = "/v1/images/edits"
VIDEOS = "/v1/videos"
VIDEO_MODEL = "runway/veo3.1"
ANY = object()  # the error's param is not checked


def jpeg() -> bytes:
    return image_bytes(64, 64, "JPEG")


def json_bytes(raw: bytes | str) -> dict[str, Any]:
    content = raw.encode() if isinstance(raw, str) else raw
    return {"content": content, "headers": {"content-type": "application/json"}}


def generation_with_x(raw_value: str) -> dict[str, Any]:
    """A generation request whose extra field `x` is the raw JSON text given."""
    return json_bytes(f'{{"model": "{RUNWARE_MODEL}", "prompt": "a", "x": {raw_value}}}')


def gen(**fields: Any) -> dict[str, Any]:
    return {"json": {"model": RUNWARE_MODEL, "prompt": "a cat", **fields}}


def video(**fields: Any) -> dict[str, Any]:
    return {"json": {"model": VIDEO_MODEL, "prompt": "a dog", **fields}}


def edit(files: Any = None, **fields: Any) -> dict[str, Any]:
    data = {"model": RUNWARE_MODEL, "prompt": "make it blue", **fields}
    return {"data": data, "files": files if files is not None else {"image": ("a.png", image_bytes())}}


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "hostileboundary") -> bytes:
    """A hand-made multipart body: (name, value, filename or None) parts."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        out += b"Content-Type: application/octet-stream\r\n" if filename else b""
        out += b"\r\n" + value + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def multipart_request(body: bytes, boundary: str | None = "hostileboundary") -> dict[str, Any]:
    content_type = "multipart/form-data" + (f"; boundary={boundary}" if boundary else "")
    return {"content": body, "headers": {"content-type": content_type}}


EDIT_PARTS = [("model", RUNWARE_MODEL.encode(), None), ("prompt", b"make it blue", None)]


def forged_id(packed: bytes) -> str:
    return PREFIX + base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def forged_v1(provider: str, key_id: str) -> str:
    """An id of the form earlier versions made, naming a key and a task (provider codes: 1, 2)."""
    code = {"runware": 1, "runway": 2}[provider]
    return forged_id(bytes([1, code]) + uuid.UUID(key_id).bytes + uuid.uuid4().bytes)


def forged_v2(provider: str, key_id: str, upstream: str) -> str:
    return forged_id(b"\x02" + "\x1f".join((provider, key_id, upstream)).encode())


RUNWAY_KEY_ID = key_id_for("runway", "main")  # predictable: file keys have stable ids
NEST = 10_000
WIDE_1024 = "\uff11\uff10\uff12\uff14"  # full-width digits: str.isdigit() and re's \d take them
WIDE_512 = "\uff15\uff11\uff12"
ARABIC_512 = "\u0665\u0661\u0662"  # Arabic-Indic digits


@dataclass(frozen=True)
class Hostile:
    name: str
    method: str
    path: str
    status: int
    param: Any = ANY
    code: str | None = None
    request: dict[str, Any] | Callable[[], dict[str, Any]] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        return self.request() if callable(self.request) else self.request


CASES = [
    # malformed JSON
    Hostile("json truncated", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes('{"model": "runware/x", "pr')),
    Hostile("json trailing garbage", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes(f'{{"model": "{RUNWARE_MODEL}", "prompt": "a"}} garbage')),
    Hostile("json array", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes(f'[{{"model": "{RUNWARE_MODEL}"}}]')),
    Hostile("json string", "POST", IMAGES, 400, None, "invalid_json", json_bytes('"a cat"')),
    Hostile("json empty body", "POST", IMAGES, 400, None, "invalid_json", json_bytes(b"")),
    Hostile("json nested 10000 arrays", "POST", IMAGES, 400, None, "invalid_json",
            generation_with_x("[" * NEST + "]" * NEST)),
    Hostile("json nested 10000 objects", "POST", VIDEOS, 400, None, "invalid_json",
            json_bytes('{"a":' * NEST + "1" + "}" * NEST)),
    Hostile("json nested 300 (parses, too deep to forward)", "POST", IMAGES, 400, "x", None,
            generation_with_x("[" * 300 + "]" * 300)),
    Hostile("json number 1e400", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes(f'{{"model": "{RUNWARE_MODEL}", "prompt": "a", "n": 1e400}}')),
    Hostile("json NaN", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes(f'{{"model": "{RUNWARE_MODEL}", "prompt": "a", "n": NaN}}')),
    Hostile("json invalid UTF-8", "POST", IMAGES, 400, None, "invalid_json",
            json_bytes(f'{{"model": "{RUNWARE_MODEL}", "prompt": "a '.encode() + b'\xff\xfe"}')),
    Hostile("json lone surrogate", "POST", VIDEOS, 400, None, "invalid_json",
            json_bytes(f'{{"model": "{VIDEO_MODEL}", "prompt": "\\ud800"}}')),
    # wrong content types
    Hostile("edit as JSON", "POST", EDITS, 415, None, "invalid_content_type", gen()),
    Hostile("edit without content type", "POST", EDITS, 400, None, "invalid_content_type",
            {"content": b"x"}),
    Hostile("generation as multipart", "POST", IMAGES, 415, "Content-Type", "unsupported_media_type", edit()),
    Hostile("video as urlencoded form", "POST", VIDEOS, 415, "Content-Type", "unsupported_media_type",
            {"data": {"model": VIDEO_MODEL, "prompt": "a dog"}}),
    # wrong types
    Hostile("n as 'two'", "POST", IMAGES, 400, "n", None, gen(n="two")),
    Hostile("n as 1.5", "POST", IMAGES, 400, "n", None, gen(n=1.5)),
    Hostile("size as 12", "POST", IMAGES, 400, "size", None, gen(size=12)),
    Hostile("prompt as a list", "POST", IMAGES, 400, "prompt", None, gen(prompt=["a", "cat"])),
    Hostile("model as a number", "POST", IMAGES, 400, "model", None, gen(model=5)),
    Hostile("seed -1", "POST", IMAGES, 400, "seed", None, gen(seed=-1)),
    Hostile("seed 2**70", "POST", IMAGES, 400, "seed", None, gen(seed=2**70)),
    Hostile("seed 2**70 in a form", "POST", EDITS, 400, "seed", None, edit(seed=str(2**70))),
    Hostile("n 'two' in a form", "POST", EDITS, 400, "n", None, edit(n="two")),
    Hostile("stream as 'yes'", "POST", IMAGES, 400, "stream", None, gen(stream="yes")),
    Hostile("extra_params as a list", "POST", IMAGES, 400, "extra_params", None, gen(extra_params=[1])),
    Hostile("video seed 2**70", "POST", VIDEOS, 400, "seed", None, video(seed=2**70)),
    Hostile("seconds 'abc'", "POST", VIDEOS, 400, "seconds", None, video(seconds="abc")),
    Hostile("seconds '-5'", "POST", VIDEOS, 400, "seconds", None, video(seconds="-5")),
    Hostile("seconds '1e9'", "POST", VIDEOS, 400, "seconds", None, video(seconds="1e9")),
    Hostile("seconds 'nan'", "POST", VIDEOS, 400, "seconds", None, video(seconds="nan")),
    Hostile("seconds true", "POST", VIDEOS, 400, "seconds", None, video(seconds=True)),
    Hostile("input_reference as a number", "POST", VIDEOS, 400, "input_reference", None,
            video(input_reference=5)),
    Hostile("input_reference as {}", "POST", VIDEOS, 400, "input_reference", None, video(input_reference={})),
    Hostile("audio as 'maybe'", "POST", VIDEOS, 400, "audio", None, video(audio="maybe")),
    # booleans and numeric text where a count belongs (pydantic's lax mode read true as 1, "1_0" as 10)
    Hostile("n true", "POST", IMAGES, 400, "n", None, gen(n=True)),
    Hostile("n '1_0'", "POST", IMAGES, 400, "n", None, gen(n="1_0")),
    Hostile("n true in a form", "POST", EDITS, 400, "n", None, edit(n="true")),
    Hostile("n '1_0' in a form", "POST", EDITS, 400, "n", None, edit(n="1_0")),
    Hostile("full-width seed in a form", "POST", EDITS, 400, "seed", None, edit(seed=WIDE_512)),
    Hostile("seed false", "POST", IMAGES, 400, "seed", None, gen(seed=False)),
    Hostile("num_inference_steps true", "POST", IMAGES, 400, "num_inference_steps", None,
            gen(num_inference_steps=True)),
    Hostile("output_compression true", "POST", IMAGES, 400, "output_compression", None,
            gen(output_compression=True)),
    Hostile("partial_images true", "POST", IMAGES, 400, "partial_images", None, gen(partial_images=True)),
    Hostile("frame_count true", "POST", IMAGES, 400, "frame_count", None, gen(frame_count=True)),
    Hostile("frame_duration_ms true", "POST", IMAGES, 400, "frame_duration_ms", None,
            gen(frame_duration_ms=True)),
    Hostile("video seed true", "POST", VIDEOS, 400, "seed", None, video(seed=True)),
    # digits that are not ASCII
    Hostile("full-width size", "POST", IMAGES, 400, "size", None, gen(size=f"{WIDE_1024}x{WIDE_1024}")),
    Hostile("Arabic-Indic size", "POST", IMAGES, 400, "size", None, gen(size=f"{ARABIC_512}x{ARABIC_512}")),
    Hostile("full-width size in a form", "POST", EDITS, 400, "size", None, edit(size=f"{WIDE_512}x512")),
    Hostile("full-width video size", "POST", VIDEOS, 400, "size", None, video(size=f"{WIDE_1024}x720")),
    Hostile("size with an ideographic space", "POST", IMAGES, 400, "size", None, gen(size="512x512\u3000")),
    Hostile("full-width seconds", "POST", VIDEOS, 400, "seconds", None, video(seconds=WIDE_512[0])),
    Hostile("seconds '1_0'", "POST", VIDEOS, 400, "seconds", None, video(seconds="1_0")),
    # absurd sizes and counts
    Hostile("size 99999x99999", "POST", IMAGES, 400, "size", None, gen(size="99999x99999")),
    Hostile("size 0x0", "POST", IMAGES, 400, "size", None, gen(size="0x0")),
    Hostile("size 1x1", "POST", IMAGES, 400, "size", None, gen(size="1x1")),
    Hostile("video size 1x1", "POST", VIDEOS, 400, "size", None, video(size="1x1")),
    Hostile("size -5x-5", "POST", IMAGES, 400, "size", None, gen(size="-5x-5")),
    Hostile("n 10**9", "POST", IMAGES, 400, "n", None, gen(n=10**9)),
    Hostile("n -1", "POST", IMAGES, 400, "n", None, gen(n=-1)),
    # prompts
    Hostile("empty prompt", "POST", IMAGES, 400, "prompt", None, gen(prompt="")),
    Hostile("whitespace-only prompt", "POST", IMAGES, 400, "prompt", None, gen(prompt=" \n\t ")),
    Hostile("whitespace-only video prompt", "POST", VIDEOS, 400, "prompt", None, video(prompt="   ")),
    Hostile("1 MB prompt", "POST", IMAGES, 400, "prompt", None, lambda: gen(prompt="a" * 1_000_000)),
    Hostile("1 MB prompt in a form", "POST", EDITS, 400, ANY, None, lambda: edit(prompt="a" * 1_000_000)),
    # multipart
    Hostile("multipart without boundary", "POST", EDITS, 400, None, "invalid_multipart",
            multipart_request(multipart(EDIT_PARTS), boundary=None)),
    Hostile("video multipart without boundary", "POST", VIDEOS, 400, None, "invalid_multipart",
            multipart_request(b"--x\r\n", boundary=None)),
    Hostile("multipart truncated", "POST", EDITS, 400, ANY, None,
            lambda: multipart_request(multipart([*EDIT_PARTS, ("image", image_bytes(), "a.png")])[:-60])),
    Hostile("multipart 1,000 fields", "POST", EDITS, 400, None, "invalid_multipart",
            edit(**{f"field{i}": "x" for i in range(1000)})),
    Hostile("multipart 30 files", "POST", EDITS, 400, None, "invalid_multipart",
            edit(files=[("image[]", (f"{i}.png", image_bytes(), "image/png")) for i in range(30)])),
    Hostile("multipart invalid UTF-8 field", "POST", EDITS, 400, ANY, None,
            multipart_request(multipart([*EDIT_PARTS, ("style", b"\xff\xfe\xfd", None),
                                         ("image", image_bytes(), "a.png")]))),
    Hostile("multipart key nested 10000 brackets", "POST", EDITS, 400, None, "invalid_multipart",
            edit(**{"x" + "[a]" * NEST: "1"})),
    Hostile("multipart key nested 300 brackets", "POST", EDITS, 400, "x", None,
            edit(**{"x" + "[a]" * 300: "1"})),
    Hostile("multipart key nested 2000 brackets", "POST", VIDEOS, 400, "x", None,
            {"data": {"model": VIDEO_MODEL, "prompt": "x", "x" + "[]" * 2000: "1"},
             "files": {"input_reference": ("a.png", image_bytes(), "image/png")}}),
    Hostile("30 MB non-image as image", "POST", EDITS, 400, "image", "invalid_image_file",
            lambda: edit(files={"image": ("big.png", b"\0" * (30 * 1024 * 1024), "image/png")})),
    Hostile("GIF as image", "POST", EDITS, 400, "image", "invalid_image_file",
            edit(files={"image": ("a.gif", image_bytes(fmt="GIF"), "image/gif")})),
    Hostile("GIF as video input_reference", "POST", VIDEOS, 400, "input_reference", "invalid_image_file",
            {"data": {"model": VIDEO_MODEL, "prompt": "x"},
             "files": {"input_reference": ("a.gif", image_bytes(fmt="GIF"), "image/gif")}}),
    Hostile("image upload as a text field", "POST", EDITS, 400, "image", None,
            {"data": {"model": RUNWARE_MODEL, "prompt": "x", "image": "not a file"},
             "files": {"mask": ("m.png", image_bytes())}}),
    Hostile("two masks", "POST", EDITS, 400, "mask", None,
            edit(files=[("image", ("a.png", image_bytes())), ("mask", ("m.png", image_bytes())),
                        ("mask", ("n.png", image_bytes()))])),
    Hostile("unknown file field", "POST", EDITS, 400, "payload", None,
            edit(files=[("image", ("a.png", image_bytes())), ("payload", ("p.bin", b"\0"))])),
    # data URIs
    Hostile("data URI that is not base64", "POST", VIDEOS, 400, "input_reference", None,
            video(input_reference="data:image/png;base64,@@@not*base64@@@")),
    Hostile("data URI without ;base64", "POST", VIDEOS, 400, "input_reference", None,
            video(input_reference="data:image/png,rawtext")),
    Hostile("data URI of text", "POST", VIDEOS, 400, "input_reference", "invalid_image_file",
            video(input_reference="data:image/png;base64," + base64.b64encode(b"hello").decode())),
    Hostile("data URI over the Runway limit", "POST", VIDEOS, 400, "input_reference", "file_too_large",
            lambda: video(input_reference="data:image/jpeg;base64,"
                          + base64.b64encode(jpeg() + b"\0" * (6 * 1024 * 1024)).decode())),
    # ids that are not ours
    Hostile("id with dot segments (encoded)", "GET", "/v1/videos/video_..%2F..%2Fetc%2Fpasswd", 404),
    Hostile("id %00", "GET", "/v1/videos/video_%00", 404, "video_id", "video_not_found"),
    Hostile("delete id %00", "DELETE", "/v1/videos/video_%00", 404, "video_id", "video_not_found"),
    Hostile("10 kB id", "GET", "/v1/videos/video_" + "A" * 10_000, 404, "video_id", "video_not_found"),
    Hostile("id without our prefix", "GET", "/v1/videos/task_123", 404, "video_id", "video_not_found"),
    Hostile("content of an id not ours", "GET", "/v1/videos/nope/content", 404, "video_id",
            "video_not_found"),
    Hostile("remix of an id not ours", "POST", "/v1/videos/nope/remix", 404, "video_id", "video_not_found",
            {"json": {"prompt": "again"}}),
    Hostile("forged v1 id for an unknown key", "GET", "/v1/videos/" + forged_v1("runway", str(uuid.uuid4())),
            404, "video_id", "video_not_found"),
    Hostile("forged v2 id walking the provider's API", "GET",
            "/v1/videos/" + forged_v2("runway", RUNWAY_KEY_ID, "../../v1/organization"),
            404, "video_id", "video_not_found"),
    Hostile("forged v2 id walking the provider's API (delete)", "DELETE",
            "/v1/videos/" + forged_v2("runway", RUNWAY_KEY_ID, "..%2F..%2Fv1%2Ftasks%2Fx?all=1"),
            404, "video_id", "video_not_found"),
    # path and query tricks
    Hostile("encoded dot segments to /health", "GET", "/v1/videos/..%2F..%2Fhealth", 404, None, "not_found"),
    Hostile("limit=-1", "GET", "/v1/videos?limit=-1", 400, "limit"),
    Hostile("limit=1e9", "GET", "/v1/videos?limit=1e9", 400, "limit"),
    Hostile("limit=10**30", "GET", "/v1/videos?limit=" + "9" * 30, 400, "limit"),
    Hostile("limit in full-width digits", "GET", "/v1/videos?limit=%EF%BC%91%EF%BC%90", 400, "limit"),
    Hostile("limit=1_0", "GET", "/v1/videos?limit=1_0", 400, "limit"),
    Hostile("order=;drop", "GET", "/v1/videos?order=;drop", 400, "order"),
    Hostile("after=%00", "GET", "/v1/videos?after=video_%00", 404, ANY, "video_not_found"),
    Hostile("variant=../../etc", "GET", "/v1/videos/nope/content?variant=../../etc", 400, "variant"),
]  # fmt: skip


def assert_clean_error(response: httpx.Response, status: int, param: Any, code: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert "Traceback" not in response.text and 'File "' not in response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code", "param"}
    assert error["message"]
    if param is not ANY:
        assert error["param"] == param, error
    if code is not None:
        assert error["code"] == code, error
    return error


def assert_nothing_upstream(runware_sim: Any, runway_sim: Any) -> None:
    assert runware_sim.sim.requests == []
    assert runway_sim.sim.requests == []


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_gets_a_clear_4xx(fuzz_gateway, runware_sim, runway_sim, case: Hostile) -> None:
    with httpx.Client(base_url=fuzz_gateway.url, timeout=30) as client:
        response = client.request(case.method, case.path, **case.kwargs())
    assert_clean_error(response, case.status, case.param, case.code)
    assert_nothing_upstream(runware_sim, runway_sim)


# raw HTTP: what httpx would not send as it is


def raw_request(url: str, head: bytes, body: Iterable[bytes] = (), timeout: float = 15) -> tuple[int, bytes]:
    """Send `head` (and `body` chunks, tolerating a server that stops reading), return (status, body)."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
            for chunk in body:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except ConnectionResetError:
            pass
    assert answer, "the server closed the connection without answering"
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def request_head(method: str, path: str, *headers: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def error_of(body: bytes) -> dict[str, Any]:
    assert b"Traceback" not in body
    return json.loads(body)["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/videos/video_../../etc/passwd",
        "/v1/videos/../../health",
        "/v1/videos/./../videos/x",
        "/v1/videos/video_%2e%2e%2f%2e%2e%2fhealth",
        "//v1//videos",
        "/v1//videos//x",
        "//health",
    ],
)
def test_literal_path_tricks_are_404(media_gateway, runware_sim, runway_sim, path: str) -> None:
    status, body = raw_request(media_gateway.url, request_head("GET", path))
    assert status == 404
    assert error_of(body)["code"] in ("not_found", "video_not_found")
    assert_nothing_upstream(runware_sim, runway_sim)


@pytest.fixture
def small_limit_gateway(make_gateway, runware_sim, runway_sim, monkeypatch):
    """A gateway that accepts bodies up to 1 MiB."""
    monkeypatch.setenv("IRISGATE_TEST_RUNWARE_KEY", runware_sim.api_key)
    monkeypatch.setenv("IRISGATE_TEST_RUNWAY_KEY", runway_sim.api_key)
    limits = {"limits": {"max_body_mb": 1}, "admin_token": ADMIN_TOKEN}
    return make_gateway({**media_config(runware_sim, runway_sim), **limits})


MIB = 1024 * 1024
ADMIN_TOKEN = "hostile-admin-token-0123456789"
FILE_PART_HEAD = b'--x\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'


def test_declared_length_over_the_limit_is_refused_before_the_body(media_gateway, runware_sim, runway_sim):
    head = request_head("POST", IMAGES, "Content-Type: application/json", f"Content-Length: {10**12}")
    status, body = raw_request(media_gateway.url, head)  # no body is ever sent
    assert status == 413
    error = error_of(body)
    assert error["code"] == "request_too_large"
    assert "64 MiB" in error["message"]
    assert_nothing_upstream(runware_sim, runway_sim)


def test_declared_length_with_expect_continue_gets_413_not_100(small_limit_gateway):
    head = request_head(
        "POST", EDITS, "Content-Type: multipart/form-data; boundary=x", f"Content-Length: {2 * MIB}",
        "Expect: 100-continue",
    )  # fmt: skip
    status, body = raw_request(small_limit_gateway.url, head)
    assert status == 413
    assert error_of(body)["code"] == "request_too_large"


@pytest.mark.parametrize("path", [IMAGES, EDITS, VIDEOS, "/api/providers"])
def test_chunked_body_over_the_limit_is_cut_off(small_limit_gateway, runware_sim, runway_sim, path: str):
    """No Content-Length: the gateway counts and answers 413 once past 1 MiB, without waiting for the end."""
    content_type = "multipart/form-data; boundary=x" if path == EDITS else "application/json"
    auth = f"Authorization: Bearer {ADMIN_TOKEN}"
    head = request_head("POST", path, f"Content-Type: {content_type}", "Transfer-Encoding: chunked", auth)
    chunks = [FILE_PART_HEAD if path == EDITS else b"[", *[b"a" * 65536] * 17]  # 1 MiB + 64 KiB
    body = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in chunks]  # and never the final chunk
    status, answer = raw_request(small_limit_gateway.url, head, body)
    assert status == 413
    error = error_of(answer)
    assert error["code"] == "request_too_large"
    assert "1 MiB" in error["message"]
    assert_nothing_upstream(runware_sim, runway_sim)


def test_body_under_the_limit_still_works(small_limit_gateway, runware_sim):
    """A real edit just under 1 MiB passes the guard and reaches Runware."""
    image = image_bytes(256, 256)
    files = {"image": ("a.png", image + b"\0" * (MIB - len(image) - 4096), "image/png")}
    response = httpx.post(
        small_limit_gateway.base_url + "/images/edits",
        data={"model": RUNWARE_MODEL, "prompt": "make it blue"},
        files=files,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert runware_sim.sim.requests


def test_header_flood_is_431(media_gateway, runware_sim, runway_sim):
    many = [f"X-Flood-{i}: {i}" for i in range(2000)]
    status, body = raw_request(media_gateway.url, request_head("GET", "/v1/videos", *many))
    assert status == 431
    assert error_of(body)["code"] == "request_headers_too_large"
    status, body = raw_request(media_gateway.url, request_head("GET", "/health", "X-Big: " + "a" * 100_000))
    assert status == 431
    assert error_of(body)["code"] == "request_headers_too_large"
    assert_nothing_upstream(runware_sim, runway_sim)


def test_broken_framing_is_400_from_the_server(media_gateway):
    """Framing the HTTP parser itself refuses: a bad Content-Length, a chunk size that is not hex."""
    status, _ = raw_request(media_gateway.url, request_head("POST", IMAGES, "Content-Length: abc"))
    assert status == 400
    head = request_head("POST", IMAGES, "Transfer-Encoding: chunked", "Content-Type: application/json")
    status, _ = raw_request(media_gateway.url, head, [b"zz\r\nabc\r\n0\r\n\r\n"])
    assert status == 400


# schemathesis: the published document, fuzzed against a live gateway whose providers are the simulators

FUZZ_CONFIG = {
    "seed": 20240611,
    "generation": {"max-examples": 25, "deterministic": True, "database": "none", "no-shrink": True},
    "phases": {"stateful": {"enabled": False}},
}


schema = schemathesis.openapi.from_dict(openapi_document(), config=SchemathesisConfig.from_dict(FUZZ_CONFIG))


def test_the_served_document_is_the_fuzzed_one(media_gateway) -> None:
    served = httpx.get(media_gateway.url + "/openapi.json")
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(openapi_document()))


def test_the_document_offers_only_the_variants_that_are_served(media_gateway) -> None:
    """`video` and `thumbnail` are served; `spritesheet` is not: the document must not offer it."""
    document = httpx.get(media_gateway.url + "/openapi.json").json()
    content = document["paths"]["/v1/videos/{video_id}/content"]
    for method in ("get", "head"):
        [variant] = content[method]["parameters"]
        assert variant["name"] == "variant" and variant["schema"] == {"enum": ["video", "thumbnail"]}
    response = httpx.get(media_gateway.base_url + "/videos/video_x/content?variant=spritesheet")
    assert_clean_error(response, 400, "variant", "unsupported_variant")


@pytest.fixture(scope="module")
def fuzz_gateway(runware_sim_server, runway_sim_server, tmp_path_factory):
    """One gateway (providers: the simulators) for the module: the fuzzer calls a test many times, and
    the named hostile cases need no fresh store (`runware_sim`/`runway_sim` still reset the simulators)."""
    (runware, runware_server), (runway, runway_server) = runware_sim_server, runway_sim_server
    runware_url = runware_server.url
    runware_handle = RunwareSimHandle(runware, runware_url, runware_url + "/v1", RUNWARE_TEST_KEY)
    runway_handle = RunwaySimHandle(runway, runway_server.url, RUNWAY_TEST_KEY)
    factory = GatewayFactory(tmp_path_factory.mktemp("fuzz"))
    with pytest.MonkeyPatch.context() as env:
        env.setenv("IRISGATE_TEST_RUNWARE_KEY", RUNWARE_TEST_KEY)
        env.setenv("IRISGATE_TEST_RUNWAY_KEY", RUNWAY_TEST_KEY)
        yield factory(media_config(runware_handle, runway_handle))
    factory.stop_all()


@schema.parametrize()
def test_fuzz_the_published_api(case, fuzz_gateway) -> None:
    """No 5xx, and every status, content type and body is one the document declares."""
    case.call_and_validate(
        base_url=fuzz_gateway.url,
        checks=[
            checks.not_a_server_error,
            checks.status_code_conformance,
            checks.content_type_conformance,
            checks.response_schema_conformance,
        ],
        timeout=30,
    )
