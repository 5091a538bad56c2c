"""Runware: unified image requests → one `imageInference` task in a task array.

The mapping tables below are the contract of the Runware seed page
(`shared/seeds/000_*.txt`, sections 1 and 2). Runware has one endpoint: every
call is `POST {base_url}` with a JSON array of tasks and `Authorization: Bearer`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from irisgate.config import KeyConfig, NetworkConfig
from irisgate.providers.base import BaseProvider
from irisgate.providers.http import UpstreamClient, UpstreamResponse
from irisgate.schemas.errors import GatewayError, invalid_request, unsupported_operation
from irisgate.schemas.images import (
    GeneratedImage,
    ImageEditRequest,
    ImageGenerationRequest,
    ImageRequestBase,
    ImagesResult,
)

# --- mapping tables -------------------------------------------------------------------------------

DEFAULT_SIZE = (1024, 1024)

# unified field → Runware field, copied when the client set it
DIRECT_FIELDS = {
    "prompt": "positivePrompt",
    "negative_prompt": "negativePrompt",
    "num_inference_steps": "steps",
    "seed": "seed",
    "n": "numberResults",
}
OUTPUT_TYPES = {"url": "URL", "b64_json": "base64Data"}
OUTPUT_FORMATS = {"png": "PNG", "jpeg": "JPG", "jpg": "JPG", "webp": "WEBP"}
OUTPUT_FORMAT_NAMES = {"PNG": "png", "JPG": "jpeg", "WEBP": "webp"}

# Runware field → the unified field a client knows, to name it in errors
UNIFIED_PARAM = {
    "positivePrompt": "prompt",
    "negativePrompt": "negative_prompt",
    "width": "size",
    "height": "size",
    "steps": "num_inference_steps",
    "numberResults": "n",
    "outputType": "response_format",
    "outputFormat": "output_format",
}
EDIT_PARAM = {**UNIFIED_PARAM, "seedImage": "image", "maskImage": "mask"}

# envelope fields the gateway owns; extra params may not override them
RESERVED_FIELDS = ("taskType", "taskUUID", "includeCost", "deliveryMethod")

# Runware error codes on a 200 (task-level), by the status the client should see
VALIDATION_PREFIXES = ("invalid", "missing", "unsupported", "conflict")
UPSTREAM_STATUS = {400: 400, 404: 404, 409: 409, 413: 413, 422: 422, 402: 402, 429: 429, 503: 503, 504: 504}


# --- request building -----------------------------------------------------------------------------


def build_image_task(request: ImageRequestBase, model: str) -> dict[str, Any]:
    """The `imageInference` task for a generation (or the common part of an edit)."""
    if request.stream:
        raise unsupported_operation("image_generation_stream", "runware")
    for option in request.openai_only_options():
        raise invalid_request(
            f"'{option}' is an OpenAI option that Runware does not support; "
            "send Runware-native fields (e.g. outputQuality, CFGScale) as extra params instead",
            option,
            code="unsupported_parameter",
        )
    width, height = request.dimensions or DEFAULT_SIZE
    task: dict[str, Any] = {
        "taskType": "imageInference",
        "taskUUID": str(uuid.uuid4()),
        "model": model,
        "width": width,
        "height": height,
        "includeCost": True,
    }
    for unified, native in DIRECT_FIELDS.items():
        value = getattr(request, unified)
        if value is not None:
            task[native] = value
    if request.response_format:
        task["outputType"] = OUTPUT_TYPES[request.response_format]
    if request.output_format:
        task["outputFormat"] = OUTPUT_FORMATS[request.output_format]
    extras = request.extras
    for name in RESERVED_FIELDS:
        if name in extras:
            raise invalid_request(f"'{name}' is set by the gateway and cannot be overridden", name)
    task.update(extras)
    return task


def build_edit_task(request: ImageEditRequest, model: str) -> dict[str, Any]:
    """An edit is image-to-image: the first image is `seedImage`, the mask (if any) `maskImage`."""
    if not request.images:
        raise invalid_request(
            "'image' is required: upload at least one image", "image", code="missing_required_parameter"
        )
    task = build_image_task(request, model)
    task.setdefault("seedImage", request.images[0].data_uri())
    if request.mask is not None:
        task.setdefault("maskImage", request.mask.data_uri())
    return task


# --- response parsing -----------------------------------------------------------------------------


def parse_image_results(
    task: dict[str, Any], body: dict[str, Any], param_names: Mapping[str, str] = UNIFIED_PARAM
) -> ImagesResult:
    items = [item for item in body.get("data") or [] if isinstance(item, dict)]
    items = [item for item in items if item.get("taskUUID", task["taskUUID"]) == task["taskUUID"]]
    images: list[GeneratedImage] = []
    cost = 0.0
    has_cost = False
    for item in items:
        image = _image_from_item(item, task.get("outputType"))
        if image is None:
            continue
        images.append(image)
        if isinstance(item.get("cost"), int | float):
            cost += float(item["cost"])
            has_cost = True
    if not images:
        raise (
            runware_error(200, body, param_names=param_names)
            if body.get("errors")
            else GatewayError(502, "Runware answered without any image", code="upstream_invalid_response")
        )
    fmt = OUTPUT_FORMAT_NAMES.get(str(task.get("outputFormat", "JPG")).upper())
    return ImagesResult(
        images=images,
        cost_usd=round(cost, 10) if has_cost else None,
        output_format=fmt,
        size=f"{task['width']}x{task['height']}" if "width" in task and "height" in task else None,
    )


def _image_from_item(item: dict[str, Any], output_type: str | None) -> GeneratedImage | None:
    seed = item.get("seed") if isinstance(item.get("seed"), int) else None
    image_id = item.get("imageUUID")
    if item.get("imageBase64Data"):
        return GeneratedImage(b64_json=item["imageBase64Data"], seed=seed, provider_id=image_id)
    if item.get("imageDataURI"):
        data_uri: str = item["imageDataURI"]
        if output_type == "base64Data":
            return GeneratedImage(b64_json=data_uri.partition(",")[2], seed=seed, provider_id=image_id)
        return GeneratedImage(url=data_uri, seed=seed, provider_id=image_id)
    if item.get("imageURL"):
        return GeneratedImage(url=item["imageURL"], seed=seed, provider_id=image_id)
    return None


# --- error mapping --------------------------------------------------------------------------------


def runware_error(
    status: int, body: Any, key_name: str = "", param_names: Mapping[str, str] = UNIFIED_PARAM
) -> GatewayError:
    """Runware's `errors[]` (on a 4xx/5xx, or on a 200 for a failed task) → the client's status."""
    errors = body.get("errors") if isinstance(body, dict) else body if isinstance(body, list) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
    code = first.get("code") if isinstance(first.get("code"), str) else None
    message = str(first.get("message") or f"Runware request failed with HTTP {status}").strip()
    parameter = first.get("parameter") if isinstance(first.get("parameter"), str) else None
    text = f"{message} (parameter: {parameter})" if parameter else message
    param = param_names.get(parameter, parameter) if parameter else None  # name the field the client sent
    if status in (401, 403):
        return GatewayError(
            502,
            f"Runware rejected the provider key '{key_name}': {text}",
            code="upstream_authentication_failed",
            headers={"x-should-retry": "false"},
        )
    if status == 200:
        status = _task_error_status(code)
    mapped = UPSTREAM_STATUS.get(status, 502 if status >= 500 else 400)
    headers = {"retry-after": "1"} if mapped == 429 else {}
    if mapped in (400, 402, 404, 409, 413, 422):
        headers["x-should-retry"] = "false"
    return GatewayError(mapped, text, code=code or "upstream_error", param=param, headers=headers)


def _task_error_status(code: str | None) -> int:
    if not code:
        return 502
    if code.startswith(VALIDATION_PREFIXES) or code in (
        "contentPolicyViolation",
        "invalidModel",
        "modelNotFound",
    ):
        return 400
    if "Credits" in code or "Balance" in code or "Quota" in code:
        return 402
    if "RateLimit" in code or "rateLimit" in code:
        return 429
    return 502


# --- the provider -----------------------------------------------------------------------------------


class RunwareProvider(BaseProvider):
    name = "runware"

    def __init__(self, network: NetworkConfig):
        self.base_url = network.base_url.rstrip("/")
        self.client = UpstreamClient(self.name, network.timeout_seconds, network.extra_headers)

    async def generate_images(
        self, request: ImageGenerationRequest, model: str, key: KeyConfig
    ) -> ImagesResult:
        task = build_image_task(request, model)
        return parse_image_results(task, await self._run_task(task, key, UNIFIED_PARAM))

    async def edit_images(self, request: ImageEditRequest, model: str, key: KeyConfig) -> ImagesResult:
        task = build_edit_task(request, model)
        return parse_image_results(task, await self._run_task(task, key, EDIT_PARAM), EDIT_PARAM)

    async def _run_task(
        self, task: dict[str, Any], key: KeyConfig, param_names: Mapping[str, str]
    ) -> dict[str, Any]:
        response = await self.client.post_json(
            self.base_url, [task], {"Authorization": f"Bearer {key.secret}"}
        )
        body = _json_object(response)
        if response.status != 200 or "data" not in body:
            raise runware_error(response.status, body, key.name, param_names)
        return body

    async def aclose(self) -> None:
        await self.client.aclose()


def _json_object(response: UpstreamResponse) -> dict[str, Any]:
    body = response.json()
    if isinstance(body, list):  # tolerate a bare error list
        return {"errors": body}
    if not isinstance(body, dict):
        raise GatewayError(
            502,
            f"Runware answered HTTP {response.status} with a body that is not a JSON object",
            code="upstream_invalid_response",
        )
    return body
