"""Google's answers (Gemini API) → the unified shapes (pure functions).

- Imagen `:predict`: `{"predictions": [{"bytesBase64Encoded", "mimeType"} | {"raiFilteredReason"}]}`
  (the official client's `_GenerateImagesResponse_from_mldev`, `_GeneratedImage_from_mldev`).
- Veo operations (`google.longrunning.Operation`): `{"name", "done", "error": {"code", "message"},
  "response": {"generateVideoResponse": {"generatedSamples": [{"video": {"uri"}}],
  "raiMediaFilteredCount", "raiMediaFilteredReasons"}}}` (`_GenerateVideosOperation_from_mldev`,
  `_GenerateVideosResponse_from_mldev`, `_Video_from_mldev`). Not done → in_progress (the Gemini API
  reports no progress); done with a sample → completed with its URI; done with `error` or with every
  sample filtered → failed.
"""

from __future__ import annotations

import re
from typing import Any

from irisgate.providers.google.mapping import MIME_FORMATS, GoogleCall
from irisgate.schemas.errors import GatewayError
from irisgate.schemas.images import GeneratedImage, ImagesResult
from irisgate.schemas.videos import VideoTaskState

# google.rpc.Code numbers (an operation's `error.code`) → their names
RPC_CODES = {
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    13: "INTERNAL",
    14: "UNAVAILABLE",
}
# an operation name as the API gives it: `models/{model}/operations/{id}` (it becomes a URL path)
OPERATION_NAME = re.compile(r"(models/[A-Za-z0-9._-]+/)?operations/[A-Za-z0-9._-]+", re.ASCII)
CONTENT_FILTERED = "content_filtered"


def invalid_answer(message: str) -> GatewayError:
    return GatewayError(502, f"Google {message}", code="upstream_invalid_response")


# --- images ---------------------------------------------------------------------------------------


def parse_predictions(call: GoogleCall, body: dict[str, Any]) -> ImagesResult:
    predictions = [p for p in body.get("predictions") or [] if isinstance(p, dict)]
    images = [GeneratedImage(b64_json=p["bytesBase64Encoded"]) for p in predictions if _has_bytes(p)]
    if not images:
        reasons = [str(p["raiFilteredReason"]) for p in predictions if p.get("raiFilteredReason")]
        if reasons or "predictions" not in body:  # Google answers `{}` when every image was filtered
            raise GatewayError(
                400,
                "Google's safety filters removed every image: " + ("; ".join(reasons) or "no reason given"),
                code=CONTENT_FILTERED,
                param="prompt",
                headers={"x-should-retry": "false"},
            )
        raise invalid_answer("answered without any image")
    mime_types = {p.get("mimeType") for p in predictions if _has_bytes(p)}
    fmt = MIME_FORMATS.get(next(iter(mime_types))) if len(mime_types) == 1 else None
    price_each = call.cost_usd / call.body["parameters"]["sampleCount"] if call.cost_usd is not None else None
    return ImagesResult(
        images=images,
        cost_usd=None if price_each is None else round(price_each * len(images), 6),
        output_format=fmt or call.output_format,
        size=call.size,
    )


def _has_bytes(prediction: dict[str, Any]) -> bool:
    return isinstance(prediction.get("bytesBase64Encoded"), str) and bool(prediction["bytesBase64Encoded"])


# --- videos ---------------------------------------------------------------------------------------


def operation_name(body: dict[str, Any]) -> str:
    """The name of the operation a `:predictLongRunning` answer started (the job's upstream id)."""
    name = body.get("name")
    if not isinstance(name, str) or not OPERATION_NAME.fullmatch(name):
        raise GatewayError(
            502, "Google answered without an operation name", code="upstream_invalid_response", transient=True
        )
    return name


def parse_operation(upstream_id: str, body: dict[str, Any]) -> VideoTaskState:
    if body.get("done") is not True:
        return VideoTaskState(upstream_id, "in_progress", 0)
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
        name = (
            RPC_CODES.get(code, str(code)) if isinstance(code, int) else str(error.get("status") or "UNKNOWN")
        )
        message = str(error.get("message") or "Google could not generate this video")
        return VideoTaskState(upstream_id, "failed", 0, error_code=name.lower(), error_message=message)
    response = body.get("response")
    generated = response.get("generateVideoResponse") if isinstance(response, dict) else None
    if not isinstance(generated, dict):
        raise invalid_answer("reported a finished operation without its response")
    for sample in generated.get("generatedSamples") or []:
        video = sample.get("video") if isinstance(sample, dict) else None
        uri = video.get("uri") if isinstance(video, dict) else None
        if isinstance(uri, str) and uri.startswith(("https://", "http://")):
            return VideoTaskState(upstream_id, "completed", 100, output_url=uri)
    reasons = generated.get("raiMediaFilteredReasons") or []
    if generated.get("raiMediaFilteredCount") or reasons:
        detail = "; ".join(str(reason) for reason in reasons) or "no reason given"
        return VideoTaskState(
            upstream_id,
            "failed",
            0,
            error_code=CONTENT_FILTERED,
            error_message=f"Google's safety filters removed the video: {detail}",
        )
    raise invalid_answer("reported a finished operation without a video URI")
