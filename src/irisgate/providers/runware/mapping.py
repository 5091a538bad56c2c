"""Runware: unified requests → the task objects it takes (pure functions; nothing is sent here).

The mapping tables are the contract of the Runware seed page (`shared/seeds/000_*.txt`): sections
1 and 2 for `imageInference` (generation, and edits as image-to-image with a seed image and a
mask), section 3 for `videoInference` (always async: model, prompt→positivePrompt,
input_reference→the first frame image, negative_prompt, seed, size→width/height, default
1920x1080, seconds→duration).
"""

from __future__ import annotations

import uuid
from typing import Any

from irisgate.providers.runware.errors import UNIFIED_PARAM
from irisgate.schemas.errors import invalid_request, unsupported_operation
from irisgate.schemas.images import ImageEditRequest, ImageRequestBase
from irisgate.schemas.videos import VideoCreateRequest

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

# for an edit, errors about the seed and mask images name the uploaded files
EDIT_PARAM = {**UNIFIED_PARAM, "seedImage": "image", "maskImage": "mask"}

# envelope fields the gateway owns; extra params may not override them
RESERVED_FIELDS = ("taskType", "taskUUID", "includeCost", "deliveryMethod")

DEFAULT_VIDEO_SIZE = (1920, 1080)
# for a video, errors about its frame images name the input reference
VIDEO_PARAM = {**UNIFIED_PARAM, "frameImages": "input_reference", "inputs.frameImages": "input_reference"}

# --- images ---------------------------------------------------------------------------------------


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


# --- video ----------------------------------------------------------------------------------------


def build_video_task(request: VideoCreateRequest, model: str) -> dict[str, Any]:
    if request.video_uri is not None:
        raise invalid_request(
            "Runware video models do not take 'video_uri'", "video_uri", code="unsupported_parameter"
        )
    if request.audio is not None:
        raise invalid_request(
            "'audio' is a Runway option; for Runware send the model's native fields as extra params",
            "audio",
            code="unsupported_parameter",
        )
    width, height = request.dimensions or DEFAULT_VIDEO_SIZE
    task: dict[str, Any] = {
        "taskType": "videoInference",
        "taskUUID": str(uuid.uuid4()),
        "deliveryMethod": "async",
        "model": model,
        "positivePrompt": request.prompt,
        "width": width,
        "height": height,
        "includeCost": True,
    }
    if request.negative_prompt is not None:
        task["negativePrompt"] = request.negative_prompt
    if request.seed is not None:
        task["seed"] = request.seed
    if request.seconds_number is not None:
        seconds = request.seconds_number
        task["duration"] = int(seconds) if seconds.is_integer() else seconds
    if request.input_reference is not None:
        # the nested form: every Runware video model accepts it, the newest reject the flat one
        task["inputs"] = {"frameImages": [{"image": request.input_reference.as_uri(), "frame": "first"}]}
    return add_extras(task, request.extras)
