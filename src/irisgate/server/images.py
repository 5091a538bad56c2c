"""`/v1/images/*`: generation (JSON), edit (multipart), variation (unsupported everywhere so far)."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from irisgate.admin.clients import require_models
from irisgate.routing.dispatch import Dispatcher, Operation
from irisgate.schemas.errors import invalid_request
from irisgate.schemas.images import ImageEditRequest, ImageGenerationRequest, ImageRequestBase, ImagesResult
from irisgate.schemas.validation import parse_model
from irisgate.server.disconnect import unless_disconnected
from irisgate.server.forms import MultipartBody, decode_loose, read_json_object, read_multipart
from irisgate.server.observe import CallContext, observed
from irisgate.server.responses import json_response
from irisgate.server.uploads import read_image

IMAGE_FIELDS = ("image", "mask")


def dispatcher_of(request: Request) -> Dispatcher:
    return request.app.state.gateway.dispatcher


async def answer_images(
    request: Request, ctx: CallContext, payload: ImageRequestBase, operation: Operation[ImagesResult]
) -> Response:
    """Run an image operation through keys, retries and fallbacks; cancel it if the client leaves."""
    work = dispatcher_of(request).run(payload.model, payload.fallbacks, operation)
    result, route = await unless_disconnected(request, work)
    ctx.use(route)
    ctx.cost_usd = result.cost_usd
    return json_response(result.to_response(int(time.time())))


@observed("/v1/images/generations")
async def generate_images(request: Request, ctx: CallContext) -> Response:
    payload = parse_model(ImageGenerationRequest, await read_json_object(request))
    require_models(ctx.client, payload.model, payload.fallbacks)
    return await answer_images(
        request, ctx, payload, lambda route: route.provider.generate_images(payload, route.model, route.key)
    )


@observed("/v1/images/edits")
async def edit_images(request: Request, ctx: CallContext) -> Response:
    form = await read_multipart(request)
    payload = parse_model(ImageEditRequest, edit_fields(form))
    require_models(ctx.client, payload.model, payload.fallbacks)
    request.app.state.gateway.router.route(payload.model)  # an unknown model is refused before reading files
    payload.images = [await read_image(upload, "image") for upload in form.files.get("image", [])]
    masks = form.files.get("mask", [])
    if len(masks) > 1:
        raise invalid_request("Send at most one 'mask' file", "mask")
    payload.mask = await read_image(masks[0], "mask") if masks else None
    if not payload.images:
        raise invalid_request(
            "'image' is required: upload at least one image file", "image", code="missing_required_parameter"
        )
    return await answer_images(
        request, ctx, payload, lambda route: route.provider.edit_images(payload, route.model, route.key)
    )


@observed("/v1/images/variations")
async def vary_images(request: Request, ctx: CallContext) -> Response:
    form = await read_multipart(request)
    model = form.fields.get("model")
    if not isinstance(model, str) or not model:
        raise invalid_request("'model' is required", "model", code="missing_required_parameter")
    require_models(ctx.client, model, None)
    route = ctx.use(request.app.state.gateway.router.route(model))
    result = await route.provider.vary_images(route.model, route.key)
    return json_response(result.to_response(int(time.time())))


def edit_fields(form: MultipartBody) -> dict[str, Any]:
    """Form fields as a request object: known fields stay strings, native extras are JSON-decoded."""
    unknown_files = sorted(set(form.files) - set(IMAGE_FIELDS))
    if unknown_files:
        raise invalid_request(f"Unexpected file field '{unknown_files[0]}'", unknown_files[0])
    known = ImageEditRequest.model_fields
    data: dict[str, Any] = {}
    for name, value in form.fields.items():
        if name in IMAGE_FIELDS:
            raise invalid_request(f"'{name}' must be a file upload", name)
        data[name] = value if name in known and name != "extra_params" else decode_loose(value)
    return data


routes = [
    HttpRoute("/v1/images/generations", generate_images, methods=["POST"]),
    HttpRoute("/v1/images/edits", edit_images, methods=["POST"]),
    HttpRoute("/v1/images/variations", vary_images, methods=["POST"]),
]
