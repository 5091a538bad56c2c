"""Runware images: unified generation/edit requests → one `imageInference` task, and back.

The mapping tables below are the contract of the Runware seed page
(`shared/seeds/000_*.txt`, sections 1 and 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from irisgate.providers.runware.errors import UNIFIED_PARAM, runware_error
from irisgate.random_ids import uuid4_text
from irisgate.schemas.errors import GatewayError, invalid_request, unsupported_operation
from irisgate.schemas.images import GeneratedImage, ImageEditRequest, ImageRequestBase, ImagesResult

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

# for an edit, errors about the seed and mask images name the uploaded files
EDIT_PARAM = {**UNIFIED_PARAM, "seedImage": "image", "maskImage": "mask"}

# envelope fields the gateway owns; extra params may not override them
RESERVED_FIELDS = ("taskType", "taskUUID", "includeCost", "deliveryMethod")

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
        "taskUUID": uuid4_text(),
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
    return add_extras(task, request.extras)


def add_extras(task: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any]:
    """Provider-native fields flow into the task; the envelope fields stay the gateway's."""
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
