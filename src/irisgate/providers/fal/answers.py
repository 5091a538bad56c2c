"""fal's queue and result answers → the unified shapes (pure functions).

Queue statuses (fal's Inference API reference and the official clients' types: `fal_client.client`
`Queued`/`InProgress`/`Completed`, fal-js `QueueStatus`): `IN_QUEUE` (with `queue_position`) →
queued, `IN_PROGRESS` (with `logs` when asked with `logs=1`) → in_progress, `COMPLETED` (with `logs`,
`metrics`, and `error`/`error_type` when the request failed) → its result decides. fal gives no
progress figure: irisgate reports the last percentage a runner log line shows (`… 40% …`), else 0,
so the number it shows is fal's own. A result is the endpoint's output: `images[]` (`url`, `width`,
`height`, `content_type`) and `seed` for images, `video` (`url`, `content_type`, `file_name`,
`file_size`) for videos.
"""

from __future__ import annotations

import re
from typing import Any

from irisgate.providers.fal.models import FalImageModel
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import GeneratedImage, ImagesResult
from irisgate.schemas.videos import VideoStatus, VideoTaskState

STATUSES: dict[str, VideoStatus] = {"IN_QUEUE": "queued", "IN_PROGRESS": "in_progress"}
COMPLETED = "COMPLETED"
PERCENT = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s?%")
CONTENT_FORMATS = {"image/jpeg": "jpeg", "image/png": "png", "image/webp": "webp"}


def invalid_answer(what: str) -> GatewayError:
    # a proxy's page or a truncated answer: worth asking again where that is safe
    return GatewayError(502, f"fal answered {what}", code="upstream_invalid_response", transient=True)


def request_id_of(body: Any) -> str:
    """The `request_id` of a submit answer (`{status: IN_QUEUE, request_id, response_url, …}`)."""
    request_id = body.get("request_id") if isinstance(body, dict) else None
    if not isinstance(request_id, str) or not request_id:
        raise invalid_answer("a submission without a request_id")
    return request_id


def queue_status(body: Any) -> str:
    status = body.get("status") if isinstance(body, dict) else None
    if status not in (*STATUSES, COMPLETED):
        raise invalid_answer(f"an unknown queue status {status!r}")
    return str(status)


def running_state(request_id: str, body: dict[str, Any]) -> VideoTaskState:
    """The state of a request still IN_QUEUE or IN_PROGRESS."""
    status = STATUSES[queue_status(body)]
    progress = progress_from_logs(body.get("logs")) if status == "in_progress" else 0
    return VideoTaskState(request_id, status, progress)


def progress_from_logs(logs: Any) -> int:
    """The last percentage a log line reports (fal's runners log progress bars), capped below 100."""
    for entry in reversed(logs if isinstance(logs, list) else []):
        message = entry.get("message") if isinstance(entry, dict) else None
        found = PERCENT.findall(message) if isinstance(message, str) else []
        if found:
            return max(0, min(99, round(float(found[-1]))))
    return 0


def completed_error(body: dict[str, Any]) -> tuple[str, str] | None:
    """(code, message) when a COMPLETED status says the request failed."""
    error = body.get("error")
    if not error:
        return None
    return str(body.get("error_type") or "generation_failed"), str(error)


def failed_state(request_id: str, code: str | None, message: str) -> VideoTaskState:
    return VideoTaskState(
        request_id, "failed", 0, error_code=code or "generation_failed", error_message=message
    )


def video_state(request_id: str, result: Any, cost_usd: float | None = None) -> VideoTaskState:
    """A COMPLETED request's result → completed with `video.url`."""
    video = result.get("video") if isinstance(result, dict) else None
    url = video.get("url") if isinstance(video, dict) else None
    if not isinstance(url, str) or not url:
        raise GatewayError(
            502, "fal completed the video without a video URL", code="upstream_invalid_response"
        )
    return VideoTaskState(request_id, "completed", 100, output_url=url, cost_usd=cost_usd)


def images_result(result: Any, known: FalImageModel | None, b64: bool) -> ImagesResult:
    """An image endpoint's result. With `sync_mode` (asked for `b64_json`) each `url` is a data URI,
    given as `b64_json`; an endpoint that answered an http(s) URL anyway gets it passed on as `url`."""
    items = result.get("images") if isinstance(result, dict) else None
    if not isinstance(items, list) or not any(isinstance(i, dict) and i.get("url") for i in items):
        raise GatewayError(502, "fal answered without any image", code="upstream_invalid_response")
    seed = result.get("seed") if isinstance(result.get("seed"), int) else None
    images: list[GeneratedImage] = []
    sizes: list[tuple[int, int] | None] = []
    formats: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            continue
        url: str = item["url"]
        if b64 and url.startswith("data:"):
            images.append(GeneratedImage(b64_json=url.partition(",")[2], seed=seed))
        else:
            images.append(GeneratedImage(url=url, seed=seed))
        width, height = item.get("width"), item.get("height")
        sizes.append((width, height) if isinstance(width, int) and isinstance(height, int) else None)
        content_type = item.get("content_type") or (url[5:].split(";")[0] if url.startswith("data:") else "")
        if content_type in CONTENT_FORMATS:
            formats.add(CONTENT_FORMATS[content_type])
    first = sizes[0] if sizes else None
    return ImagesResult(
        images=images,
        cost_usd=known.cost(sizes) if known is not None else None,
        output_format=formats.pop() if len(formats) == 1 else None,
        size=f"{first[0]}x{first[1]}" if first else None,
    )
